package hugeheap

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"unsafe"
)

const thpDir = "/sys/kernel/mm/transparent_hugepage/"

// (Only packages that most others import: a package is initialised once
// all it imports are, and golang.org/x/sys/unix or runtime/debug would
// put this init after some 200 others, which fault in their memory first.)

func init() {
	mode, err := os.ReadFile(thpDir + "enabled")
	if err != nil || !wanted(string(mode)) {
		return
	}
	size, err := os.ReadFile(thpDir + "hpage_pmd_size")
	if err != nil {
		return
	}
	page, err := strconv.ParseUint(strings.TrimSpace(string(size)), 10, 64)
	if err != nil || !usablePage(page) {
		return
	}
	advise(uintptr(page))
	// The block advise allocated is garbage now: collect it, so that the
	// heap hands its pages out next.
	runtime.GC()
}

// advise allocates a block of regionBytes and advises MADV_HUGEPAGE on
// the huge pages (of size page) inside it. The allocation may start a
// collection of its own: runtime.GC after it waits for that one and
// collects again.
func advise(page uintptr) {
	b := make([]byte, regionBytes)
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	lo := (p + page - 1) &^ (page - 1)
	hi := (p + regionBytes) &^ (page - 1)
	if hi <= lo {
		return
	}
	if syscall.Madvise(b[lo-p:hi-p], syscall.MADV_HUGEPAGE) == nil {
		advised.lo, advised.hi, advised.page = lo, hi, page
	}
}
