package tenantindex

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"time"

	"github.com/google/uuid"
	"github.com/klauspost/compress/gzip"

	"github.com/tracectl/tracectl/blocks/metadata"
)

// ObjectName is the index's name under the tenant folder.
const ObjectName = "index.json.gz"

// memberName is the file name in the gzip header, as Tempo writes.
const memberName = "index.json"

// indexJSON is the index's JSON. Entries stay raw until used, so that an
// entry that does not decode costs only itself and so that Encode copies
// entries byte for byte (fields tracectl does not model survive a
// rewrite).
type indexJSON struct {
	CreatedAt time.Time         `json:"created_at"`
	Meta      []json.RawMessage `json:"meta"`
	Compacted []json.RawMessage `json:"compacted"`
}

// Index is a decoded index: its created_at and the usable entries of each
// list by block ID.
type Index struct {
	CreatedAt time.Time
	// Live holds the entries of "meta" (meta.json of live blocks).
	Live map[uuid.UUID]Entry
	// Compacted holds the entries of "compacted" (meta.compacted.json).
	Compacted map[uuid.UUID]Entry
}

// Entry is a block's meta and its JSON as stored. The meta is shared,
// not copied, until a caller needs its own.
type Entry struct {
	Meta *metadata.Meta
	Raw  json.RawMessage
}

// Encode renders an index in Tempo's format: the entries' Raw JSON, in the
// order given (compacted, as encoding/json writes a json.RawMessage),
// under created_at.
func Encode(createdAt time.Time, live, compacted []Entry) ([]byte, error) {
	ix := indexJSON{CreatedAt: createdAt, Meta: []json.RawMessage{}, Compacted: []json.RawMessage{}}
	for _, e := range live {
		ix.Meta = append(ix.Meta, e.Raw)
	}
	for _, e := range compacted {
		ix.Compacted = append(ix.Compacted, e.Raw)
	}
	js, err := json.Marshal(ix)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Name = memberName
	if _, err := zw.Write(js); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// maxIndexBytes bounds the decompressed index (about 400 bytes an entry:
// room for over two million blocks), so a damaged object cannot exhaust
// memory.
const maxIndexBytes = 1 << 30

// Decode parses an index for tenant. Entries that are not usable (see the
// package documentation) are left out; an error means the whole index is
// unusable: not gzip, not JSON, larger than 1 GiB decompressed, or
// without a created_at.
func Decode(data []byte, tenant string) (*Index, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	// The gzip trailer gives the size (mod 4 GiB): read into one buffer.
	var buf bytes.Buffer
	if len(data) >= 4 {
		buf.Grow(int(min(binary.LittleEndian.Uint32(data[len(data)-4:]), 64<<20)) + 1)
	}
	if _, err := buf.ReadFrom(io.LimitReader(zr, maxIndexBytes+1)); err != nil {
		return nil, err
	}
	js := buf.Bytes()
	if len(js) > maxIndexBytes {
		return nil, errors.New("index larger than 1 GiB")
	}
	ix, metas, ok, err := decodeIndexJSON(js, tenant)
	if err != nil {
		return nil, err
	}
	if ix.CreatedAt.IsZero() {
		return nil, errors.New("index without created_at")
	}
	n := len(ix.Meta)
	return &Index{
		CreatedAt: ix.CreatedAt,
		Live:      usableEntries(ix.Meta, metas[:n], ok[:n], tenant, false),
		Compacted: usableEntries(ix.Compacted, metas[n:], ok[n:], tenant, true),
	}, nil
}

// usableEntries keeps the entries that decoded (ok) as a vParquet4 meta of
// tenant, with compactedTime set exactly when compacted, and whose block
// ID no other entry of the list has.
func usableEntries(raws []json.RawMessage, metas []metadata.Meta, ok []bool, tenant string, compacted bool) map[uuid.UUID]Entry {
	out := make(map[uuid.UUID]Entry, len(raws))
	dup := map[uuid.UUID]bool{}
	for i, raw := range raws {
		m := &metas[i]
		if !ok[i] || m.Format != metadata.FormatVParquet4 || m.TenantID != tenant || m.BlockID == uuid.Nil ||
			m.CompactedTime.IsZero() == compacted {
			continue
		}
		if _, seen := out[m.BlockID]; seen || dup[m.BlockID] {
			delete(out, m.BlockID)
			dup[m.BlockID] = true
			continue
		}
		out[m.BlockID] = Entry{Meta: m, Raw: raw}
	}
	return out
}
