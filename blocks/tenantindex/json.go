package tenantindex

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/tracectl/tracectl/blocks/metadata"
	"github.com/tracectl/tracectl/internal/jsonscan"
)

// A one-pass decoder for the tenant index JSON. encoding/json needs about
// 10 µs per entry (12 ms for 1,000 blocks, a third of a trace lookup);
// this one is several times faster for the shape Tempo and tracectl write. It
// gives exactly what encoding/json gives: whatever it does not handle the
// same way — a string with an escape or a non-ASCII byte, a key that
// matches a field name only ignoring case, a number that is not a plain
// integer, a field of the wrong type, deep nesting — goes to
// encoding/json, the whole document or the one entry.

// decodeIndexJSON is json.Unmarshal(js, ix) plus json.Unmarshal of every
// entry into a metadata.Meta. metas[i] is entry i of ix.Meta (then of
// ix.Compacted) and ok[i] whether it decoded. Decoded strings equal to
// tenant share its memory.
func decodeIndexJSON(js []byte, tenant string) (ix indexJSON, metas []metadata.Meta, ok []bool, err error) {
	common := []string{metadata.FormatVParquet4, tenant, "none", ""}
	ix, fast, scanned := scanIndexJSON(js, common)
	if !scanned {
		ix, fast = indexJSON{}, [2][]fastEntry{}
		if err := json.Unmarshal(js, &ix); err != nil {
			return ix, nil, nil, err
		}
	}
	metas = make([]metadata.Meta, 0, len(ix.Meta)+len(ix.Compacted))
	ok = make([]bool, 0, len(ix.Meta)+len(ix.Compacted))
	for l, list := range [2][]json.RawMessage{ix.Meta, ix.Compacted} {
		for i, raw := range list {
			if i < len(fast[l]) && fast[l][i].ok {
				metas, ok = append(metas, fast[l][i].meta), append(ok, true)
				continue
			}
			m, scanned := scanMetaJSON(raw, common)
			var err error
			if !scanned {
				m = metadata.Meta{}
				err = json.Unmarshal(raw, &m)
			}
			metas, ok = append(metas, m), append(ok, err == nil)
		}
	}
	return ix, metas, ok, nil
}

// fastEntry is an entry scanIndexJSON decoded on the way (ok) or left to
// decodeIndexJSON.
type fastEntry struct {
	meta metadata.Meta
	ok   bool
}

// indexScanner reads the tenant index with jsonscan, which checks every
// value it steps over as encoding/json does; each method returns false
// on what it leaves to encoding/json.
type indexScanner struct {
	jsonscan.Scanner
	// dedicated holds the dedicated-column lists decoded so far by their
	// JSON: the blocks of a tenant mostly share one, and encoding/json
	// took a quarter of `trace get`'s CPU decoding it again for each.
	dedicated map[string][]metadata.DedicatedColumn
}

// plainString reads a string made of printable ASCII without escapes and
// returns its contents.
func (s *indexScanner) plainString() ([]byte, bool) {
	raw, ok := s.RawString()
	if !ok {
		return nil, false
	}
	body := raw[1 : len(raw)-1]
	for _, c := range body {
		if c == '\\' || c < 0x20 || c >= 0x80 {
			return nil, false
		}
	}
	return body, true
}

// object calls field for each member of an object, with the scanner at the
// member's value. Keys must be printable ASCII: encoding/json matches
// field names under Unicode case folding, which is left to it.
func (s *indexScanner) object(field func(key []byte) bool) bool {
	return s.Object(func(key []byte) bool {
		for _, c := range key {
			if c < 0x20 || c >= 0x80 {
				return false
			}
		}
		return field(key)
	})
}

var indexFields = []string{"created_at", "meta", "compacted"}

// scanIndexJSON decodes the index's top level and, on the way, the
// entries it can; fast[0] goes with ix.Meta and fast[1] with ix.Compacted.
func scanIndexJSON(js []byte, common []string) (ix indexJSON, fast [2][]fastEntry, ok bool) {
	s := &indexScanner{Scanner: jsonscan.Scanner{B: js}}
	// Every meta has a blockID: the lists are sized once, not regrown
	// entry by entry (a fresh megabyte for 990 blocks, paid in page
	// faults by a short command such as trace get).
	n := bytes.Count(js, []byte(`"blockID"`))
	ok = s.object(func(key []byte) bool {
		l := 0
		switch string(key) {
		case "created_at":
			v, ok := s.Skip()
			return ok && ix.CreatedAt.UnmarshalJSON(v) == nil
		case "meta":
		case "compacted":
			l = 1
		default:
			return s.SkipUnknown(key, indexFields)
		}
		var list []json.RawMessage
		var entries []fastEntry
		if !s.Null() {
			list = make([]json.RawMessage, 0, n)
			entries = make([]fastEntry, 0, n)
			ok := s.Array(func() bool {
				s.Space()
				start := s.Pos
				m, ok := s.meta(common)
				if !ok {
					s.Pos = start
					if _, ok := s.Skip(); !ok {
						return false
					}
				}
				list = append(list, s.B[start:s.Pos])
				entries = append(entries, fastEntry{meta: m, ok: ok})
				return true
			})
			if !ok {
				return false
			}
		}
		if l == 0 {
			ix.Meta, fast[0] = list, entries
		} else {
			ix.Compacted, fast[1] = list, entries
		}
		return true
	})
	return ix, fast, ok && s.End()
}

