package blocks

import (
	"bytes"
	"crypto/md5"
	"sync"

	"github.com/google/uuid"
)

// knownObjects remembers, for a store on an object store, what this
// process has already read or written of the tenant's small objects, so
// that a command that lists the tenant several times (compact lists it
// before planning, after merging and when it writes the index) does not
// read the same objects again, one request each:
//
//   - meta objects by key, with their MD5. A listing that shows an object
//     of the same size and MD5 (S3, GCS and Azure list both; a file://
//     bucket is read from disk and not cached) stands for the bytes
//     remembered, so it is taken from memory instead of read.
//   - which live or compacted blocks have no rewrite.json. A block's
//     rewrite.json is written before its meta.json, and a block's objects
//     are never rewritten (a changed block gets a new ID), so a listing
//     that shows a meta object without rewrite.json says it for good.
//
// MarkCompacted also takes the meta.json it retires from here when the
// store has seen it: a block's meta.json never changes while it exists.
type knownObjects struct {
	mu     sync.Mutex
	metas  map[string]knownMeta
	bytes  int // of the metas' raw bytes, bounded by maxKnownBytes
	noMark map[uuid.UUID]bool
}

// knownMeta is a meta object as read or written: its bytes and, when the
// bytes are the whole object, their MD5 (verified).
type knownMeta struct {
	raw      []byte
	sum      [md5.Size]byte
	verified bool
}

// maxKnownBytes bounds the metas remembered (some 30,000 blocks' worth).
const maxKnownBytes = 64 << 20

// add remembers raw as the object key. whole says raw is the object's
// bytes exactly (read or written), not a tenant index entry standing for
// it; only those match a listing.
func (k *knownObjects) add(key string, raw []byte, whole bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.metas == nil {
		k.metas = map[string]knownMeta{}
	}
	old, had := k.metas[key]
	if had && old.verified && !whole {
		return // keep what can match a listing
	}
	if !had && k.bytes+len(raw) > maxKnownBytes {
		return
	}
	km := knownMeta{raw: raw, verified: whole}
	if whole {
		km.sum = md5.Sum(raw)
	}
	k.bytes += len(raw) - len(old.raw)
	k.metas[key] = km
}

// forget drops what is known of key (an object deleted or about to be
// replaced by this store).
func (k *knownObjects) forget(key string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if old, ok := k.metas[key]; ok {
		k.bytes -= len(old.raw)
		delete(k.metas, key)
	}
}

// match returns the bytes remembered for key if a listing that showed the
// object with size and md5 stands for them.
func (k *knownObjects) match(key string, size int64, sum []byte) ([]byte, bool) {
	if len(sum) != md5.Size {
		return nil, false
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	km, ok := k.metas[key]
	if !ok || !km.verified || int64(len(km.raw)) != size || !bytes.Equal(km.sum[:], sum) {
		return nil, false
	}
	return km.raw, true
}

// get returns the bytes remembered for key, whatever their source.
func (k *knownObjects) get(key string) ([]byte, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	km, ok := k.metas[key]
	return km.raw, ok
}

// setNoMark records that block id has no rewrite.json.
func (k *knownObjects) setNoMark(ids []uuid.UUID) {
	if len(ids) == 0 {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.noMark == nil {
		k.noMark = map[uuid.UUID]bool{}
	}
	for _, id := range ids {
		k.noMark[id] = true
	}
}

// markAbsent reports whether a listing showed block id without
// rewrite.json.
func (k *knownObjects) markAbsent(id uuid.UUID) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.noMark[id]
}
