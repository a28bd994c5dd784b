package redact

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"math"

	"github.com/tracectl/tracectl/model"
)

// hasher implements the attributes "hash" action. Without a key it is
// bit-compatible with the Collector's (SHA-256 since v0.79): the bytes
// hashed are the UTF-8 string, one byte 1 or 0 for a bool, the int64 as 8
// bytes little-endian, the float64's IEEE-754 bits as 8 bytes
// little-endian; empty values, bytes, arrays and maps become "". With a
// key the same bytes go through HMAC-SHA-256, so low-entropy values such
// as e-mail addresses cannot be recovered by hashing guesses.
type hasher struct {
	key []byte
}

func newHasher(key []byte) hasher { return hasher{key: key} }

// HashValue returns the hash action's result for v, as a string value.
func HashValue(v model.Value, key []byte) model.Value {
	return newHasher(key).hash(v)
}

func (h hasher) hash(v model.Value) model.Value {
	var buf [8]byte
	var in []byte
	switch v.Type {
	case model.ValueString:
		in = []byte(v.Str)
	case model.ValueBool:
		if v.Bool {
			buf[0] = 1
		}
		in = buf[:1]
	case model.ValueInt:
		binary.LittleEndian.PutUint64(buf[:], uint64(v.Int))
		in = buf[:]
	case model.ValueDouble:
		binary.LittleEndian.PutUint64(buf[:], math.Float64bits(v.Double))
		in = buf[:]
	default:
		return model.StringValue("")
	}
	var d hash.Hash
	if len(h.key) > 0 {
		d = hmac.New(sha256.New, h.key)
	} else {
		d = sha256.New()
	}
	d.Write(in)
	var sum [sha256.Size]byte
	return model.StringValue(hex.EncodeToString(d.Sum(sum[:0])))
}
