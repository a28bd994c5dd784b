package blocks

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"

	"github.com/tracectl/tracectl/model"
)

// TraceIDsWithPrefix returns the IDs of stored traces whose 32-digit hex
// form starts with prefix (hex digits, any case), at most limit of them
// (sorted, distinct). It reads the TraceID column of each live block's row
// groups whose ID statistics may hold such an ID; damaged blocks are left
// out (Store.Damaged), those whose pages are damaged from where the damage
// is met.
func (s *Store) TraceIDsWithPrefix(ctx context.Context, prefix string, limit int) ([]model.TraceID, error) {
	prefix = strings.ToLower(prefix)
	if len(prefix) == 0 || len(prefix) > 32 {
		return nil, fmt.Errorf("trace ID prefix %q: want 1 to 32 hex digits", prefix)
	}
	lo, hi, err := prefixRange(prefix)
	if err != nil {
		return nil, err
	}
	metas, err := s.readBlocks(ctx)
	if err != nil {
		return nil, err
	}
	seen := map[model.TraceID]bool{}
	for _, m := range metas {
		if !m.MayHoldIDs(lo, hi) {
			continue
		}
		p, err := s.openOrSkip(ctx, s.block(m))
		if err != nil {
			return nil, err
		}
		if p == nil {
			continue
		}
		before := len(seen)
		ordered := p.groupsInIDOrder()
		for g, rg := range p.file.RowGroups() {
			if ordered && bytes.Compare(p.groupMinID(g), hi[:]) > 0 {
				break // the later row groups' IDs are higher still
			}
			err := eachTraceID(rg, func(id model.TraceID, ok bool) bool {
				if ok && bytes.Compare(id[:], lo[:]) >= 0 && bytes.Compare(id[:], hi[:]) <= 0 {
					seen[id] = true
				}
				return len(seen) <= limit
			})
			if err != nil {
				err = p.groupErr(g, err)
			}
			if d, ok := pageDamage(ctx, err); ok {
				s.leaveOut(d, len(seen) > before)
				break
			}
			if err != nil {
				return nil, err
			}
			if len(seen) > limit {
				break
			}
		}
	}
	out := make([]model.TraceID, 0, len(seen))
	for id := range seen {
		out = append(out, id)
	}
	sort.Slice(out, func(i, j int) bool { return model.CompareTraceIDs(out[i], out[j]) < 0 })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// prefixRange returns the smallest and largest trace ID whose hex form
// starts with prefix.
func prefixRange(prefix string) (lo, hi model.TraceID, err error) {
	l := prefix + strings.Repeat("0", 32-len(prefix))
	h := prefix + strings.Repeat("f", 32-len(prefix))
	if _, err = hex.Decode(lo[:], []byte(l)); err != nil {
		return lo, hi, fmt.Errorf("trace ID prefix %q: %w", prefix, err)
	}
	_, err = hex.Decode(hi[:], []byte(h))
	return lo, hi, err
}
