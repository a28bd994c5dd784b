package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tracectl/tracectl/internal/ui"
)

// TestSignals: SIGTERM and SIGINT during an ingest stop it cleanly (nothing
// written to the bucket, no spill directory left) with exit 143 and 130.
func TestSignals(t *testing.T) {
	for _, tc := range []struct {
		sig  os.Signal
		code int
		msg  string
	}{
		{syscall.SIGTERM, exitTerminated, "tracectl: terminated"},
		{os.Interrupt, exitInterrupted, "tracectl: interrupted"},
	} {
		t.Run(tc.msg, func(t *testing.T) {
			dir, tmp := t.TempDir(), t.TempDir()
			t.Setenv("TMPDIR", tmp)
			in, w := io.Pipe() // stdin that never ends: the ingest waits on it
			defer w.Close()
			go w.Write([]byte(`{"resourceSpans":[`))
			var stderr bytes.Buffer
			sigs := make(chan os.Signal, 1)
			done := make(chan int)
			go func() {
				done <- runWithSignals([]string{"--bucket", "file://" + dir, "ingest", "-"}, &ui.IO{In: in, Out: io.Discard, Err: &stderr}, sigs)
			}()
			time.Sleep(100 * time.Millisecond)
			sigs <- tc.sig
			// A signal does not unblock a read of stdin: end it once the
			// signal has cancelled the command.
			time.Sleep(50 * time.Millisecond)
			w.CloseWithError(io.ErrClosedPipe)
			select {
			case code := <-done:
				if code != tc.code || !strings.Contains(stderr.String(), tc.msg) {
					t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr.String(), tc.code, tc.msg)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the command did not stop")
			}
			for _, d := range []string{dir, tmp} {
				var left []string
				_ = filepath.WalkDir(d, func(p string, e os.DirEntry, err error) error {
					if err == nil && p != d {
						left = append(left, p)
					}
					return nil
				})
				if len(left) > 0 {
					t.Errorf("left behind: %v", left)
				}
			}
		})
	}
}
