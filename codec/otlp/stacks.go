package otlp

import "github.com/tracectl/tracectl/model"

// attrBlock is how many attributes are allocated at a time (32 KiB, kept
// alive by any attribute list cut from it).
const attrBlock = 512

// stacks hold what the direct decoders (protoDecoder, jsonDecoder) have
// decoded of the lists still open: the attributes, array elements,
// events and links of the values and spans being decoded. A list is
// pushed element by element and popped into a slice of its own length
// once it ends, so each list costs one allocation (attribute lists are
// cut from shared blocks) instead of one per growth. Popped entries are
// not cleared (they are overwritten soon), so a decoder should not
// outlive its input.
type stacks struct {
	attrs  []model.Attribute // attribute lists being decoded
	values []model.Value     // array elements being decoded
	events []model.Event     // events of the span being decoded
	links  []model.Link      // links of the span being decoded
	block  []model.Attribute // free part of the current attribute block
}

// reset empties the stacks, dropping what a failed decode left.
func (d *stacks) reset() {
	d.attrs, d.values, d.events, d.links = d.attrs[:0], d.values[:0], d.events[:0], d.links[:0]
}

// popAttrs returns the attributes stacked since start appended to prev
// (nil if there are none and prev is nil) and takes them off the stack.
func (d *stacks) popAttrs(prev []model.Attribute, start int) []model.Attribute {
	n := len(d.attrs) - start
	if n == 0 {
		return prev
	}
	var out []model.Attribute
	if prev != nil {
		out = append(prev[:len(prev):len(prev)], d.attrs[start:]...)
	} else {
		if n > len(d.block) {
			d.block = make([]model.Attribute, max(n, attrBlock))
		}
		out = d.block[:n:n]
		d.block = d.block[n:]
		copy(out, d.attrs[start:])
	}
	d.attrs = d.attrs[:start]
	return out
}

// popValues returns the array elements stacked since start, as a
// non-nil slice (empty for an empty array, as FromPdata makes it).
func (d *stacks) popValues(start int) []model.Value {
	out := make([]model.Value, len(d.values)-start)
	copy(out, d.values[start:])
	d.values = d.values[:start]
	return out
}

// popEvents returns the events stacked since start, nil if none.
func (d *stacks) popEvents(start int) []model.Event {
	if len(d.events) == start {
		return nil
	}
	out := append([]model.Event(nil), d.events[start:]...)
	d.events = d.events[:start]
	return out
}

// popLinks returns the links stacked since start, nil if none.
func (d *stacks) popLinks(start int) []model.Link {
	if len(d.links) == start {
		return nil
	}
	out := append([]model.Link(nil), d.links[start:]...)
	d.links = d.links[:start]
	return out
}
