package codepages

import (
	"os"
	"os/exec"
	"testing"

	"github.com/tracectl/tracectl/internal/sysfile/smapstest"
)

// TestInitMapsCachedText checks what this test binary's own init did:
// it found its text segment, and the pages it populated are mapped (the
// mapping's Rss in /proc/self/smaps covers them).
func TestInitMapsCachedText(t *testing.T) {
	if os.Getenv(EnvVar) == "0" {
		t.Skipf("%s=0", EnvVar)
	}
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Skip(err)
	}
	lo, hi, ok := textMapping(string(maps), codeAddr())
	if !ok {
		t.Fatalf("no executable mapping holds %#x in\n%s", codeAddr(), maps)
	}
	if populated == 0 {
		// The binary was just linked: its code is in the page cache,
		// so only a kernel without MADV_POPULATE_READ maps nothing.
		t.Skipf("init mapped nothing (kernel before 5.14?)")
	}
	if populated > hi-lo {
		t.Fatalf("populated %d bytes of a %d-byte mapping", populated, hi-lo)
	}
	if rss := smapstest.KiB(smapstest.Entry(t, lo), "Rss:"); uintptr(rss)*1024 < populated {
		t.Errorf("text mapping's Rss is %d KiB, init populated %d KiB", rss, populated/1024)
	}
}

// TestTurnedOff runs the test binary again with TRACECTL_PREFAULT=0:
// its init maps nothing.
func TestTurnedOff(t *testing.T) {
	if os.Getenv("CODEPAGES_CHILD") == "1" {
		if populated != 0 {
			t.Fatalf("init populated %d bytes with %s=0", populated, EnvVar)
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestTurnedOff$", "-test.count=1")
	cmd.Env = append(os.Environ(), "CODEPAGES_CHILD=1", EnvVar+"=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
}
