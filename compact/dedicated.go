package compact

import (
	"sort"

	"github.com/tracectl/tracectl/blocks"
)

// mergedDedicated chooses the dedicated columns of a merge's output. Blocks
// with different sets merge (their readers put every attribute back where
// it came from, and the writer puts it where the output's set says), so
// the output takes the union of the inputs' sets: the columns of the input
// holding the most traces first, in its order (ties: the later EndTime,
// then the block ID), then the others' in the same order of inputs, at
// most blocks.MaxDedicatedPerScope per scope. A column dropped by the cap
// stays readable from the generic attribute list.
func mergedDedicated(ms []blocks.Meta) []blocks.DedicatedColumn {
	order := append([]blocks.Meta(nil), ms...)
	sort.SliceStable(order, func(i, j int) bool {
		a, b := order[i], order[j]
		if a.TotalObjects != b.TotalObjects {
			return a.TotalObjects > b.TotalObjects
		}
		if !a.EndTime.Equal(b.EndTime) {
			return a.EndTime.After(b.EndTime)
		}
		return a.BlockID.String() < b.BlockID.String()
	})
	out := []blocks.DedicatedColumn{}
	seen := map[string]bool{}
	per := map[string]int{}
	for _, m := range order {
		for _, c := range blocks.DedicatedColumnsOf(m) {
			k := c.Scope + "." + c.Name
			if seen[k] || per[c.Scope] >= blocks.MaxDedicatedPerScope {
				continue
			}
			seen[k] = true
			per[c.Scope]++
			d := blocks.DedicatedColumn{Name: c.Name}
			if c.Scope == blocks.ScopeResource {
				d.Scope = blocks.ScopeResource
			}
			out = append(out, d)
		}
	}
	return out
}
