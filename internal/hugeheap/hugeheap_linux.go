package hugeheap

import (
	"os"
	"runtime"
	"syscall"
	"unsafe"
)

// madvHugepage is MADV_HUGEPAGE (not in package syscall).
const madvHugepage = 14

func init() {
	mode, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	if err != nil || !wanted(string(mode)) {
		return
	}
	advise()
	// The block advise allocated is garbage now: collect it, so that the
	// heap hands its pages out next.
	runtime.GC()
}

// advise allocates a block of regionBytes and advises MADV_HUGEPAGE on
// the huge pages inside it.
func advise() {
	b := make([]byte, regionBytes)
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	lo := (p + hugePage - 1) &^ (hugePage - 1)
	hi := (p + regionBytes) &^ (hugePage - 1)
	if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, lo, hi-lo, madvHugepage); errno == 0 {
		advised.lo, advised.hi = lo, hi
	}
}
