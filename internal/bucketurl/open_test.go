package bucketurl

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gocloud.dev/blob"
)

func TestOpen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	t.Chdir(dir)
	tests := []struct {
		name    string
		url     string
		wantErr string
		check   func(t *testing.T)
	}{
		{"relative file URL", "file://./tracectl-data", "", func(t *testing.T) {
			if st, err := os.Stat(filepath.Join(dir, "tracectl-data")); err != nil || !st.IsDir() {
				t.Errorf("directory not created: %v", err)
			}
		}},
		{"nested relative file URL", "file://./a/b", "", func(t *testing.T) {
			if _, err := os.Stat(filepath.Join(dir, "a", "b")); err != nil {
				t.Error(err)
			}
		}},
		{"absolute file URL", "file://" + filepath.ToSlash(filepath.Join(dir, "abs")), "", nil},
		{"memory", "mem://", "", nil},
		{"empty", "", "empty", nil},
		{"no scheme", "some/dir", "no scheme", nil},
		{"unknown scheme", "bogus://x", "bogus", nil},
		{"file without path", "file://", "no path", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := Open(ctx, tc.url)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			// The bucket works: an object can be written, listed and read.
			if err := b.WriteAll(ctx, "t/x/data", []byte("payload"), nil); err != nil {
				t.Fatal(err)
			}
			if obj, err := b.List(&blob.ListOptions{Prefix: "t/"}).Next(ctx); err != nil || obj.Key != "t/x/data" {
				t.Fatalf("listing: %v, %v", obj, err)
			}
			if data, err := b.ReadAll(ctx, "t/x/data"); err != nil || string(data) != "payload" {
				t.Fatalf("read %q, %v", data, err)
			}
			if tc.check != nil {
				tc.check(t)
			}
		})
	}
}

// TestOpenExisting: a reader's file:// URL must name a directory that
// exists; Open creates it.
func TestOpenExisting(t *testing.T) {
	ctx := context.Background()
	missing := filepath.Join(t.TempDir(), "nope")
	if _, err := OpenExisting(ctx, "file://"+missing); !errors.Is(err, ErrNoBucket) {
		t.Fatalf("OpenExisting of a missing directory: %v, want ErrNoBucket", err)
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("OpenExisting created %s: %v", missing, err)
	}
	b, err := Open(ctx, "file://"+missing)
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	b, err = OpenExisting(ctx, "file://"+missing)
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
}

// TestLocalDir: a file:// URL naming a directory gives that directory; one
// with a prefix is a file bucket without one; mem:// is neither, nor is a
// bucket opened by gocloud itself.
func TestLocalDir(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, tc := range []struct {
		url  string
		dir  string
		file bool
	}{
		{"file://" + filepath.ToSlash(dir), dir, true},
		{"file://" + filepath.ToSlash(dir) + "?prefix=p/", "", true},
		{"mem://", "", false},
	} {
		b, err := Open(ctx, tc.url)
		if err != nil {
			t.Fatal(err)
		}
		if d, file := LocalDir(b); d != tc.dir || file != tc.file {
			t.Errorf("%s: LocalDir = %q, %v; want %q, %v", tc.url, d, file, tc.dir, tc.file)
		}
		b.Close()
	}
	b, err := blob.OpenBucket(ctx, "file://"+filepath.ToSlash(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if d, file := LocalDir(b); d != "" || file {
		t.Errorf("a bucket Open did not open: LocalDir = %q, %v", d, file)
	}
}
