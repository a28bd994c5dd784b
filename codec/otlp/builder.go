package otlp

import (
	"github.com/tracectl/tracectl/internal/intern"
	"github.com/tracectl/tracectl/model"
)

// attrBlock is how many attributes are allocated at a time (32 KiB, kept
// alive by any attribute list cut from it).
const attrBlock = 512

// builder is what the direct decoders (protoDecoder, jsonDecoder) share
// to build the model cheaply. Its stacks hold what has been decoded of
// the lists still open: the attributes, array elements, events and links
// of the values and spans being decoded. A list is pushed element by
// element and popped into a slice of its own length once it ends, so
// each list costs one allocation (attribute lists are cut from shared
// blocks) instead of one per growth. Short strings (keys, names, common
// values) are allocated once. Popped entries are not cleared (they are
// overwritten soon), so a decoder should not outlive its input.
type builder struct {
	strs   intern.Table      // short strings, each allocated once
	attrs  []model.Attribute // attribute lists being decoded
	values []model.Value     // array elements being decoded
	events []model.Event     // events of the span being decoded
	links  []model.Link      // links of the span being decoded
	block  model.AttrBlock   // where popped attribute lists are cut from
}

func newBuilder() builder {
	return builder{block: model.AttrBlock{Size: attrBlock}}
}

// reset empties the stacks, dropping what a failed decode left.
func (d *builder) reset() {
	d.attrs, d.values, d.events, d.links = d.attrs[:0], d.values[:0], d.events[:0], d.links[:0]
}

// popAttrs returns the attributes stacked since start appended to prev
// (nil if there are none and prev is nil) and takes them off the stack.
func (d *builder) popAttrs(prev []model.Attribute, start int) []model.Attribute {
	n := len(d.attrs) - start
	if n == 0 {
		return prev
	}
	var out []model.Attribute
	if prev != nil {
		out = append(prev[:len(prev):len(prev)], d.attrs[start:]...)
	} else {
		out = d.block.Cut(n)
		copy(out, d.attrs[start:])
	}
	d.attrs = d.attrs[:start]
	return out
}

// popValues returns the array elements stacked since start, as a
// non-nil slice (empty for an empty array, as FromPdata makes it).
func (d *builder) popValues(start int) []model.Value {
	out := make([]model.Value, len(d.values)-start)
	copy(out, d.values[start:])
	d.values = d.values[:start]
	return out
}

// pop returns a copy of what was stacked on stack since start (a span's
// events or links), nil if nothing, and takes it off the stack.
func pop[T any](stack *[]T, start int) []T {
	if len(*stack) == start {
		return nil
	}
	out := append([]T(nil), (*stack)[start:]...)
	*stack = (*stack)[:start]
	return out
}

// str returns b as a string, interning short ones.
func (d *builder) str(b []byte) string { return d.strs.String(b) }
