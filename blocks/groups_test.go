package blocks

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// TestSpanGroups: spans with the same group-by values share a group and
// others do not, whichever way spanGroups finds them: by index (few
// combinations), by the ids as a key (too many for an index, up to 4
// fields) and by the values' key (5 fields).
func TestSpanGroups(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, tc := range []struct {
		name           string
		fields, values int
		strides, byIDs bool
	}{
		// Few values for the indexed cases: 3,000 spans meet every
		// combination, absent (-1) and last ids included, so two that
		// share an index would share a group.
		{"no field", 0, 0, true, false},
		{"one field", 1, 40, true, false},
		{"two fields", 2, 20, true, false},
		{"three fields", 3, 6, true, false},
		{"too many for an index", 2, 400, false, true},
		{"five fields", 5, 20, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const spans = 3000
			tables := make([]*valueTable, tc.fields)
			ids := make([][]int32, tc.fields)
			for f := range tables {
				tables[f] = newValueTable()
				for v := range tc.values {
					tables[f].id(model.StringValue(fmt.Sprintf("f%d-%d", f, v)))
				}
				ids[f] = make([]int32, spans)
				for sp := range ids[f] {
					ids[f][sp] = int32(r.IntN(tc.values+1)) - 1 // -1: absent
				}
			}
			g := newSpanGroups(store.NewGroupSet(&store.AggregateSpec{Slots: 1}), tables, ids)
			if (g.strides != nil) != tc.strides || (g.byIDs != nil) != tc.byIDs {
				t.Fatalf("strides %v, byIDs %v: want an index %v, an id key %v", g.strides, g.byIDs != nil, tc.strides, tc.byIDs)
			}
			byTuple := map[string]*store.SpanGroup{}
			seen := map[*store.SpanGroup]string{}
			for sp := range spans {
				tuple := ""
				for f := range ids {
					tuple += fmt.Sprintf("%d,", ids[f][sp])
				}
				grp := g.of(sp)
				if want, ok := byTuple[tuple]; ok && want != grp {
					t.Fatalf("span %d (%s): a new group for values met before", sp, tuple)
				}
				if other, ok := seen[grp]; ok && other != tuple {
					t.Fatalf("span %d (%s): the group of %s", sp, tuple, other)
				}
				byTuple[tuple], seen[grp] = grp, tuple
				for f := range ids {
					if id := ids[f][sp]; grp.Present[f] != (id >= 0) || id >= 0 && !grp.Values[f].Equal(tables[f].values[id]) {
						t.Fatalf("span %d: group values %v, want ids %s", sp, grp.Values, tuple)
					}
				}
			}
		})
	}
}
