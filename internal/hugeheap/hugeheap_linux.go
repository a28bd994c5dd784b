package hugeheap

import (
	"runtime"
	"syscall"
	"unsafe"

	"github.com/tracectl/tracectl/internal/sysfile"
)

const thpDir = "/sys/kernel/mm/transparent_hugepage/"

// (Imports: runtime, syscall, unsafe and internal/sysfile only. A
// package is initialised once all it imports are, the first in
// import-path order of those ready going first. With os, strings or
// strconv (which wait for unicode, late by its name) this init came 94th,
// and the heap pages below the block, taken by then, served the next
// allocations in 4 KiB pages: 660 of `tracectl version`'s faults. It now
// comes 20th, right after syscall, internal/codepages and
// internal/heapprof (which allocate almost nothing), and 270-330 faults
// are left there.)

func init() {
	mode, err := sysfile.ReadSmall(thpDir+"enabled", 256)
	if err != nil || !wanted(string(mode)) {
		return
	}
	size, err := sysfile.ReadSmall(thpDir+"hpage_pmd_size", 256)
	if err != nil {
		return
	}
	page, ok := parseUint(string(size))
	if !ok || !usablePage(page) {
		return
	}
	region := regionBytes
	if cmdline, err := sysfile.ReadSmall("/proc/self/cmdline", cmdlineBytes); err == nil && isIngest(string(cmdline)) && roomToReserve() {
		region += ingestExtra
	}
	lo, hi, ok := advise(uintptr(page), region)
	if ok {
		advised.lo, advised.hi, advised.page = lo, hi, uintptr(page)
	}
	// The block advise allocated is garbage now: collect it, so that the
	// heap hands its pages out next.
	runtime.GC()
	if ok {
		below = adviseBelow(lo, uintptr(page), maxBelow)
	}
}

// madvCollapse is MADV_COLLAPSE (Linux 6.1): turn the pages of a range
// into a huge page now, copying those already mapped. Older kernels
// refuse it (EINVAL), and so does this one for a range none of whose pages
// is mapped yet.
const madvCollapse = 25

// maxBelow is how many huge pages below the advised range init advises
// and collapses: the heap mapped before the block (4 MiB when this init
// runs 20th).
const maxBelow = 2

// below is the lowest address init advised below the block (for tests; 0
// when none).
var below uintptr

// adviseBelow gives huge pages to up to n huge pages (of size page) just
// below lo, from lo down, and returns the lowest address it reached (0
// when none).
//
// Below the advised block lies the heap the runtime used before it, and
// the start of the block in its first, unaligned huge page. The heap
// allocates its lowest free pages first, so once init has collected the
// block the program's next allocations fill these pages before any of the
// block's: 230-480 of `tracectl version`'s 1,300-1,400 faults were there, 1-3 ms
// on this machine. Each huge page is advised MADV_HUGEPAGE, which serves
// one none of whose pages is mapped yet, and collapsed (MADV_COLLAPSE):
// some of the others are mapped in 4 KiB pages already, which advice can
// no longer change, and collapsing copies them into a huge page that maps
// the rest too. The walk stops at the first range the kernel cannot
// advise: memory not mapped.
func adviseBelow(lo, page uintptr, n int) uintptr {
	var low uintptr
	for ; n > 0 && lo >= page; n-- {
		lo -= page
		if _, _, e := syscall.Syscall(syscall.SYS_MADVISE, lo, page, syscall.MADV_HUGEPAGE); e != 0 {
			break
		}
		syscall.Syscall(syscall.SYS_MADVISE, lo, page, madvCollapse)
		low = lo
	}
	return low
}

// roomToReserve is roomFor on this process's limit and the system's
// overcommit mode.
func roomToReserve() bool {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_AS, &rl); err != nil {
		return false
	}
	mode, err := sysfile.ReadSmall("/proc/sys/vm/overcommit_memory", 64)
	return roomFor(rl.Cur, mode, err)
}

// advise allocates a block of n bytes and advises MADV_HUGEPAGE on the
// huge pages (of size page) inside it, returning their range. The block
// is fresh memory, which the runtime does not clear, so nothing of it is
// touched. The allocation may start a collection of its own: runtime.GC
// after it waits for that one and collects again.
func advise(page uintptr, n int) (lo, hi uintptr, ok bool) {
	b := make([]byte, n)
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	lo = (p + page - 1) &^ (page - 1)
	hi = (p + uintptr(n)) &^ (page - 1)
	if hi <= lo {
		return 0, 0, false
	}
	return lo, hi, syscall.Madvise(b[lo-p:hi-p], syscall.MADV_HUGEPAGE) == nil
}
