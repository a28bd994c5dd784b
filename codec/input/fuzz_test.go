package input

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"slices"
	"testing"

	"github.com/tracectl/tracectl/codec"
	"github.com/tracectl/tracectl/codec/internal/codectest"
	"github.com/tracectl/tracectl/internal/fixtures"
)

func FuzzSniff(f *testing.F) {
	for _, tc := range fixtureCases {
		data, err := os.ReadFile(fixtures.Path(f, tc.rel))
		if err != nil {
			f.Fatal(err)
		}
		if len(data) > 4096 {
			data = data[:4096] // keep the corpus small; heads are cut anyway
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, head []byte) {
		got, err := Sniff(head)
		if err != nil {
			if !errors.Is(err, ErrUnknownFormat) || got != "" {
				t.Fatalf("Sniff = %q, %v: errors must wrap ErrUnknownFormat", got, err)
			}
			return
		}
		if !slices.Contains(codec.Formats, got) {
			t.Fatalf("Sniff = %q, not a known format", got)
		}
	})
}

// FuzzDecode runs whole inputs through decompression, sniffing and the
// decoders, with a 4 MiB bound on what one input may expand to: errors
// must be DecodeErrors naming the input. Seeded with every hostile input
// and a gzip bomb (80 MiB of spaces in 80 KB).
func FuzzDecode(f *testing.F) {
	for _, tc := range hostileInputs {
		f.Add(tc.data())
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(`{"resourceSpans":[`))
	zw.Write(bytes.Repeat([]byte(" "), 80<<20))
	zw.Write([]byte(`]}`))
	zw.Close()
	f.Add(gz.Bytes())
	codectest.BoundFuzz(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > codectest.MaxFuzzInput {
			t.Skip("input past MaxFuzzInput")
		}
		_, err := Decode(context.Background(), []string{"-"}, Options{Stdin: bytes.NewReader(data), MaxInputBytes: 4 << 20},
			func(string, codec.Batch) error { return nil })
		var de *codec.DecodeError
		if err != nil && (!errors.As(err, &de) || de.File != StdinName) {
			t.Fatalf("error %v (%T) is not a DecodeError naming the input", err, err)
		}
	})
}
