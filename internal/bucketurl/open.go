// Package bucketurl opens gocloud.dev/blob buckets from the URLs users
// give (file://, mem://, s3://, gs://, azblob://), and explains what went
// wrong when one cannot be used.
//
// Glossary:
//
//   - Bucket URL: a gocloud.dev/blob URL. A file:// URL may be relative
//     (file://./data, resolved against the working directory) and is
//     opened without gocloud's <object>.attrs sidecar files unless it asks
//     for them (metadata=).
//   - Local directory: the directory a file:// URL names (not a prefix or
//     key within one). LocalDir tells which open bucket is one, so that
//     readers may use the file system directly.
//   - Hint: a sentence for people saying which bucket failed and which
//     environment variables or settings its driver reads (Hint).
package bucketurl

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"weak"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/azureblob" // azblob:// URLs
	_ "gocloud.dev/blob/fileblob"  // file:// URLs
	_ "gocloud.dev/blob/gcsblob"   // gs:// URLs
	_ "gocloud.dev/blob/memblob"   // mem:// URLs
	_ "gocloud.dev/blob/s3blob"    // s3:// URLs
)

// Open opens a gocloud.dev/blob URL (file://, mem://, s3://, gs://,
// azblob://). A file:// URL with a relative path (file://./data) is
// resolved against the working directory, and a missing directory is
// created.
func Open(ctx context.Context, rawURL string) (*blob.Bucket, error) {
	return open(ctx, rawURL, true)
}

// ErrNoBucket is the error of OpenExisting for a file:// bucket whose
// directory does not exist.
var ErrNoBucket = errors.New("bucket does not exist")

// OpenExisting is Open for readers: a file:// directory that does not
// exist is an error (ErrNoBucket), not created; a mistyped path must not
// look like an empty bucket.
func OpenExisting(ctx context.Context, rawURL string) (*blob.Bucket, error) {
	return open(ctx, rawURL, false)
}

func open(ctx context.Context, rawURL string, create bool) (*blob.Bucket, error) {
	if rawURL == "" {
		return nil, errors.New("bucket URL is empty")
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("bucket URL %q: %w", rawURL, err)
	}
	if u.Scheme == "" {
		return nil, fmt.Errorf("bucket URL %q has no scheme (want file://, mem://, s3://, gs:// or azblob://)", rawURL)
	}
	if u.Scheme == "file" {
		path := u.Host + u.Path
		if u.Host == "" {
			path = u.Path
		}
		if path == "" {
			return nil, fmt.Errorf("bucket URL %q has no path", rawURL)
		}
		if !filepath.IsAbs(path) {
			if path, err = filepath.Abs(path); err != nil {
				return nil, fmt.Errorf("bucket URL %q: %w", rawURL, err)
			}
		}
		if !create {
			if fi, err := os.Stat(path); err != nil || !fi.IsDir() {
				return nil, fmt.Errorf("bucket %q: %w: no directory %s (read commands do not create it)", rawURL, ErrNoBucket, path)
			}
		}
		if err := os.MkdirAll(path, 0o755); err != nil {
			return nil, fmt.Errorf("bucket URL %q: %w", rawURL, err)
		}
		u.Host = ""
		u.Path = filepath.ToSlash(path)
		q := u.Query()
		if !q.Has("no_tmp_dir") && !q.Has("create_dir") {
			// Keep temporary files inside the bucket's file system so the
			// final rename cannot cross devices.
			q.Set("no_tmp_dir", "true")
		}
		if !q.Has("metadata") {
			// No <object>.attrs file beside each object (gocloud's content
			// type and MD5, which tracectl does not use on a file://
			// bucket; see LocalDir): half the files to create, and no
			// MD5 of every byte written. "metadata=" brings them back.
			q.Set("metadata", "skip")
		}
		u.RawQuery = q.Encode()
		rawURL = u.String()
	}
	var b *blob.Bucket
	if u.Scheme == "gs" {
		b, err = openGCS(ctx, u)
	} else {
		b, err = blob.OpenBucket(ctx, rawURL)
	}
	if err != nil {
		return nil, fmt.Errorf("open bucket %q: %w", rawURL, err)
	}
	if u.Scheme == "file" {
		dir := "" // under a prefix, keys are not paths below the directory
		if q := u.Query(); !q.Has("prefix") && !q.Has("key") {
			dir = filepath.FromSlash(u.Path)
		}
		registerFile(b, dir)
	}
	return b, nil
}

// fileBuckets maps each bucket Open opened from a file:// URL to its
// directory ("" when the URL names a prefix or key). Keys are weak, so
// that the map keeps no bucket alive.
var fileBuckets sync.Map // weak.Pointer[blob.Bucket] → string

// registerFile records that b is a file:// bucket, of the local directory
// dir if not "", until b is garbage.
func registerFile(b *blob.Bucket, dir string) {
	key := weak.Make(b)
	fileBuckets.Store(key, dir)
	runtime.AddCleanup(b, func(k weak.Pointer[blob.Bucket]) { fileBuckets.Delete(k) }, key)
}

// LocalDir reports whether Open or OpenExisting opened b from a file://
// URL (file) and, when that URL names a directory rather than a prefix or
// key within one, the directory (dir, else ""). Such a bucket is written
// without .attrs sidecars, so the MD5s its listings give may be stale.
func LocalDir(b *blob.Bucket) (dir string, file bool) {
	d, file := fileBuckets.Load(weak.Make(b))
	dir, _ = d.(string)
	return dir, file
}
