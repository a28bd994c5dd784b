package column

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"

	"github.com/tracectl/tracectl/internal/fixtures"
)

// footerBytes returns the footer of a parquet file.
func footerBytes(t testing.TB, file []byte) []byte {
	t.Helper()
	n := int(binary.LittleEndian.Uint32(file[len(file)-8:]))
	return file[len(file)-8-n : len(file)-8]
}

// TestCheckThriftAcceptsFooters: the footers of Tempo's block and of files
// FileWriter writes (every kind, encoding and nesting), and their page
// indexes, pass; so do values of every thrift type (a bool list, a map).
func TestCheckThriftAcceptsFooters(t *testing.T) {
	tempo, err := os.ReadFile(fixtures.Path(t, "tempo/vparquet4-block/single-tenant/b27b0e53-66a0-4505-afd6-434ae3cd4a10/data.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	fx := newCopyFixture(t)
	for name, file := range map[string][]byte{"tempo": tempo, "FileWriter": fx.file} {
		footer := footerBytes(t, file)
		if n, err := checkThrift(footer); err != nil || n != len(footer) {
			t.Errorf("%s footer: %d of %d bytes, %v", name, n, len(footer), err)
		}
	}
	for _, cc := range fx.md.RowGroups[0].Columns {
		ci := fx.file[cc.ColumnIndexOffset : cc.ColumnIndexOffset+int64(cc.ColumnIndexLength)]
		oi := fx.file[cc.OffsetIndexOffset : cc.OffsetIndexOffset+int64(cc.OffsetIndexLength)]
		if n, err := checkThrift(ci); err != nil || n != len(ci) {
			t.Errorf("column index of %v: %v", cc.MetaData.PathInSchema, err)
		}
		if n, err := checkThrift(oi); err != nil || n != len(oi) {
			t.Errorf("offset index of %v: %v", cc.MetaData.PathInSchema, err)
		}
	}
	type every struct {
		B  bool              `thrift:"1"`
		I8 int8              `thrift:"2"`
		I  int64             `thrift:"3"`
		F  float64           `thrift:"4"`
		S  []byte            `thrift:"5"`
		L  []bool            `thrift:"6"`
		M  map[string]int32  `thrift:"7"`
		N  []format.KeyValue `thrift:"40"` // a field ID too far for a delta
	}
	b, err := thrift.Marshal(new(thrift.CompactProtocol), &every{B: true, I8: -3, I: -1 << 40, F: 2.5, S: []byte("abc"),
		L: []bool{true, false, true}, M: map[string]int32{"a": 1, "b": -2}, N: []format.KeyValue{{Key: "k", Value: "v"}}})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := checkThrift(b); err != nil || n != len(b) {
		t.Errorf("every type: %d of %d bytes, %v", n, len(b), err)
	}
}

// TestOpenFileRefusesHugeLengths: a footer whose schema list claims 2^31-1
// elements (parquet-go would ask for hundreds of gigabytes, a fatal error)
// and one cut short are ErrCorrupt.
func TestOpenFileRefusesHugeLengths(t *testing.T) {
	fx := newCopyFixture(t)
	start := len(fx.file) - 8 - len(footerBytes(t, fx.file))
	huge := bytes.Clone(fx.file)
	// After the version (field 1): field 2, the schema, a list of structs
	// of 2^31-1, in long form.
	copy(huge[start+2:], []byte{0x19, 0xFC, 0xFF, 0xFF, 0xFF, 0xFF, 0x07})
	binary := bytes.Clone(fx.file)
	// field 2 as a byte string of 2^31-1
	copy(binary[start+2:], []byte{0x18, 0xFF, 0xFF, 0xFF, 0xFF, 0x07})
	deep := bytes.Clone(fx.file)
	copy(deep[start+2:], bytes.Repeat([]byte{0x1C}, 100)) // structs in structs
	for name, file := range map[string][]byte{"list": huge, "byte string": binary, "nesting": deep} {
		_, err := OpenFile(bytes.NewReader(file), int64(len(file)))
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", name, err)
		}
	}
	if _, err := OpenFile(bytes.NewReader(fx.file), int64(len(fx.file))); err != nil {
		t.Fatalf("the undamaged file: %v", err)
	}
}

// FuzzCheckThrift: random changes to a real footer never make the walk
// panic or loop, and whatever it accepts parquet-go decodes without
// allocating more than a small multiple of the footer's size.
func FuzzCheckThrift(f *testing.F) {
	fx := newCopyFixture(f)
	footer := footerBytes(f, fx.file)
	f.Add(uint32(0), []byte{0xFF})
	f.Add(uint32(2), []byte{0x19, 0xFC, 0xFF, 0xFF, 0xFF, 0xFF, 0x07})
	f.Add(uint32(40), []byte{0x00})
	f.Fuzz(func(t *testing.T, at uint32, patch []byte) {
		b := bytes.Clone(footer)
		copy(b[int(at)%len(b):], patch)
		if _, err := checkThrift(b); err != nil {
			return
		}
		var md format.FileMetaData
		_ = thrift.Unmarshal(new(thrift.CompactProtocol), b, &md) // must not ask for gigabytes
	})
}

// TestCheckThriftRandom: random bytes end in an error or a walk within
// them, never a panic.
func TestCheckThriftRandom(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for range 20000 {
		b := make([]byte, rng.Intn(64))
		rng.Read(b)
		if _, err := checkThrift(b); err != nil && !strings.Contains(err.Error(), "thrift at byte") {
			t.Fatal(err)
		}
	}
}

// TestCheckFooterExact: the footers of Tempo's block and of FileWriter's
// files are exact (their metadata fills them); one whose end is zeroed
// passes the length checks but is not exact, so a caller decodes it.
func TestCheckFooterExact(t *testing.T) {
	tempo, err := os.ReadFile(fixtures.Path(t, "tempo/vparquet4-block/single-tenant/b27b0e53-66a0-4505-afd6-434ae3cd4a10/data.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	zeroed := slices.Clone(tempo)
	clear(zeroed[len(zeroed)-200 : len(zeroed)-8])
	for _, tc := range []struct {
		name  string
		file  []byte
		exact bool
	}{
		{"tempo", tempo, true},
		{"FileWriter", newCopyFixture(t).file, true},
		{"end zeroed", zeroed, false},
	} {
		exact, err := CheckFooter(bytes.NewReader(tc.file), int64(len(tc.file)))
		if err != nil || exact != tc.exact {
			t.Errorf("%s: exact %v, %v; want %v", tc.name, exact, err, tc.exact)
		}
	}
}
