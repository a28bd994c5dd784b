package codepages

import (
	"syscall"
	"unsafe"

	"github.com/tracectl/tracectl/internal/sysfile"
)

// madvPopulateRead is MADV_POPULATE_READ (Linux 5.14): map the pages of a
// range as reads would, without the faults. Older kernels refuse it
// (EINVAL) and init gives up.
const madvPopulateRead = 22

func init() {
	if sysfile.Getenv(EnvVar) == "0" {
		return
	}
	maps, err := sysfile.ReadSmall("/proc/self/maps", 64<<10)
	if err != nil {
		return
	}
	lo, hi, ok := textMapping(string(maps), codeAddr())
	page := uintptr(syscall.Getpagesize())
	if !ok || lo%page != 0 || hi%page != 0 {
		return
	}
	vec := make([]byte, (hi-lo)/page)
	if _, _, e := syscall.Syscall(syscall.SYS_MINCORE, lo, hi-lo, uintptr(unsafe.Pointer(unsafe.SliceData(vec)))); e != 0 {
		return
	}
	runs, _ := residentRuns(vec, maxRuns)
	for _, r := range runs {
		start, n := lo+uintptr(r[0])*page, uintptr(r[1]-r[0])*page
		if _, _, e := syscall.Syscall(syscall.SYS_MADVISE, start, n, madvPopulateRead); e != 0 {
			return
		}
		populated += n
	}
}

// codeAddr returns an address in the text segment: its own. A func value
// points to a word holding the function's entry address.
func codeAddr() uintptr {
	f := codeAddr
	return **(**uintptr)(unsafe.Pointer(&f))
}
