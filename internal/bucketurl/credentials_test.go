package bucketurl

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"cloud.google.com/go/storage"
	"github.com/googleapis/gax-go/v2"
)

// cleanCloudEnv unsets every variable the GCS and Azure drivers read and
// points HOME at an empty directory (no gcloud ADC file).
func cleanCloudEnv(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "GOOGLE_") || strings.HasPrefix(k, "STORAGE_EMULATOR_HOST") || strings.HasPrefix(k, "AZURE_") ||
			strings.HasPrefix(k, "CLOUDSDK_") || k == "GCE_METADATA_HOST" {
			t.Setenv(k, "") // restored after the test
			os.Unsetenv(k)
		}
	}
	return home
}

// captureStdout runs fn and returns what it wrote to os.Stdout (gocloud's
// GCS driver prints its credentials warning there).
func captureStdout(t *testing.T, fn func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	done := make(chan string)
	go func() { b, _ := io.ReadAll(r); done <- string(b) }()
	defer func() { os.Stdout = old }()
	fn()
	w.Close()
	os.Stdout = old
	return <-done
}

// TestOpenWithoutCredentials opens gs:// and azblob:// buckets in a clean
// environment, in process: the error says which variable or file is
// missing, and nothing is printed on stdout. (This test binary opens no
// other azblob:// bucket: gocloud reads the Azure environment once per
// process.)
func TestOpenWithoutCredentials(t *testing.T) {
	tests := []struct {
		name    string
		url     string
		env     map[string]string
		wantErr []string
		hint    []string
		network bool // the lookup may ask the GCE metadata server
	}{
		{name: "gcs key file missing", url: "gs://tracectl-test",
			env:     map[string]string{"GOOGLE_APPLICATION_CREDENTIALS": "{home}/key.json"},
			wantErr: []string{"no credentials", "GOOGLE_APPLICATION_CREDENTIALS", "key.json: no such file"},
			hint:    []string{"bucket gs://tracectl-test: GOOGLE_APPLICATION_CREDENTIALS={home}/key.json cannot be used"}},
		{name: "gcs nothing set", url: "gs://tracectl-test", network: true,
			wantErr: []string{"no credentials", "could not find default credentials"},
			hint: []string{"GOOGLE_APPLICATION_CREDENTIALS is not set", "gcloud's file {home}/.config/gcloud/application_default_credentials.json does not exist",
				"STORAGE_EMULATOR_HOST"}},
		{name: "azure nothing set", url: "azblob://traces",
			wantErr: []string{"AccountName is required"},
			hint:    []string{"container azblob://traces: AZURE_STORAGE_ACCOUNT is not set", "AZURE_STORAGE_KEY", "AZURE_STORAGE_CONNECTION_STRING"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			home := cleanCloudEnv(t)
			fill := func(s string) string { return strings.ReplaceAll(s, "{home}", home) }
			for k, v := range tc.env {
				t.Setenv(k, fill(v))
			}
			var err error
			stdout := captureStdout(t, func() {
				var b interface{ Close() error }
				b, err = Open(context.Background(), tc.url)
				if err == nil {
					b.Close()
				}
			})
			if stdout != "" {
				t.Errorf("stdout: %q", stdout)
			}
			if err == nil {
				if tc.network {
					t.Skip("credentials found (a Google Cloud machine?)")
				}
				t.Fatal("opened without credentials")
			}
			if strings.Contains(tc.url, "gs://") && !errors.Is(err, ErrNoCredentials) {
				t.Errorf("err %v does not wrap ErrNoCredentials", err)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q: %v", w, err)
				}
			}
			hint := Hint(tc.url, err)
			for _, w := range tc.hint {
				if !strings.Contains(hint, fill(w)) {
					t.Errorf("hint lacks %q: %s", fill(w), hint)
				}
			}
		})
	}
}

