// Package column reads the leaf columns of a parquet row group as streams
// of entries — (repetition level, definition level, value) — page by page,
// through parquet-go's page API, and writes them (FileWriter): pages,
// statistics, page indexes and footer, encoded with parquet-go's
// encodings and codecs. No row is reconstructed and no reflection is
// used: callers walk the levels of the columns they need and join them by
// position, the way a columnar engine does.
//
// Glossary (Dremel's record shredding, as parquet stores nested data):
//
//   - Leaf: one leaf column of a file's schema (Lookup).
//   - Entry: one position of a column chunk. A leaf under k repeated
//     ancestors (lists) has an entry per element of its innermost list
//     and one per empty or absent list above it.
//   - Repetition level (rep): 0 starts a new row; r > 0 adds an element to
//     the list at depth r (the r-th repeated ancestor from the root) and
//     starts new lists below it.
//   - Definition level (def): how deep the entry's path is defined. The
//     list at depth j has an element in this entry when def >= DefAt[j-1];
//     the entry holds a value only when def == MaxDef.
//   - Dictionary: the distinct values of a column chunk; dictionary-encoded
//     pages hold indexes into it, which lets predicates be tested once per
//     distinct value (Reader.DictIndex, Dict).
package column

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"
)

// Leaf describes a leaf column of a file's schema.
type Leaf struct {
	// Index is the column index in the file (the order of the leaves).
	Index int
	// Path is the column path, every level included.
	Path []string
	// MaxRep and MaxDef are the largest repetition and definition levels.
	MaxRep, MaxDef byte
	// DefAt[j] is the definition level at which the (j+1)-th repeated
	// ancestor of the leaf, from the root, holds an element.
	DefAt []byte
	// Kind is the physical type.
	Kind parquet.Kind
}

// Lookup returns the leaf at path in s. It walks the path to find the
// definition level of every repeated ancestor.
func Lookup(s *parquet.Schema, path ...string) (Leaf, bool) {
	lc, ok := s.Lookup(path...)
	if !ok || !lc.Node.Leaf() {
		return Leaf{}, false
	}
	l := Leaf{
		Index:  lc.ColumnIndex,
		Path:   append([]string(nil), path...),
		MaxRep: byte(lc.MaxRepetitionLevel),
		MaxDef: byte(lc.MaxDefinitionLevel),
		Kind:   lc.Node.Type().Kind(),
	}
	var n parquet.Node = s
	def := byte(0)
	for _, name := range path {
		var next parquet.Node
		for _, f := range n.Fields() {
			if f.Name() == name {
				next = f
				break
			}
		}
		if next == nil {
			return Leaf{}, false
		}
		n = next
		switch {
		case n.Repeated():
			def++
			l.DefAt = append(l.DefAt, def)
		case n.Optional():
			def++
		}
	}
	if def != l.MaxDef || len(l.DefAt) != int(l.MaxRep) {
		return Leaf{}, false
	}
	return l, true
}

// OpenFile is parquet.OpenFile with a recover: parquet-go may panic on a
// damaged footer, which becomes an ErrCorrupt error instead. The footer is
// checked first (checkFooter): parquet-go allocates what a damaged length
// claims, which no recover survives.
func OpenFile(r io.ReaderAt, size int64, opts ...parquet.FileOption) (f *parquet.File, err error) {
	defer func() {
		if x := recover(); x != nil {
			f, err = nil, fmt.Errorf("%w: footer: %v", ErrCorrupt, x)
		}
	}()
	if _, _, err := checkFooter(r, size); err != nil {
		return nil, err
	}
	return parquet.OpenFile(r, size, opts...)
}

// CheckFooter makes the checks OpenFile makes before decoding the footer
// (checkFooter), for a caller that wants to know whether a file opens
// without decoding its footer. exact reports that the footer's metadata
// fills it to the byte, as tracectl and Tempo write it; a footer that is
// not exact (a zeroed or cut end, read as a stop field) may still decode,
// which only decoding tells. An exact footer may still not decode (a field
// of the wrong type, a schema that is no trace schema).
func CheckFooter(r io.ReaderAt, size int64) (exact bool, err error) {
	walked, n, err := checkFooter(r, size)
	return err == nil && walked == n, err
}

// checkFooter reads the end of a parquet file of size bytes (readFooter)
// and checks the footer's own lengths (checkThrift). walked is the bytes
// the footer's metadata takes, of the footer's n.
func checkFooter(r io.ReaderAt, size int64) (walked, n int, err error) {
	footer, err := readFooter(r, size)
	if err != nil {
		return 0, 0, err
	}
	if walked, err = checkThrift(footer); err != nil {
		return 0, 0, fmt.Errorf("%w: footer: %v", ErrCorrupt, err)
	}
	return walked, len(footer), nil
}

// readFooter reads the footer of a parquet file of size bytes
// after checking the magic and a footer length that fits in the file
// (parquet-go allocates the length it reads before comparing it with the
// file: a flipped bit would cost gigabytes). Damage is an error wrapping
// ErrCorrupt; a failed read is returned as it is.
func readFooter(r io.ReaderAt, size int64) (footer []byte, err error) {
	if size < 12 {
		return nil, fmt.Errorf("%w: %d bytes: too short for a parquet file", ErrCorrupt, size)
	}
	var end [8]byte
	if _, err := r.ReadAt(end[:], size-8); err != nil {
		return nil, err
	}
	if string(end[4:]) != "PAR1" {
		return nil, fmt.Errorf("%w: no parquet magic at the end", ErrCorrupt)
	}
	length := int64(binary.LittleEndian.Uint32(end[:4]))
	if length > size-12 {
		return nil, fmt.Errorf("%w: parquet footer of %d bytes in a file of %d", ErrCorrupt, length, size)
	}
	footer = make([]byte, length)
	if got, err := r.ReadAt(footer, size-8-length); got < len(footer) {
		return nil, err
	}
	return footer, nil
}
