package hugeheap

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/tracectl/tracectl/internal/sysfile/smapstest"
)

// systemWants skips t unless this process's init was to advise.
func systemWants(t *testing.T) {
	t.Helper()
	mode, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	if err != nil {
		t.Skipf("no THP here: %v", err)
	}
	if !wanted(string(mode)) {
		t.Skipf("THP mode %q (or turned off): init leaves the heap alone", strings.TrimSpace(string(mode)))
	}
}

// mapping returns the VmFlags and AnonHugePages (KiB) of the mapping
// holding addr.
func mapping(t *testing.T, addr uintptr) (flags []string, hugeKiB int) {
	t.Helper()
	e := smapstest.Entry(t, addr)
	return e["VmFlags:"], smapstest.KiB(e, "AnonHugePages:")
}

// inChild runs the calling test again in a fresh process (the heap's
// state is the point: it must be the one init left, whatever ran before
// or -count repeats) and reports whether this is that process.
func inChild(t *testing.T, env ...string) bool {
	t.Helper()
	if os.Getenv("HUGEHEAP_CHILD") == "1" {
		return true
	}
	systemWants(t)
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.v", "-test.count=1")
	cmd.Env = append(append(os.Environ(), "HUGEHEAP_CHILD=1"), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	t.Logf("%s", out)
	return false
}

func TestHeapAdvised(t *testing.T) {
	if !inChild(t) {
		return
	}
	lo, hi := advised.lo, advised.hi
	if hi <= lo {
		t.Fatal("init advised nothing")
	}
	if hi-lo < regionBytes-2*advised.page {
		t.Errorf("advised %d bytes, want about %d", hi-lo, regionBytes)
	}
	flags, _ := mapping(t, lo)
	if !contains(flags, "hg") {
		t.Errorf("the mapping at %#x has flags %v, want hg (MADV_HUGEPAGE)", lo, flags)
	}
	// The premise: what the program allocates next comes out of the
	// advised block, freed by init (it may begin in the block's first,
	// unaligned huge page, which is not advised).
	b := make([]byte, 4<<20)
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	if in := min(p+uintptr(len(b)), hi) - max(p, lo); p+uintptr(len(b)) <= lo || p >= hi || in < uintptr(len(b))/2 {
		t.Fatalf("a 4 MiB allocation at %#x, not half in the advised %#x-%#x", p, lo, hi)
	}
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1
	}
	_, huge := mapping(t, lo)
	t.Logf("advised %#x-%#x; after touching 4 MiB there: AnonHugePages %d kB", lo, hi, huge)
}

// TestIngestRegion checks that an ingest's init advises regionBytes and
// ingestExtra in one block without touching it (the resident memory of
// the process stays far below the block), and regionBytes alone under an
// address-space limit.
func TestIngestRegion(t *testing.T) {
	if os.Getenv("HUGEHEAP_CHILD") == "1" {
		checkIngestRegion(t)
		return
	}
	systemWants(t)
	for _, limited := range []bool{false, true} {
		// The test binary run again with "ingest" as its first argument
		// after its flags, under ulimit -v for the second run.
		args := []string{"-test.run=^" + t.Name() + "$", "-test.v", "-test.count=1", "ingest"}
		var cmd *exec.Cmd
		want := "1"
		if limited {
			want = "0"
			cmd = exec.Command("sh", append([]string{"-c", `ulimit -v 8388608 && exec "$0" "$@"`, os.Args[0]}, args...)...)
		} else {
			if !roomToReserve() {
				t.Log("this process has no room: the unlimited run is skipped")
				continue
			}
			cmd = exec.Command(os.Args[0], args...)
		}
		cmd.Env = append(os.Environ(), "HUGEHEAP_CHILD=1", "HUGEHEAP_WANT_EXTRA="+want)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("limited %v: %v\n%s", limited, err, out)
		}
		t.Logf("limited %v: %s", limited, out)
	}
}

func checkIngestRegion(t *testing.T) {
	lo, hi := advised.lo, advised.hi
	want := uintptr(regionBytes)
	if os.Getenv("HUGEHEAP_WANT_EXTRA") == "1" {
		want += ingestExtra
	}
	if hi-lo < want-2*advised.page || hi-lo > want {
		t.Fatalf("advised %#x-%#x (%d bytes), want about %d", lo, hi, hi-lo, want)
	}
	flags, _ := mapping(t, lo)
	if !contains(flags, "hg") {
		t.Errorf("the mapping at %#x has flags %v, want hg (MADV_HUGEPAGE)", lo, flags)
	}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "VmRSS:" {
			kib, _ := strconv.Atoi(f[1])
			t.Logf("VmRSS %d KiB", kib)
			if kib > 100<<10 {
				t.Errorf("VmRSS %d KiB after init: the block was touched", kib)
			}
		}
	}
}

// TestTurnedOff checks that with TRACECTL_HUGEPAGES=0 init advises
// nothing.
func TestTurnedOff(t *testing.T) {
	if !inChild(t, EnvVar+"=0") {
		return
	}
	if advised.hi > advised.lo {
		t.Errorf("with TRACECTL_HUGEPAGES=0 init advised %#x-%#x", advised.lo, advised.hi)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
