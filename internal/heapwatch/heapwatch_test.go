package heapwatch

import "testing"

// TestStartSeesAllocation: holding a 64 MiB slice raises the peak by at
// least that much.
func TestStartSeesAllocation(t *testing.T) {
	stop := Start()
	base := stop()
	stop = Start()
	b := make([]byte, 64<<20)
	for i := range b {
		b[i] = byte(i)
	}
	peak := stop()
	if peak < base+60<<20 {
		t.Errorf("peak %d bytes, want at least %d above the %d before", peak, 60<<20, base)
	}
	_ = b[len(b)-1]
}