var metaFields = []string{"format", "blockID", "minID", "maxID", "tenantID", "startTime", "endTime",
	"totalObjects", "size", "compactionLevel", "encoding", "indexPageSize", "totalRecords", "dataEncoding",
	"bloomShards", "footerSize", "dedicatedColumns", "replicationFactor", "compactedTime"}

// scanMetaJSON decodes one meta object as Meta.UnmarshalJSON does; ok is
// false when it leaves it to encoding/json.
func scanMetaJSON(raw []byte, common []string) (metadata.Meta, bool) {
	s := &indexScanner{Scanner: jsonscan.Scanner{B: raw}}
	m, ok := s.meta(common)
	return m, ok && s.End()
}

// dedicatedColumns decodes a dedicated-column list, once per distinct JSON;
// each meta gets its own copy.
func (s *indexScanner) dedicatedColumns(raw []byte, dst *[]metadata.DedicatedColumn) bool {
	if dc, ok := s.dedicated[string(raw)]; ok {
		*dst = slices.Clone(dc)
		return true
	}
	var dc []metadata.DedicatedColumn
	if json.Unmarshal(raw, &dc) != nil {
		return false
	}
	if s.dedicated == nil {
		s.dedicated = map[string][]metadata.DedicatedColumn{}
	}
	if len(s.dedicated) < 16 {
		s.dedicated[string(raw)] = dc
	}
	*dst = slices.Clone(dc)
	return true
}

// meta decodes the meta object at the scanner's position as
// Meta.UnmarshalJSON does, or returns false. Strings equal to one of
// common share its memory.
func (s *indexScanner) meta(common []string) (metadata.Meta, bool) {
	var m metadata.Meta
	str := func(dst *string) bool {
		if s.Null() {
			return true
		}
		v, ok := s.plainString()
		for _, c := range common {
			if string(v) == c {
				*dst = c
				return ok
			}
		}
		*dst = string(v)
		return ok
	}
	var idBuf []byte // minID and maxID share an allocation
	id := func(dst *[]byte) bool {
		if s.Null() {
			*dst = nil
			return true
		}
		v, ok := s.plainString()
		if !ok {
			return false
		}
		n := base64.StdEncoding.DecodedLen(len(v))
		if n == 0 {
			*dst = []byte{} // empty, not nil, as encoding/json decodes ""
			return true
		}
		if cap(idBuf)-len(idBuf) < n {
			idBuf = make([]byte, 0, max(n, 36))
		}
		b := idBuf[len(idBuf) : len(idBuf)+n]
		n, err := base64.StdEncoding.Decode(b, v)
		if err != nil {
			return false
		}
		*dst = b[:n:n]
		idBuf = idBuf[:len(idBuf)+n]
		return true
	}
	integer := func(bits int, unsigned bool, set func(int64, uint64)) bool {
		if s.Null() {
			return true
		}
		num, ok := s.Number()
		if !ok {
			return false
		}
		lit := string(num)
		if unsigned {
			u, err := strconv.ParseUint(lit, 10, 64)
			if err != nil || (bits == 32 && u > math.MaxUint32) {
				return false
			}
			set(0, u)
			return true
		}
		i, err := strconv.ParseInt(lit, 10, 64)
		if err != nil {
			return false
		}
		set(i, 0)
		return true
	}
	u32 := func(dst *uint32) bool {
		return integer(32, true, func(_ int64, u uint64) { *dst = uint32(u) })
	}
	int64f := func(dst *int) bool {
		return integer(64, false, func(i int64, _ uint64) { *dst = int(i) })
	}
	timeField := func(set func(v []byte) error) bool {
		v, ok := s.Skip()
		return ok && set(v) == nil
	}
	ok := s.object(func(key []byte) bool {
		switch string(key) {
		case "format":
			return str(&m.Format)
		case "blockID":
			if s.Null() {
				return true
			}
			v, ok := s.plainString()
			return ok && m.BlockID.UnmarshalText(v) == nil
		case "minID":
			return id(&m.MinID)
		case "maxID":
			return id(&m.MaxID)
		case "tenantID":
			return str(&m.TenantID)
		case "startTime":
			return timeField(m.StartTime.UnmarshalJSON)
		case "endTime":
			return timeField(m.EndTime.UnmarshalJSON)
		case "totalObjects":
			return int64f(&m.TotalObjects)
		case "size":
			return integer(64, true, func(_ int64, u uint64) { m.Size = u })
		case "compactionLevel":
			return u32(&m.CompactionLevel)
		case "encoding":
			return str(&m.Encoding)
		case "indexPageSize":
			return u32(&m.IndexPageSize)
		case "totalRecords":
			return int64f(&m.TotalRecords)
		case "dataEncoding":
			return str(&m.DataEncoding)
		case "bloomShards":
			return int64f(&m.BloomShards)
		case "footerSize":
			return u32(&m.FooterSize)
		case "dedicatedColumns":
			v, ok := s.Skip()
			return ok && s.dedicatedColumns(v, &m.DedicatedColumns)
		case "replicationFactor":
			return u32(&m.ReplicationFactor)
		case "compactedTime":
			if s.Null() {
				m.CompactedTime = time.Time{} // a null pointer
				return true
			}
			return timeField(m.CompactedTime.UnmarshalJSON)
		}
		return s.SkipUnknown(key, metaFields)
	})
	if !ok {
		return metadata.Meta{}, false
	}
	return m, true
}
