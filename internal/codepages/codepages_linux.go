package codepages

import (
	"syscall"
	"unsafe"
)

// madvPopulateRead is MADV_POPULATE_READ (Linux 5.14): map the pages of a
// range as reads would, without the faults. Older kernels refuse it
// (EINVAL) and init gives up.
const madvPopulateRead = 22

func init() {
	if getenv(EnvVar) == "0" {
		return
	}
	maps, err := readSmall("/proc/self/maps", 64<<10)
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

// readSmall returns up to limit bytes of a file such as those of /proc,
// as os.ReadFile would, without importing os.
func readSmall(path string, limit int) ([]byte, error) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer syscall.Close(fd)
	buf := make([]byte, limit)
	n := 0
	for n < len(buf) {
		m, err := syscall.Read(fd, buf[n:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if m == 0 {
			break
		}
		n += m
	}
	return buf[:n], nil
}
