package ingest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"

	"github.com/google/uuid"

	"github.com/tracectl/tracectl/blocks"
	"github.com/tracectl/tracectl/codec/input"
)

// An ingest run again on the same inputs with the same options writes the
// same traces into the same sequence of blocks. Block k of a run is named
// from the run's digest (its inputs' bytes and the options that shape its
// blocks) and k, so a rerun after a kill among the final meta.json writes
// finds the blocks the first run published under the names it would give
// them, and does not publish their traces a second time.
//
// Names are tried in turn for block k (attempt 0, 1, …):
//   - no folder of that name: the block is written there, after a claim
//     on the folder (blocks.WriteOptions.Claim) that fails when the same
//     ingest runs at the same time and took the name first: the next
//     name is tried;
//   - a folder with no meta (an orphan of a killed run, whose objects a
//     compaction may be deleting, or a block being written): the next
//     name is tried;
//   - a stored block (live, or retired by a compaction or redact that
//     holds its traces): this run's block k is still written, under a
//     random ID, and compared with it; when they hold the same traces
//     the new copy is deleted and the stored one counted in
//     Result.Stored, else the new copy is published (a second copy,
//     read once, never a loss).

// maxAttempts bounds the names tried for one block before a random one.
const maxAttempts = 16

// resumeNamespace scopes the block IDs derived by ingest.
var resumeNamespace = uuid.MustParse("5b1c0d3e-7a0e-4f57-9d6b-2f1e8b8c4a10")

// runDigest is the identity of an ingest: the SHA-256 of every input's
// digest, in order, and of the options that decide what is written.
func runDigest(files []input.FileStat, opts *Options) [sha256.Size]byte {
	shape := struct {
		Format           string
		MaxBlockBytes    int64
		MaxBlockTraces   int
		RowGroupBytes    int64
		DedicatedColumns []blocks.DedicatedColumn
		Mark             string
	}{string(opts.Format), opts.MaxBlockBytes, opts.MaxBlockTraces, opts.Write.RowGroupBytes,
		opts.Write.DedicatedColumns, opts.Write.Mark}
	h := sha256.New()
	opt, _ := json.Marshal(shape)
	h.Write(opt)
	for _, f := range files {
		h.Write(binary.BigEndian.AppendUint64(nil, f.Digest))
	}
	var d [sha256.Size]byte
	h.Sum(d[:0])
	return d
}

// blockNamer names the blocks of one run.
type blockNamer struct {
	st      *blocks.Store
	digest  [sha256.Size]byte
	folders map[uuid.UUID]bool // nil: random names
}

func newBlockNamer(ctx context.Context, st *blocks.Store, digest [sha256.Size]byte, random bool) (*blockNamer, error) {
	n := &blockNamer{st: st, digest: digest}
	if random {
		return n, nil
	}
	var err error
	n.folders, err = st.BlockFolders(ctx)
	return n, err
}

// writer starts block k of the run: under the first free derived name
// it can claim (WriteOptions.Claim), or under a random one with the meta
// of a stored block that may already hold the same traces.
func (n *blockNamer) writer(ctx context.Context, k int, wo blocks.WriteOptions) (*blocks.BlockWriter, *blocks.Meta, error) {
	if n.folders != nil {
		for a := range maxAttempts {
			id := derivedID(n.digest, k, a)
			if n.folders[id] {
				m, ok, err := n.st.StoredMeta(ctx, id)
				if err != nil {
					return nil, nil, err
				}
				if ok {
					w, err := blocks.NewBlockWriter(ctx, n.st, wo)
					return w, &m, err
				}
				continue // an orphan, or a block being written
			}
			n.folders[id] = true
			wo.BlockID, wo.Claim = id, true
			w, err := blocks.NewBlockWriter(ctx, n.st, wo)
			if errors.Is(err, blocks.ErrBlockClaimed) {
				continue // another run of this ingest writes it now
			}
			return w, nil, err
		}
	}
	w, err := blocks.NewBlockWriter(ctx, n.st, wo)
	return w, nil, err
}

// derivedID is the name of attempt a for block k of the run with digest.
func derivedID(digest [sha256.Size]byte, k, a int) uuid.UUID {
	var key [sha256.Size + 16]byte
	copy(key[:], digest[:])
	binary.BigEndian.PutUint64(key[sha256.Size:], uint64(k))
	binary.BigEndian.PutUint64(key[sha256.Size+8:], uint64(a))
	return uuid.NewSHA1(resumeNamespace, key[:])
}

// sameTraces reports whether two blocks of sorted, distinct traces hold
// the same traces: a block is a run of the ingest's sorted traces, so the
// first and last IDs and the count say which.
func sameTraces(a, b *blocks.Meta) bool {
	return a.TotalObjects == b.TotalObjects && bytes.Equal(a.MinID, b.MinID) && bytes.Equal(a.MaxID, b.MaxID) &&
		a.StartTime.Equal(b.StartTime) && a.EndTime.Equal(b.EndTime)
}
