package input

import (
	"errors"
	"os"
	"slices"
	"testing"

	"github.com/tracectl/tracectl/codec"
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
