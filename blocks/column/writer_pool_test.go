package column

import (
	"bytes"
	"math/rand"
	"sync"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// TestPooledBuffersWriteSameBytes: a file written with buffers other
// writers of the same columns used before (and, at once, beside it) is
// byte for byte the file written with fresh buffers; a closed writer's
// size is 0, not its given-back buffers'.
func TestPooledBuffersWriteSameBytes(t *testing.T) {
	schema := parquet.SchemaOf(writerRow{})
	write := func(seed int64) ([]byte, *FileWriter) {
		var buf bytes.Buffer
		fw, err := NewFileWriter(&buf, schema, FileOptions{PageBytes: 1 << 10 * int(seed)})
		if err != nil {
			t.Error(err)
			return nil, nil
		}
		rows := randomRows(rand.New(rand.NewSource(seed)), 700)
		if err := writeRows(fw, schema, rows, 100*int(seed)); err != nil {
			t.Error(err)
		}
		return buf.Bytes(), fw
	}
	fresh := map[int64][]byte{}
	for seed := int64(1); seed <= 6; seed++ {
		bufferPools.Clear()
		var fw *FileWriter
		fresh[seed], fw = write(seed)
		if n := fw.GroupSize(); n != 0 {
			t.Errorf("GroupSize after Close = %d, want 0", n)
		}
	}
	for round := range 3 {
		var wg sync.WaitGroup
		for seed := int64(6); seed >= 1; seed-- {
			wg.Go(func() {
				if got, _ := write(seed); !bytes.Equal(got, fresh[seed]) {
					t.Errorf("round %d, seed %d: the file written with pooled buffers differs", round, seed)
				}
			})
		}
		wg.Wait()
	}
}
