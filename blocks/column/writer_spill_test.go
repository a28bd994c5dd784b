package column

import (
	"bytes"
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// TestFileWriterSpill: a file written with its pages past the first few
// bytes of every row group kept in a temporary file is byte for byte the
// file written with every page in memory, whatever is kept in memory;
// the temporary file is gone once the writer is closed or discarded, and
// a directory where it cannot be made leaves the pages in memory.
func TestFileWriterSpill(t *testing.T) {
	schema := parquet.SchemaOf(writerRow{})
	rows := randomRows(rand.New(rand.NewSource(9)), 1500)
	write := func(opts FileOptions) []byte {
		t.Helper()
		opts.PageBytes = 1 << 10
		var buf bytes.Buffer
		fw, err := NewFileWriter(&buf, schema, opts)
		if err != nil {
			t.Fatal(err)
		}
		if err := writeRows(fw, schema, rows, 600); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	want := write(FileOptions{})
	for _, keep := range []int64{1, 5 << 10, 40 << 10, 1 << 30} {
		dir := t.TempDir()
		if got := write(FileOptions{SpillDir: dir, KeepPageBytes: keep}); !bytes.Equal(got, want) {
			t.Errorf("keeping %d bytes of pages in memory: the file differs", keep)
		}
		if left, _ := os.ReadDir(dir); len(left) > 0 {
			t.Errorf("keeping %d bytes: %d files left in the spill directory", keep, len(left))
		}
	}

	// Discarded half written: nothing left either.
	dir := t.TempDir()
	fw, err := NewFileWriter(&bytes.Buffer{}, schema, FileOptions{PageBytes: 1 << 10, SpillDir: dir, KeepPageBytes: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := writeSome(fw, schema, rows[:700]); err != nil {
		t.Fatal(err)
	}
	fw.Discard()
	if left, _ := os.ReadDir(dir); len(left) > 0 {
		t.Errorf("discarded: %d files left in the spill directory", len(left))
	}
	if err := fw.Close(); err == nil {
		t.Error("Close after Discard: no error")
	}

	// A spill directory that does not exist: the pages stay in memory.
	if got := write(FileOptions{SpillDir: filepath.Join(dir, "missing"), KeepPageBytes: 1}); !bytes.Equal(got, want) {
		t.Error("spilling into a missing directory: the file differs")
	}
}
