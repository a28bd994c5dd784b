// Package testbuckets gives tests a fresh bucket on each storage backend
// tracectl supports: file (a temporary directory), mem, S3 (gofakes3 in
// process), GCS (fake-gcs-server in process), Azure (Azurite, a Node.js
// process) and, when enabled, a real S3 server (SeaweedFS). Each comes as
// a bucket URL plus the environment variables its driver reads, so the same
// URL works for blocks.OpenBucket in the test and for a tracectl process.
//
// Azure needs Azurite installed (scripts/azurite, run by scripts/test) and
// TRACECTL_AZURITE_DIR naming its directory; SeaweedFS needs
// TRACECTL_TEST_SEAWEEDFS naming a weed binary (scripts/seaweedfs). Without
// them those backends skip the test with a message saying how to enable
// them.
package testbuckets

import (
	"context"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/fsouza/fake-gcs-server/fakestorage"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"gocloud.dev/blob"

	"github.com/tracectl/tracectl/blocks"
)

// Backend names, in the order All returns them.
const (
	File      = "file"
	Mem       = "mem"
	S3        = "s3"
	GCS       = "gcs"
	Azure     = "azure"
	SeaweedFS = "seaweedfs"
)

// All lists every backend, including those that may skip.
var All = []string{File, Mem, S3, GCS, Azure, SeaweedFS}

// Persistent lists the backends whose objects outlive the process that
// wrote them (all but mem), the ones a tracectl subprocess can be tested on.
var Persistent = []string{File, S3, GCS, Azure, SeaweedFS}

// Bucket names used on the servers.
const (
	// BucketName is the bucket (Azure: container) each backend creates.
	BucketName = "tracectl-test"
	// MissingBucket is never created: use it to test a missing bucket.
	MissingBucket = "tracectl-missing"
)

// Backend is a ready bucket on one backend.
type Backend struct {
	Name string
	// URL opens the bucket (blocks.OpenBucket, tracectl --bucket). For
	// mem:// every open is a new, empty bucket: keep the one Bucket
	// returns.
	URL string
	// Env holds the KEY=VALUE settings the driver reads: credentials and
	// emulator endpoints. Open has set them in this process (t.Setenv, so
	// the test cannot be parallel); pass them to subprocesses.
	Env []string
	// LingeringPrefixes is true when deleted "directories" stay listed for
	// a while (SeaweedFS: about 2.5 minutes), so "gone" checks must look
	// for objects, not prefixes.
	LingeringPrefixes bool
	// AuthChecked is true when the server checks credentials (gofakes3
	// and fake-gcs-server accept anything).
	AuthChecked bool

	// missingURL is URL with MissingBucket instead of BucketName.
	missingURL string
	// badEnv replaces credentials in Env with wrong ones.
	badEnv []string
}

// Open starts the named backend for t (stopped at cleanup), creates its
// bucket, sets its environment with t.Setenv and returns it. It skips the
// test when the backend is not available here.
func Open(t *testing.T, name string) *Backend {
	t.Helper()
	var b *Backend
	switch name {
	case File:
		b = &Backend{URL: "file://" + t.TempDir()}
	case Mem:
		b = &Backend{URL: "mem://"}
	case S3:
		b = startGofakes3(t)
	case GCS:
		b = startFakeGCS(t)
	case Azure:
		b = startAzurite(t)
	case SeaweedFS:
		b = startSeaweedFS(t)
	default:
		t.Fatalf("testbuckets: unknown backend %q", name)
	}
	b.Name = name
	for _, kv := range b.Env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	return b
}

// Bucket opens the backend's bucket through blocks.OpenBucket, closed at
// cleanup.
func (b *Backend) Bucket(t testing.TB) *blob.Bucket {
	t.Helper()
	return OpenURL(t, b.URL)
}

// MissingURL returns a URL on the same server whose bucket (container)
// does not exist, or "" for file and mem, which create it on demand.
func (b *Backend) MissingURL() string { return b.missingURL }

// BadCredentialsEnv returns Env with wrong credentials (a wrong secret or
// key), or nil for backends without credentials.
func (b *Backend) BadCredentialsEnv() []string { return b.badEnv }

// OpenURL opens a bucket URL for a test and closes it at cleanup.
func OpenURL(t testing.TB, url string) *blob.Bucket {
	t.Helper()
	bk, err := blocks.OpenBucket(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bk.Close() })
	return bk
}

// s3URL is the URL of an S3-compatible bucket at endpoint. Without
// response_checksum_validation=when_required the SDK warns on stderr for
// every read of an object without a checksum.
func s3URL(endpoint, bucket string) string {
	return "s3://" + bucket + "?endpoint=" + endpoint + "&use_path_style=true&region=us-east-1&response_checksum_validation=when_required"
}

// startGofakes3 serves S3 from memory in this process. It checks no
// credentials: any key works.
func startGofakes3(t *testing.T) *Backend {
	backend := s3mem.New()
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	if err := backend.CreateBucket(BucketName); err != nil {
		t.Fatal(err)
	}
	return &Backend{
		URL:        s3URL(srv.URL, BucketName),
		missingURL: s3URL(srv.URL, MissingBucket),
		Env:        []string{"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test"},
	}
}

// startFakeGCS serves GCS from memory in this process. gs:// URLs reach it
// through STORAGE_EMULATOR_HOST (host:port without a scheme), which also
// makes the client send no credentials.
func startFakeGCS(t *testing.T) *Backend {
	// PublicHost is required: without it writes work and every read is
	// NotFound (the client reads through the public host's XML API path).
	srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{
		Scheme: "http", Host: "127.0.0.1", Port: 0, PublicHost: "127.0.0.1",
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: BucketName})
	return &Backend{
		URL:        "gs://" + BucketName,
		missingURL: "gs://" + MissingBucket,
		Env:        []string{"STORAGE_EMULATOR_HOST=" + strings.TrimPrefix(srv.URL(), "http://")},
	}
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

var seq atomic.Int64

// uniqueName returns a bucket name unique in this process.
func uniqueName(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, os.Getpid(), seq.Add(1))
}
