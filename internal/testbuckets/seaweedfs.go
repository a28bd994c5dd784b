package testbuckets

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gocloud.dev/blob"
)

// SeaweedFS credentials: the identity weed mini makes its admin from the
// environment it starts with.
const (
	seaweedKey    = "tracectl"
	seaweedSecret = "tracectl-secret"
)

// startSeaweedFS runs `weed mini` (a real S3 server that checks
// signatures) from $TRACECTL_TEST_SEAWEEDFS for the test, bound to
// 127.0.0.1 with telemetry off. weed mini listens on several fixed ports
// besides S3, so tests using it hold a lock file and run one at a time,
// even across packages.
func startSeaweedFS(t *testing.T) *Backend {
	weed := os.Getenv("TRACECTL_TEST_SEAWEEDFS")
	if weed == "" {
		t.Skip("SeaweedFS not enabled: run scripts/test --seaweedfs, or export TRACECTL_TEST_SEAWEEDFS=$(scripts/seaweedfs)")
	}
	if _, err := os.Stat(weed); err != nil {
		t.Fatalf("TRACECTL_TEST_SEAWEEDFS: %v", err)
	}
	lockSeaweedFS(t)
	port := freePort(t)
	dir := t.TempDir()
	cmd := exec.Command(weed, "mini", "-dir="+dir, "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
		"-master.telemetry=false", "-webdav=false", "-admin.ui=false",
		"-s3.port="+strconv.Itoa(port), "-s3.port.iceberg=0", "-s3.port.lance=0",
		"-bucket="+BucketName)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+seaweedKey, "AWS_SECRET_ACCESS_KEY="+seaweedSecret)
	out, exited := startServer(t, "weed mini", cmd)

	endpoint := "http://127.0.0.1:" + strconv.Itoa(port)
	b := &Backend{
		URL:               s3URL(endpoint, BucketName),
		missingURL:        s3URL(endpoint, MissingBucket),
		Env:               []string{"AWS_ACCESS_KEY_ID=" + seaweedKey, "AWS_SECRET_ACCESS_KEY=" + seaweedSecret},
		badEnv:            []string{"AWS_ACCESS_KEY_ID=" + seaweedKey, "AWS_SECRET_ACCESS_KEY=wrong-secret"},
		LingeringPrefixes: true,
		AuthChecked:       true,
	}
	for _, kv := range b.Env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	// Ready when an authenticated write succeeds; the S3 port answers
	// before that.
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	bk := OpenURL(t, b.URL)
	for {
		err := bk.Upload(ctx, "ready", bytes.NewReader([]byte("ok")), &blob.WriterOptions{ContentType: "text/plain"})
		if err == nil {
			_ = bk.Delete(ctx, "ready")
			break
		}
		select {
		case <-exited:
			t.Fatalf("weed mini exited:\n%s", out.String())
		case <-ctx.Done():
			t.Fatalf("weed mini not ready after 90s: %v\n%s", err, out.String())
		case <-time.After(250 * time.Millisecond):
		}
	}
	return b
}

// lockSeaweedFS holds an exclusive lock on a file in the temp directory
// until the test's cleanup.
func lockSeaweedFS(t *testing.T) {
	f, err := os.OpenFile(filepath.Join(os.TempDir(), "tracectl-seaweedfs.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	})
}
