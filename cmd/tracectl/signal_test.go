package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tracectl/tracectl/internal/ui"
)

// signalCases are the signals that stop a command, with its exit status
// and last message.
var signalCases = []struct {
	sig  os.Signal
	code int
	msg  string
}{
	{syscall.SIGTERM, exitTerminated, "tracectl: terminated"},
	{os.Interrupt, exitInterrupted, "tracectl: interrupted"},
}

// TestSignals: SIGTERM and SIGINT during an ingest stop it cleanly (nothing
// written to the bucket, no spill directory left) with exit 143 and 130.
func TestSignals(t *testing.T) {
	for _, tc := range signalCases {
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

// TestSignalWhileFinishing: a signal that comes while a command finishes
// its work (here before it starts: version does not wait on anything)
// still makes it exit as interrupted or terminated.
func TestSignalWhileFinishing(t *testing.T) {
	for _, tc := range signalCases {
		t.Run(tc.msg, func(t *testing.T) {
			sigs := make(chan os.Signal, 1)
			sigs <- tc.sig
			var stderr bytes.Buffer
			code := runWithSignals([]string{"version"}, &ui.IO{In: strings.NewReader(""), Out: io.Discard, Err: &stderr}, sigs)
			if code != tc.code || !strings.Contains(stderr.String(), tc.msg) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr.String(), tc.code, tc.msg)
			}
		})
	}
}

// TestSIGTERMProcess sends a real SIGTERM to a tracectl process in the
// middle of an ingest that has spilled sorted runs to disk (an endless
// OTLP JSON stream on stdin, a 1 MiB memory budget): it exits 143 with
// "terminated", and neither the bucket nor TMPDIR keeps anything.
func TestSIGTERMProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a tracectl process")
	}
	if runtime.GOOS == "windows" {
		t.Skip("no SIGTERM on Windows")
	}
	dir, tmp := t.TempDir(), t.TempDir()
	cmd := exec.Command(tracectlPath(t), "--bucket", "file://"+dir, "ingest", "--memory-budget", "1MiB", "-")
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		// One export request per line, each with 200 new spans.
		for i := 0; ; i++ {
			var b strings.Builder
			b.WriteString(`{"resourceSpans":[{"scopeSpans":[{"spans":[`)
			for j := range 200 {
				if j > 0 {
					b.WriteString(",")
				}
				fmt.Fprintf(&b, `{"traceId":"%032x","spanId":"%016x","name":"s","startTimeUnixNano":"1767225600000000000","endTimeUnixNano":"1767225601000000000"}`, i*200+j+1, j+1)
			}
			b.WriteString("]}]}]}\n")
			if _, err := io.WriteString(stdin, b.String()); err != nil {
				return
			}
		}
	}()
	// Wait until a sorted run was spilled.
	deadline := time.Now().Add(20 * time.Second)
	for {
		var files int
		_ = filepath.WalkDir(tmp, func(_ string, e os.DirEntry, err error) error {
			if err == nil && !e.IsDir() {
				files++
			}
			return nil
		})
		if files > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no spill file after 20 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("tracectl did not stop within 20 s of SIGTERM")
	}
	stdin.Close()
	if code := cmd.ProcessState.ExitCode(); code != exitTerminated || !strings.Contains(stderr.String(), "tracectl: terminated") {
		t.Errorf("exit %d, stderr %q; want %d and \"tracectl: terminated\"", code, stderr.String(), exitTerminated)
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
}
