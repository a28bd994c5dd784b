package blobtest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"
	"gocloud.dev/gcerrors"
)

var errHook = errors.New("hook")

// TestHooks checks what each hook sees and that a failed write creates
// nothing, while a failure reported after the write leaves the object.
func TestHooks(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name       string
		hooks      func(seen *[]string) Hooks
		wantErr    bool
		wantExists bool
		wantSeen   string
	}{
		{"no failure", func(seen *[]string) Hooks {
			return Hooks{Before: func(op Op) error { *seen = append(*seen, op.String()); return nil }}
		}, false, true, "open k,put k"},
		{"before the put", func(seen *[]string) Hooks {
			return Hooks{Before: func(op Op) error {
				*seen = append(*seen, op.String())
				if op.Kind == Write {
					return errHook
				}
				return nil
			}}
		}, true, false, "open k,put k"},
		{"before the open", func(seen *[]string) Hooks {
			return Hooks{Before: func(op Op) error { *seen = append(*seen, op.String()); return errHook }}
		}, true, false, "open k"},
		{"mid upload", func(seen *[]string) Hooks {
			return Hooks{WriteData: func(key string, p []byte) error {
				*seen = append(*seen, key+"="+string(p))
				return errHook
			}}
		}, true, false, "k=hello"},
		{"after the put", func(seen *[]string) Hooks {
			return Hooks{After: func(op Op, err error) error {
				*seen = append(*seen, op.String())
				if op.Kind == Write {
					return errHook
				}
				return err
			}}
		}, true, true, "open k,put k"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inner := memblob.OpenBucket(nil)
			defer inner.Close()
			var seen []string
			b := Wrap(inner, tc.hooks(&seen))
			defer b.Close()
			err := b.WriteAll(ctx, "k", []byte("hello"), &blob.WriterOptions{ContentType: "text/plain"})
			if tc.wantErr != errors.Is(err, errHook) {
				t.Errorf("WriteAll = %v, want the hook's error: %v", err, tc.wantErr)
			}
			if ok, _ := inner.Exists(ctx, "k"); ok != tc.wantExists {
				t.Errorf("object exists = %v, want %v", ok, tc.wantExists)
			}
			if got := strings.Join(seen, ","); got != tc.wantSeen {
				t.Errorf("hooks saw %q, want %q", got, tc.wantSeen)
			}
		})
	}
}

// TestCrash fails every mutation from the crash point on, logs them, and
// lets reads through.
func TestCrash(t *testing.T) {
	ctx := context.Background()
	inner := memblob.OpenBucket(nil)
	defer inner.Close()
	c := &Crash{}
	c.At(3)
	b := Wrap(inner, Hooks{Before: c.Before})
	defer b.Close()
	put := func(k string) error { return b.WriteAll(ctx, k, []byte(k), nil) }
	if err := put("a"); err != nil {
		t.Fatal(err)
	}
	if err := b.Copy(ctx, "b", "a", nil); err != nil {
		t.Fatal(err)
	}
	if err := b.Delete(ctx, "a"); !errors.Is(err, ErrCrashed) {
		t.Fatalf("third mutation = %v, want ErrCrashed", err)
	}
	if err := put("c"); !errors.Is(err, ErrCrashed) {
		t.Fatalf("fourth mutation = %v, want ErrCrashed", err)
	}
	if got, err := b.ReadAll(ctx, "a"); err != nil || string(got) != "a" {
		t.Fatalf("read after the crash = %q, %v", got, err)
	}
	if _, err := b.ReadAll(ctx, "c"); gcerrors.Code(err) != gcerrors.NotFound {
		t.Fatalf("crashed write created c: %v", err)
	}
	var log []string
	for _, op := range c.Log() {
		log = append(log, op.String())
	}
	if got, want := strings.Join(log, ","), "put a,copy b,delete a,put c"; got != want || c.Mutations() != 4 {
		t.Errorf("log %q (%d), want %q", got, c.Mutations(), want)
	}
}
