package blocks

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenBucket(t *testing.T) {
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
			b, err := OpenBucket(ctx, tc.url)
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
			// The bucket works: a block can be written and listed.
			s := NewStore(b, "t")
			if _, err := s.WriteBlock(ctx, syntheticTraces(3, 1, 1e18), WriteOptions{}); err != nil {
				t.Fatal(err)
			}
			if metas, err := s.Blocks(ctx); err != nil || len(metas) != 1 {
				t.Fatalf("Blocks() = %v, %v", metas, err)
			}
			if tc.check != nil {
				tc.check(t)
			}
		})
	}
}
