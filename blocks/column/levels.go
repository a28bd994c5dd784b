package column

import (
	"encoding/binary"
	"math/bits"
)

// Byte-lane constants for testing eight levels at once in a uint64.
const (
	lanes   = 0x0101010101010101 // 1 in every byte
	lowBits = 0x7f7f7f7f7f7f7f7f // all but each byte's top bit
	topBits = 0x8080808080808080 // each byte's top bit
)

// levelStats returns the number of entries whose definition level is
// maxDef, and whether every repetition level is at most maxRep and every
// definition level at most maxDef. It checks a page's levels before the
// reader trusts them, so it runs over every level read; eight at a time,
// it takes an eighth of the loads and no branch per level.
func levelStats(rep, def []byte, maxRep, maxDef byte) (present int, within bool) {
	rep = rep[:len(def)]
	if maxRep > 127 || maxDef > 127 {
		return levelStatsBytes(rep, def, maxRep, maxDef)
	}
	// For a byte b, b + (127-max) has its top bit set when b > max and
	// b < 128; a b of 128 or more has its own top bit set (and any carry
	// it sends on only flags a word already flagged).
	overRep, overDef := lanes*uint64(127-maxRep), lanes*uint64(127-maxDef)
	atDef := lanes * uint64(maxDef)
	var above uint64
	i := 0
	for ; i+8 <= len(def); i += 8 {
		r := binary.LittleEndian.Uint64(rep[i:])
		d := binary.LittleEndian.Uint64(def[i:])
		above |= r | (r + overRep) | d | (d + overDef)
		// A byte of x is non-zero iff its top bit is set in
		// ((x & lowBits) + lowBits) | x: the entries not at maxDef.
		x := d ^ atDef
		notAt := ((x & lowBits) + lowBits | x) & topBits
		present += 8 - bits.OnesCount64(notAt)
	}
	p, ok := levelStatsBytes(rep[i:], def[i:], maxRep, maxDef)
	return present + p, ok && above&topBits == 0
}

// levelStatsBytes is levelStats one level at a time: for tails and for
// maxima the byte lanes cannot hold.
func levelStatsBytes(rep, def []byte, maxRep, maxDef byte) (present int, within bool) {
	rep = rep[:len(def)]
	within = true
	for i, d := range def {
		within = within && rep[i] <= maxRep && d <= maxDef
		if d == maxDef {
			present++
		}
	}
	return present, within
}

// skipLevels walks the entries of rep and def from the first until the
// one that would start row n+1 (repetition level 0 with n rows started):
// it returns the entries passed, the rows they started and their values
// (entries at maxDef). Eight entries at a time while a word starts few
// enough rows; the word holding the stop, and the tail, one by one.
func skipLevels(rep, def []byte, maxDef byte, n int) (i, rows, vals int) {
	def = def[:len(rep)]
	atDef := lanes * uint64(maxDef)
	for ; i+8 <= len(rep); i += 8 {
		r := binary.LittleEndian.Uint64(rep[i:])
		starts := 8 - bits.OnesCount64(((r&lowBits)+lowBits|r)&topBits)
		if rows+starts > n {
			break
		}
		x := binary.LittleEndian.Uint64(def[i:]) ^ atDef
		rows += starts
		vals += 8 - bits.OnesCount64(((x&lowBits)+lowBits|x)&topBits)
	}
	for ; i < len(rep); i++ {
		if rep[i] == 0 {
			if rows == n {
				break
			}
			rows++
		}
		if def[i] == maxDef {
			vals++
		}
	}
	return i, rows, vals
}