// TestOpenGCSAnonymous: ?anonymous=true opens a public bucket without a
// credentials lookup and without the driver's warning.
func TestOpenGCSAnonymous(t *testing.T) {
	cleanCloudEnv(t)
	var err error
	stdout := captureStdout(t, func() {
		b, e := Open(context.Background(), "gs://public-bucket?anonymous=true")
		if err = e; e == nil {
			b.Close()
		}
	})
	if err != nil || stdout != "" {
		t.Fatalf("err %v, stdout %q", err, stdout)
	}
}

// TestAzureIdentityHint: with an account but neither key, SAS token nor
// connection string, the driver falls back to DefaultAzureCredential; the
// hint names what is set and what is missing. The error text is the one
// the SDK gives (getting it for real needs the managed identity endpoint).
func TestAzureIdentityHint(t *testing.T) {
	cleanCloudEnv(t)
	t.Setenv("AZURE_STORAGE_ACCOUNT", "acct")
	err := errors.New(azureIdentityError)
	hint := Hint("azblob://traces", err)
	for _, w := range []string{"container azblob://traces: AZURE_STORAGE_ACCOUNT=acct is set, but not AZURE_STORAGE_KEY, AZURE_STORAGE_SAS_TOKEN or AZURE_STORAGE_CONNECTION_STRING",
		"DefaultAzureCredential", "AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET not set"} {
		if !strings.Contains(hint, w) {
			t.Errorf("hint lacks %q: %s", w, hint)
		}
	}
	// With a key set, a DefaultAzureCredential error cannot be the cause:
	// the generic credentials hint.
	t.Setenv("AZURE_STORAGE_KEY", "k")
	if hint := Hint("azblob://traces", err); !strings.Contains(hint, "check AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY") {
		t.Errorf("with a key: %s", hint)
	}
}

// azureIdentityError is the error text of a gocloud azblob:// listing with
// AZURE_STORAGE_ACCOUNT set and no other Azure variable (azidentity, as
// vendored by gocloud.dev v0.47.0).
const azureIdentityError = "list single-tenant/f: blob (code=Unknown): DefaultAzureCredential: failed to acquire a token.\n" +
	"Attempted credentials:\n" +
	"\tEnvironmentCredential: missing environment variable AZURE_TENANT_ID\n" +
	"\tWorkloadIdentityCredential: no client ID specified. Check pod configuration or set ClientID in the options\n" +
	"\tManagedIdentityCredential authentication failed. \n" +
	"\t\tGET http://169.254.169.254/metadata/identity/oauth2/token\n" +
	"\t\t--------------------------------------------------------------------------------\n" +
	"\t\tRESPONSE 403: 403 Forbidden\n" +
	"\t\t--------------------------------------------------------------------------------\n" +
	"\t\tresolve_deny: denied destination\n" +
	"\t\t--------------------------------------------------------------------------------\n" +
	"\t\tTo troubleshoot, visit https://aka.ms/azsdk/go/identity/troubleshoot#managed-id"

// TestGCSRetriesBounded: a GCS endpoint that cuts every connection (a
// retryable failure) ends a request with an error after the client's
// attempts, where the GCS client's default retries until the context
// ends. The attempts are counted at the listener.
func TestGCSRetriesBounded(t *testing.T) {
	cleanCloudEnv(t)
	old := gcsRetry
	gcsRetry = append(append([]storage.RetryOption(nil), old...),
		storage.WithBackoff(gax.Backoff{Initial: time.Millisecond, Max: 10 * time.Millisecond}))
	t.Cleanup(func() { gcsRetry = old })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var conns atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			c.Close() // before any response: connection reset / EOF, retryable
		}
	}()
	t.Setenv("STORAGE_EMULATOR_HOST", ln.Addr().String())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	b, err := Open(ctx, "gs://unreachable")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	_, err = b.List(nil).Next(ctx)
	if err == nil || err == io.EOF || ctx.Err() != nil { // (io.EOF itself: the end of a listing)
		t.Fatalf("list: %v (context: %v), want the request's error", err, ctx.Err())
	}
	if n := conns.Load(); n != 4 {
		t.Errorf("%d connections, want 4 attempts", n)
	}
}
