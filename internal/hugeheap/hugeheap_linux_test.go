package hugeheap

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
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
	// The heap below the block was advised too (and collapsed where the
	// kernel can, which TestAdviseBelow checks: here the runtime may have
	// returned some of its free pages since, splitting the huge page).
	if below >= lo || lo-below > maxBelow*advised.page {
		t.Fatalf("advised from %#x below the block, want up to %d huge pages below %#x", below, maxBelow, lo)
	}
	flags, huge = mapping(t, below)
	if !contains(flags, "hg") {
		t.Errorf("the mapping at %#x has flags %v, want hg (MADV_HUGEPAGE)", below, flags)
	}
	t.Logf("advised from %#x below the block: AnonHugePages %d kB there", below, huge)
}

// hugeArea maps anonymous memory holding 4 aligned huge pages after at
// least 4 KiB of its own, touches 4 KiB pages in the middle two and
// returns the mapping and the start of the first huge page.
func hugeArea(t *testing.T, page uintptr) (m []byte, start uintptr) {
	t.Helper()
	m, err := syscall.Mmap(-1, 0, int(5*page), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Munmap(m) })
	p := uintptr(unsafe.Pointer(unsafe.SliceData(m)))
	start = (p + page) &^ (page - 1)
	for _, off := range []uintptr{page + 3<<12, 2*page + 7<<12, 3*page - 4096} {
		m[start-p+off] = byte(off >> 12)
	}
	return m, start
}

// collapseWorks reports whether this kernel collapses huge pages on
// request (MADV_COLLAPSE: Linux 6.1).
func collapseWorks(t *testing.T) bool {
	const page = 2 << 20
	_, start := hugeArea(t, page)
	_, _, e := syscall.Syscall(syscall.SYS_MADVISE, start+page, page, madvCollapse)
	return e == 0
}

// TestAdviseBelow advises and collapses two huge pages of a mapping,
// partly touched in 4 KiB pages, keeping what they held, and advises
// without collapsing one not touched; it stops at memory not mapped.
func TestAdviseBelow(t *testing.T) {
	const page = 2 << 20
	m, start := hugeArea(t, page)
	p := uintptr(unsafe.Pointer(unsafe.SliceData(m)))
	if got := adviseBelow(start+3*page, page, 2); got != start+page {
		t.Fatalf("adviseBelow(start+3 huge pages, 2) = start%+#x, want start+%#x", int64(got-start), page)
	}
	flags, huge := mapping(t, start+page)
	if !contains(flags, "hg") {
		t.Errorf("the mapping at start+%#x has flags %v, want hg (MADV_HUGEPAGE)", page, flags)
	}
	if collapseWorks(t) && huge < 2*page>>10 {
		t.Errorf("AnonHugePages %d kB after collapsing two huge pages", huge)
	}
	for _, off := range []uintptr{page + 3<<12, 2*page + 7<<12, 3*page - 4096} {
		if got := m[start-p+off]; got != byte(off>>12) {
			t.Errorf("byte at start+%#x is %d after collapsing, was %d", off, got, byte(off>>12))
		}
	}
	// Below start nothing is mapped once the mapping's head is gone: a
	// walk from start+2 huge pages stops after two, the second of which
	// (none of it touched) is advised only.
	if _, _, e := syscall.Syscall(syscall.SYS_MUNMAP, p, start-p, 0); e != 0 {
		t.Fatal(e)
	}
	if got := adviseBelow(start+2*page, page, 4); got != start {
		t.Errorf("adviseBelow(start+2 huge pages, 4) = start%+#x, want start", int64(got-start))
	}
	if flags, _ := mapping(t, start); !contains(flags, "hg") {
		t.Errorf("the mapping at start has flags %v, want hg (MADV_HUGEPAGE)", flags)
	}
	if got := adviseBelow(start, page, 4); got != 0 {
		t.Errorf("adviseBelow(start, 4) = %#x below unmapped memory, want 0", got)
	}
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
