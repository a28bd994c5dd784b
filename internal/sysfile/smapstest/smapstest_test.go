package smapstest

import (
	"runtime"
	"testing"
	"unsafe"
)

// TestEntry reads the entry of a heap object's mapping: it has the fields
// every smaps entry has, and Rss covers the object, which was written.
func TestEntry(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("smaps is Linux's")
	}
	buf := make([]byte, 1<<20)
	for i := range buf {
		buf[i] = 1
	}
	e := Entry(t, uintptr(unsafe.Pointer(unsafe.SliceData(buf))))
	for _, name := range []string{"Size:", "Rss:", "VmFlags:"} {
		if _, ok := e[name]; !ok {
			t.Errorf("no %s field in %v", name, e)
		}
	}
	if rss := KiB(e, "Rss:"); rss < 1024 {
		t.Errorf("Rss %d KiB of the mapping holding a written 1 MiB buffer", rss)
	}
	if KiB(e, "NoSuchField:") != 0 {
		t.Error("KiB of a missing field is not 0")
	}
	runtime.KeepAlive(buf)
}
