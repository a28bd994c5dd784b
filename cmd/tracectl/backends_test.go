package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/tracectl/tracectl/internal/fixtures"
	"github.com/tracectl/tracectl/internal/testbuckets"
)

// tracectl runs the tracectl command (TestMain puts it on PATH) in a
// fresh process with env added to this process's environment, as a user
// would with credentials in environment variables.
func tracectl(t *testing.T, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command("tracectl", args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("tracectl %v: %v", args, err)
	}
	return code, out.String(), errb.String()
}

// TestBackendsCLI drives the real CLI, one process per command, against
// each backend whose objects outlive a process; the bucket URL and the
// credentials reach it only through environment variables
// (TRACECTL_BUCKET and the drivers' own).
func TestBackendsCLI(t *testing.T) {
	zipkin := fixtures.Path(t, "zipkin/v2")
	for _, name := range testbuckets.Persistent {
		t.Run(name, func(t *testing.T) {
			be := testbuckets.Open(t, name)
			env := append([]string{"TRACECTL_BUCKET=" + be.URL}, be.Env...)
			run := func(want int, args ...string) (string, string) {
				t.Helper()
				code, stdout, stderr := tracectl(t, env, args...)
				if code != want {
					t.Fatalf("tracectl %s: exit %d, want %d\n%s", strings.Join(args, " "), code, want, stderr)
				}
				return stdout, stderr
			}
			spans := func() (blocks int, spans int64) {
				t.Helper()
				stdout, _ := run(exitOK, "blocks", "ls", "-o", "json")
				var infos []struct{ Spans int64 }
				if err := json.Unmarshal([]byte(stdout), &infos); err != nil {
					t.Fatalf("blocks ls -o json: %v: %s", err, stdout)
				}
				for _, bi := range infos {
					spans += bi.Spans
				}
				return len(infos), spans
			}

			if _, stderr := run(exitOK, "ingest", "--max-block-traces", "3", zipkin); !strings.Contains(stderr, "13 traces, 1300 spans") {
				t.Fatalf("ingest: %s", stderr)
			}
			if n, s := spans(); n != 5 || s != 1300 {
				t.Fatalf("after ingest: %d blocks, %d spans; want 5, 1300", n, s)
			}
			stdout, _ := run(exitOK, "trace", "get", "a03ee8fff1dcd9b9", "-o", "otlp-json")
			if n := strings.Count(stdout, `"spanId"`); n != 16 {
				t.Fatalf("trace get: %d spans, want 16", n)
			}
			if stdout, _ := run(exitOK, "query", "--count", `{ resource.service.name = "routing" }`); strings.TrimSpace(stdout) != "1" {
				t.Fatalf("query --count: %q, want 1", stdout)
			}
			run(exitOK, "compact", "--window", "1000000h", "--max-inputs", "8", "--compacted-retention", "0")
			if n, s := spans(); n != 1 || s != 1300 {
				t.Fatalf("after compact: %d blocks, %d spans; want 1, 1300", n, s)
			}
			if _, stderr := run(exitOK, "blocks", "verify"); !strings.Contains(stderr, "1 blocks checked, 0 damaged") {
				t.Fatalf("verify: %s", stderr)
			}
			run(exitOK, "retain", "--older-than", "1h", "--compacted-retention", "0")
			if n, _ := spans(); n != 0 {
				t.Fatalf("after retain: %d blocks, want 0", n)
			}
			run(exitCheckFailed, "trace", "get", "a03ee8fff1dcd9b9")
			if _, stderr := run(exitError, "blocks", "verify"); !strings.Contains(stderr, `no blocks in tenant "single-tenant"`) {
				t.Fatalf("verify of an empty tenant: %s", stderr)
			}
			if _, stderr := run(exitOK, "blocks", "verify", "--allow-empty"); !strings.Contains(stderr, "0 blocks checked") {
				t.Fatalf("verify after retain: %s", stderr)
			}
		})
	}
}

// TestBucketErrorsCLI: a missing bucket or container and wrong
// credentials make ingest exit 2 with a readable message that names the
// bucket, what failed and what to check, never a panic.
func TestBucketErrorsCLI(t *testing.T) {
	yelp := fixtures.Path(t, "zipkin/v2/yelp.json")
	tests := []struct {
		backend string
		missing bool // else wrong credentials
		want    []string
	}{
		{testbuckets.S3, true, []string{"bucket s3://" + testbuckets.MissingBucket + " does not exist"}},
		{testbuckets.GCS, true, []string{"bucket gs://" + testbuckets.MissingBucket + " does not exist"}},
		{testbuckets.Azure, true, []string{"ContainerNotFound", "container azblob://" + testbuckets.MissingBucket + " does not exist: create it first"}},
		{testbuckets.Azure, false, []string{"RESPONSE 403", "check AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY"}},
		{testbuckets.SeaweedFS, false, []string{"SignatureDoesNotMatch", "check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"}},
	}
	for _, tc := range tests {
		name := tc.backend + " wrong credentials"
		if tc.missing {
			name = tc.backend + " missing bucket"
		}
		t.Run(name, func(t *testing.T) {
			be := testbuckets.Open(t, tc.backend)
			url, env := be.URL, be.BadCredentialsEnv()
			if tc.missing {
				url, env = be.MissingURL(), nil
			}
			code, stdout, stderr := tracectl(t, env, "--bucket", url, "ingest", yelp)
			if code != exitError || stdout != "" {
				t.Fatalf("exit %d, want %d; stdout %q", code, exitError, stdout)
			}
			if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine ") {
				t.Fatalf("panicked:\n%s", stderr)
			}
			if n := strings.Count(stderr, "\n"); n > 3 {
				t.Errorf("%d lines of error, want a short message:\n%s", n, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			// The message names what failed: the tenant's listing (which
			// ingest reads to name its blocks) or the object written.
			if !strings.Contains(stderr, "list tenant single-tenant:") && !strings.Contains(stderr, "data.parquet") {
				t.Errorf("stderr names neither the listing nor the object:\n%s", stderr)
			}
			t.Logf("stderr:\n%s", stderr)
		})
	}
}
