package blocks

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"
)

// A one-pass decoder for the tenant index JSON. encoding/json needs about
// 10 µs per entry (12 ms for 1,000 blocks, a third of a trace lookup);
// this one is several times faster for the shape Tempo and tracectl write. It
// gives exactly what encoding/json gives: whatever it does not handle the
// same way — a string with an escape or a non-ASCII byte, a key that
// matches a field name only ignoring case, a number that is not a plain
// integer, a field of the wrong type, deep nesting — goes to
// encoding/json, the whole document or the one entry.

// errSlowPath asks for encoding/json.
var errSlowPath = errors.New("not on the fast path")

// decodeIndexJSON is json.Unmarshal(js, ix) plus json.Unmarshal of every
// entry into a Meta. metas[i] is entry i of ix.Meta (then of
// ix.Compacted) and ok[i] whether it decoded. Decoded strings equal to
// tenant share its memory.
func decodeIndexJSON(js []byte, tenant string) (ix tenantIndexJSON, metas []Meta, ok []bool, err error) {
	common := []string{FormatVParquet4, tenant, "none", ""}
	var fast [2][]fastEntry
	ix, fast, err = scanIndexJSON(js, common)
	if err != nil {
		ix, fast = tenantIndexJSON{}, [2][]fastEntry{}
		if err := json.Unmarshal(js, &ix); err != nil {
			return ix, nil, nil, err
		}
	}
	metas = make([]Meta, 0, len(ix.Meta)+len(ix.Compacted))
	ok = make([]bool, 0, len(ix.Meta)+len(ix.Compacted))
	for l, list := range [2][]json.RawMessage{ix.Meta, ix.Compacted} {
		for i, raw := range list {
			if i < len(fast[l]) && fast[l][i].ok {
				metas, ok = append(metas, fast[l][i].meta), append(ok, true)
				continue
			}
			m, err := scanMetaJSON(raw, common)
			if err != nil {
				m = Meta{}
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
	meta Meta
	ok   bool
}

// jsonScanner walks a JSON document; every value it steps over is checked
// as encoding/json's scanner checks it.
type jsonScanner struct {
	b   []byte
	pos int
}

func (s *jsonScanner) ws() {
	for s.pos < len(s.b) {
		switch s.b[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// peek returns the next byte after whitespace, 0 at the end.
func (s *jsonScanner) peek() byte {
	s.ws()
	if s.pos >= len(s.b) {
		return 0
	}
	return s.b[s.pos]
}

func (s *jsonScanner) expect(c byte) error {
	if s.peek() != c {
		return errSlowPath
	}
	s.pos++
	return nil
}

// plainString reads a string made of printable ASCII without escapes and
// returns its contents.
func (s *jsonScanner) plainString() ([]byte, error) {
	if s.peek() != '"' {
		return nil, errSlowPath
	}
	start := s.pos + 1
	for i := start; i < len(s.b); i++ {
		switch c := s.b[i]; {
		case c == '"':
			s.pos = i + 1
			return s.b[start:i], nil
		case c == '\\' || c < 0x20 || c >= 0x80:
			return nil, errSlowPath
		}
	}
	return nil, errSlowPath
}

// maxSkipDepth bounds the nesting skip follows (encoding/json allows
// 10,000); deeper documents take the slow path.
const maxSkipDepth = 100

// skip steps over one value and returns its bytes.
func (s *jsonScanner) skip(depth int) ([]byte, error) {
	if depth > maxSkipDepth {
		return nil, errSlowPath
	}
	c := s.peek()
	start := s.pos
	switch {
	case c == '{' || c == '[':
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		s.pos++
		if s.peek() == end {
			s.pos++
			return s.b[start:s.pos], nil
		}
		for {
			if c == '{' {
				if err := s.anyString(); err != nil {
					return nil, err
				}
				if err := s.expect(':'); err != nil {
					return nil, err
				}
			}
			if _, err := s.skip(depth + 1); err != nil {
				return nil, err
			}
			switch s.peek() {
			case ',':
				s.pos++
			case end:
				s.pos++
				return s.b[start:s.pos], nil
			default:
				return nil, errSlowPath
			}
		}
	case c == '"':
		if err := s.anyString(); err != nil {
			return nil, err
		}
	case c == '-' || (c >= '0' && c <= '9'):
		if err := s.number(); err != nil {
			return nil, err
		}
	default:
		for _, lit := range []string{"true", "false", "null"} {
			if strings.HasPrefix(string(s.b[s.pos:min(len(s.b), s.pos+5)]), lit) {
				s.pos += len(lit)
				return s.b[start:s.pos], nil
			}
		}
		return nil, errSlowPath
	}
	return s.b[start:s.pos], nil
}

// anyString steps over a string, escapes and all.
func (s *jsonScanner) anyString() error {
	if s.peek() != '"' {
		return errSlowPath
	}
	for i := s.pos + 1; i < len(s.b); i++ {
		switch c := s.b[i]; {
		case c == '"':
			s.pos = i + 1
			return nil
		case c < 0x20:
			return errSlowPath
		case c == '\\':
			i++
			if i >= len(s.b) {
				return errSlowPath
			}
			switch s.b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(s.b) {
					return errSlowPath
				}
				for _, h := range s.b[i+1 : i+5] {
					if !isHex(h) {
						return errSlowPath
					}
				}
				i += 4
			default:
				return errSlowPath
			}
		}
	}
	return errSlowPath
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// number steps over a number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *jsonScanner) number() error {
	b, i := s.b, s.pos
	digits := func() bool {
		j := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i > j
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case !digits():
		return errSlowPath
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return errSlowPath
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return errSlowPath
		}
	}
	s.pos = i
	return nil
}

// object calls field for each member of an object. Keys must be plain
// strings; field reads the value.
func (s *jsonScanner) object(field func(key []byte) error) error {
	if err := s.expect('{'); err != nil {
		return err
	}
	if s.peek() == '}' {
		s.pos++
		return nil
	}
	for {
		key, err := s.plainString()
		if err != nil {
			return err
		}
		if err := s.expect(':'); err != nil {
			return err
		}
		if err := field(key); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.pos++
		case '}':
			s.pos++
			return nil
		default:
			return errSlowPath
		}
	}
}

// unknownKey steps over the value of a key that is no field name, unless
// encoding/json would take it for one (it matches field names ignoring
// case).
func (s *jsonScanner) unknownKey(key []byte, fields []string) error {
	for _, f := range fields {
		if strings.EqualFold(string(key), f) {
			return errSlowPath
		}
	}
	_, err := s.skip(1)
	return err
}

// isNull steps over a null.
func (s *jsonScanner) isNull() bool {
	if s.peek() == 'n' && strings.HasPrefix(string(s.b[s.pos:min(len(s.b), s.pos+4)]), "null") {
		s.pos += 4
		return true
	}
	return false
}

var indexFields = []string{"created_at", "meta", "compacted"}

// scanIndexJSON decodes the index's top level and, on the way, the
// entries it can; fast[0] goes with ix.Meta and fast[1] with ix.Compacted.
func scanIndexJSON(js []byte, common []string) (ix tenantIndexJSON, fast [2][]fastEntry, err error) {
	s := &jsonScanner{b: js}
	err = s.object(func(key []byte) error {
		l := 0
		switch string(key) {
		case "created_at":
			v, err := s.skip(1)
			if err != nil {
				return err
			}
			if err := ix.CreatedAt.UnmarshalJSON(v); err != nil {
				return errSlowPath
			}
			return nil
		case "meta":
		case "compacted":
			l = 1
		default:
			return s.unknownKey(key, indexFields)
		}
		var list []json.RawMessage
		var entries []fastEntry
		if !s.isNull() {
			if err := s.expect('['); err != nil {
				return err
			}
			list = []json.RawMessage{}
			for s.peek() != ']' {
				if len(list) > 0 {
					if err := s.expect(','); err != nil {
						return err
					}
				}
				s.ws()
				start := s.pos
				m, err := s.meta(common)
				if err != nil {
					s.pos = start
					if _, err := s.skip(1); err != nil {
						return err
					}
				}
				list = append(list, s.b[start:s.pos])
				entries = append(entries, fastEntry{meta: m, ok: err == nil})
			}
			s.pos++
		}
		if l == 0 {
			ix.Meta, fast[0] = list, entries
		} else {
			ix.Compacted, fast[1] = list, entries
		}
		return nil
	})
	if err == nil && s.peek() != 0 {
		err = errSlowPath
	}
	return ix, fast, err
}

var metaFields = []string{"format", "blockID", "minID", "maxID", "tenantID", "startTime", "endTime",
	"totalObjects", "size", "compactionLevel", "encoding", "indexPageSize", "totalRecords", "dataEncoding",
	"bloomShards", "footerSize", "dedicatedColumns", "replicationFactor", "compactedTime"}

// scanMetaJSON decodes one meta object as Meta.UnmarshalJSON does, or
// returns errSlowPath.
func scanMetaJSON(raw []byte, common []string) (Meta, error) {
	s := &jsonScanner{b: raw}
	m, err := s.meta(common)
	if err == nil && s.peek() != 0 {
		err = errSlowPath
	}
	return m, err
}

// meta decodes the meta object at the scanner's position as
// Meta.UnmarshalJSON does, or returns errSlowPath. Strings equal to one
// of common share its memory.
func (s *jsonScanner) meta(common []string) (Meta, error) {
	var m Meta
	str := func(dst *string) error {
		if s.isNull() {
			return nil
		}
		v, err := s.plainString()
		for _, c := range common {
			if string(v) == c {
				*dst = c
				return err
			}
		}
		*dst = string(v)
		return err
	}
	var idBuf []byte // minID and maxID share an allocation
	id := func(dst *[]byte) error {
		if s.isNull() {
			*dst = nil
			return nil
		}
		v, err := s.plainString()
		if err != nil {
			return err
		}
		n := base64.StdEncoding.DecodedLen(len(v))
		if n == 0 {
			*dst = []byte{} // empty, not nil, as encoding/json decodes ""
			return nil
		}
		if cap(idBuf)-len(idBuf) < n {
			idBuf = make([]byte, 0, max(n, 36))
		}
		b := idBuf[len(idBuf) : len(idBuf)+n]
		if n, err = base64.StdEncoding.Decode(b, v); err != nil {
			return errSlowPath
		}
		*dst = b[:n:n]
		idBuf = idBuf[:len(idBuf)+n]
		return nil
	}
	integer := func(bits int, unsigned bool, set func(int64, uint64)) error {
		if s.isNull() {
			return nil
		}
		start := s.pos
		if err := s.number(); err != nil {
			return err
		}
		lit := string(s.b[start:s.pos])
		if unsigned {
			u, err := strconv.ParseUint(lit, 10, 64)
			if err != nil || (bits == 32 && u > math.MaxUint32) {
				return errSlowPath
			}
			set(0, u)
			return nil
		}
		i, err := strconv.ParseInt(lit, 10, 64)
		if err != nil {
			return errSlowPath
		}
		set(i, 0)
		return nil
	}
	u32 := func(dst *uint32) error {
		return integer(32, true, func(_ int64, u uint64) { *dst = uint32(u) })
	}
	int64f := func(dst *int) error {
		return integer(64, false, func(i int64, _ uint64) { *dst = int(i) })
	}
	timeField := func(set func(v []byte) error) error {
		v, err := s.skip(1)
		if err != nil {
			return err
		}
		if set(v) != nil {
			return errSlowPath
		}
		return nil
	}
	err := s.object(func(key []byte) error {
		switch string(key) {
		case "format":
			return str(&m.Format)
		case "blockID":
			if s.isNull() {
				return nil
			}
			v, err := s.plainString()
			if err != nil {
				return err
			}
			if m.BlockID.UnmarshalText(v) != nil {
				return errSlowPath
			}
			return nil
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
			v, err := s.skip(1)
			if err != nil {
				return err
			}
			if json.Unmarshal(v, &m.DedicatedColumns) != nil {
				return errSlowPath
			}
			return nil
		case "replicationFactor":
			return u32(&m.ReplicationFactor)
		case "compactedTime":
			if s.isNull() {
				m.CompactedTime = time.Time{} // a null pointer
				return nil
			}
			return timeField(m.CompactedTime.UnmarshalJSON)
		}
		return s.unknownKey(key, metaFields)
	})
	if err != nil {
		return Meta{}, err
	}
	return m, nil
}
