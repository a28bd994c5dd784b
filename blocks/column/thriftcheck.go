package column

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/parquet-go/parquet-go/encoding/thrift"
)

// Checking thrift lengths before parquet-go decodes: its decoder makes a
// list as long as the list header claims before reading an element, so a
// damaged footer that claims 2^31-1 schema elements or row groups asks the
// runtime for hundreds of gigabytes, a fatal error no recover catches.
// checkThrift walks the bytes without building anything; footers, page
// indexes and page headers go through it first.

// maxThriftDepth bounds the nesting of structs and containers walked.
const maxThriftDepth = 64

// Compact protocol types.
const (
	tBoolTrue  = 1
	tBoolFalse = 2
	tI8        = 3
	tI16       = 4
	tI32       = 5
	tI64       = 6
	tDouble    = 7
	tBinary    = 8
	tList      = 9
	tSet       = 10
	tMap       = 11
	tStruct    = 12
	tUUID      = 13
)

var errThriftShort = errors.New("ends early")

// checkThrift checks that b begins with a thrift compact-protocol struct
// whose lists, sets, maps and byte strings claim no more elements or bytes
// than b holds after them, and returns the struct's length.
func checkThrift(b []byte) (int, error) {
	w := thriftWalker{b: b}
	if err := w.structure(0); err != nil {
		return 0, fmt.Errorf("thrift at byte %d: %w", w.pos, err)
	}
	return w.pos, nil
}

// decodeBounded decodes the thrift (compact) struct at the start of b into
// v once checkThrift has found its lengths sound, and returns its length.
func decodeBounded(b []byte, v any) (int, error) {
	n, err := checkThrift(b)
	if err != nil {
		return 0, err
	}
	return n, thrift.Unmarshal(new(thrift.CompactProtocol), b[:n], v)
}

type thriftWalker struct {
	b   []byte
	pos int
}

func (w *thriftWalker) left() int { return len(w.b) - w.pos }

func (w *thriftWalker) byte1() (byte, error) {
	if w.pos >= len(w.b) {
		return 0, errThriftShort
	}
	w.pos++
	return w.b[w.pos-1], nil
}

func (w *thriftWalker) uvarint() (uint64, error) {
	if w.pos < len(w.b) && w.b[w.pos] < 0x80 { // most are one byte
		w.pos++
		return uint64(w.b[w.pos-1]), nil
	}
	v, n := binary.Uvarint(w.b[w.pos:])
	if n <= 0 {
		return 0, errThriftShort
	}
	w.pos += n
	return v, nil
}

func (w *thriftWalker) skip(n uint64) error {
	if n > uint64(w.left()) {
		return fmt.Errorf("%d bytes claimed, %d left", n, w.left())
	}
	w.pos += int(n)
	return nil
}

// count checks a container of n elements, each at least per bytes long.
func (w *thriftWalker) count(n uint64, per int) error {
	if n > uint64(w.left()/per) {
		return fmt.Errorf("%d elements claimed in %d bytes", n, w.left())
	}
	return nil
}

func (w *thriftWalker) structure(depth int) error {
	if depth > maxThriftDepth {
		return errors.New("nested too deep")
	}
	for {
		if w.pos >= len(w.b) {
			return errThriftShort
		}
		h := w.b[w.pos]
		w.pos++
		if h == 0 {
			return nil // STOP
		}
		if h>>4 == 0 { // a field ID of its own
			if _, err := w.uvarint(); err != nil {
				return err
			}
		}
		// A bool field's value is its type; any other is read as in a
		// container.
		if t := h & 0x0F; t != tBoolTrue && t != tBoolFalse {
			if err := w.value(t, depth); err != nil {
				return err
			}
		}
	}
}

func (w *thriftWalker) value(t byte, depth int) error {
	switch t {
	case tBoolTrue, tBoolFalse, tI8:
		return w.skip(1) // in a container a bool is a byte
	case tI16, tI32, tI64:
		_, err := w.uvarint()
		return err
	case tDouble:
		return w.skip(8)
	case tUUID:
		return w.skip(16)
	case tBinary:
		n, err := w.uvarint()
		if err != nil {
			return err
		}
		return w.skip(n)
	case tList, tSet:
		h, err := w.byte1()
		if err != nil {
			return err
		}
		n := uint64(h >> 4)
		if n == 15 {
			if n, err = w.uvarint(); err != nil {
				return err
			}
		}
		if err := w.count(n, 1); err != nil {
			return err
		}
		switch et := h & 0x0F; et {
		case tBoolTrue, tBoolFalse, tI8:
			return w.skip(n)
		case tDouble:
			return w.skip(8 * n)
		case tI16, tI32, tI64:
			for range n {
				if _, err := w.uvarint(); err != nil {
					return err
				}
			}
			return nil
		default:
			for range n {
				if err := w.value(et, depth+1); err != nil {
					return err
				}
			}
			return nil
		}
	case tMap:
		n, err := w.uvarint()
		if err != nil || n == 0 {
			return err
		}
		if err := w.count(n, 2); err != nil {
			return err
		}
		kv, err := w.byte1()
		if err != nil {
			return err
		}
		for range n {
			if err := w.value(kv>>4, depth+1); err != nil {
				return err
			}
			if err := w.value(kv&0x0F, depth+1); err != nil {
				return err
			}
		}
		return nil
	case tStruct:
		return w.structure(depth + 1)
	default:
		return fmt.Errorf("unknown type %d", t)
	}
}
