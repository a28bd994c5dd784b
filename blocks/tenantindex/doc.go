// Package tenantindex is the on-disk format of Grafana Tempo's per-tenant
// blocklist, <tenant>/index.json.gz: encoding it and decoding it, nothing
// about when a reader may believe it (package blocks decides that, see its
// tenantindex.go).
//
// <tenant>/index.json.gz is one gzip member named "index.json" holding
//
//	{"created_at": "2026-11-25T10:00:00.123456789Z",
//	 "meta":      [<meta.json of each live block>, ...],
//	 "compacted": [<meta.compacted.json of each compacted block>, ...]}
//
// Each entry is the block's meta object as in its folder (a compacted
// entry carries "compactedTime"). Tempo's index builders write it every
// poll and its queriers read it instead of listing the bucket; tracectl
// reads one written by Tempo and writes the same format. (Tempo 2.7+ also
// writes index.pb.zst, which its own readers prefer; tracectl neither
// reads nor touches that file.)
//
// Glossary:
//
//   - Index: a decoded index.json.gz: its created_at and the usable
//     entries of its two lists, by block ID.
//   - Entry: one block's meta as decoded (metadata.Meta) together with its
//     JSON as stored, so that rewriting an index copies entries as they
//     are, whitespace aside (fields tracectl does not model survive).
//   - Usable entry: one that decodes as a vParquet4 meta of the tenant
//     being read, whose block ID no other entry of its list has, and that
//     has a compactedTime exactly when it is in "compacted". Other entries
//     are left out of an Index; they cost only themselves.
package tenantindex
