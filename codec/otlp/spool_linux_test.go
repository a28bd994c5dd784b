package otlp

import (
	"syscall"
	"testing"
)

// A write to the temporary file that fails part way (here: past the file
// size limit, as a full $TMPDIR would) leaves the field held in memory:
// the decode gives what the held path gives.
func TestSpoolWriteFails(t *testing.T) {
	in := largeResourceProto(t)
	const chunk = 4 << 10
	held := decodeReadBack(in, chunk, nil, true)
	t.Setenv("TMPDIR", t.TempDir())

	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		t.Skip(err)
	}
	small := lim
	small.Cur = 64 << 10 // the large resource spans is 180 KB
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &small); err != nil {
		t.Skip(err)
	}
	got := decodeReadBack(in, chunk, nil, false)
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		t.Fatal(err)
	}
	if diff := quickDiff(held, got); diff != "" {
		t.Errorf("after a failed write, differs from held (-held +spooled):\n%s", diff)
	}
}
