package store

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// randomNesting returns the places of n spans of a random tree (or
// forest, when roots > 1) in nested-set numbering, as Tempo's columns hold
// them: Left and Right from a depth-first walk, Parent the parent's Left
// (-1 for a root). Every seventh span has no numbers, as in a trace whose
// numbering is unknown.
func randomNesting(rng *rand.Rand, n, roots int) []NestedSpan {
	parent := make([]int, n)
	children := make([][]int, n)
	for i := range n {
		parent[i] = -1
		if i >= roots {
			parent[i] = rng.IntN(i)
			children[parent[i]] = append(children[parent[i]], i)
		}
	}
	spans := make([]NestedSpan, n)
	next := int32(1)
	var walk func(i int)
	walk = func(i int) {
		spans[i].Left = next
		next++
		for _, c := range children[i] {
			walk(c)
		}
		spans[i].Right = next
		next++
	}
	for i := range min(roots, n) {
		walk(i)
	}
	for i := range spans {
		spans[i].Idx = i
		spans[i].Parent = -1
		if parent[i] >= 0 {
			spans[i].Parent = spans[parent[i]].Left
		}
		switch rng.IntN(28) { // places a damaged or partial numbering leaves
		case 0, 1, 2, 3:
			spans[i] = NestedSpan{Idx: i}
		case 4:
			spans[i].Left = 0
		case 5:
			spans[i].Right = 0
		case 6:
			spans[i].Parent = 0
		}
	}
	return spans
}

// wantRelate is the relations' definition, pair by pair: R spans standing
// in rel to some L span (RelPlain), to none (RelNot), or both sides of
// every pair that does (RelUnion). A pair needs nested-set numbers on both.
func wantRelate(rel Relation, mode RelationMode, spans []NestedSpan, l, r []bool) []bool {
	related := func(a, b NestedSpan) bool { // b (of R) to a (of L)
		if !a.hasNesting() || !b.hasNesting() {
			return false
		}
		switch rel {
		case RelDescendant:
			return a.Left < b.Left && b.Right < a.Right
		case RelAncestor:
			return b.Left < a.Left && a.Right < b.Right
		case RelChild:
			return b.Parent > 0 && b.Parent == a.Left
		case RelParent:
			return a.Parent > 0 && a.Parent == b.Left
		case RelSibling:
			return a.Idx != b.Idx && a.Parent != 0 && a.Parent == b.Parent
		}
		return false
	}
	out := make([]bool, len(spans))
	for j, b := range spans {
		if !r[j] {
			continue
		}
		has := false
		for i, a := range spans {
			if l[i] && related(a, b) {
				has = true
				if mode == RelUnion {
					out[i] = true
				}
			}
		}
		if has != (mode == RelNot) {
			out[j] = true
		}
	}
	return out
}

func TestRelateTrivially(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	rels := []Relation{RelDescendant, RelAncestor, RelChild, RelParent, RelSibling}
	modes := []RelationMode{RelPlain, RelNot, RelUnion}
	trivial := 0
	for range 3000 {
		n := 1 + rng.IntN(12)
		spans := randomNesting(rng, n, 1+rng.IntN(2))
		l, r := make([]bool, n), make([]bool, n)
		pl, pr := rng.IntN(3), rng.IntN(3) // 0: no span, 1: some, 2: most
		for i := range n {
			l[i] = pl > 0 && rng.IntN(4) < 2*pl-1
			r[i] = pr > 0 && rng.IntN(4) < 2*pr-1
		}
		for _, rel := range rels {
			for _, mode := range modes {
				want := wantRelate(rel, mode, spans, l, r)
				if got := Relate(rel, mode, spans, l, r); !slices.Equal(got, want) {
					t.Fatalf("rel %d mode %d, spans %v, l %v, r %v: Relate gave %v, want %v", rel, mode, spans, l, r, got, want)
				}
				dst := make([]bool, n)
				for i := range dst {
					dst[i] = rng.IntN(2) == 0 // what a reused buffer may hold
				}
				before := slices.Clone(dst)
				oneSided := !slices.Contains(l, true) || !slices.Contains(r, true)
				got := RelateTrivially(dst, mode, l, r)
				switch {
				case got != oneSided:
					t.Fatalf("RelateTrivially(%v, %v, %v) = %v, want %v", mode, l, r, got, oneSided)
				case got && !slices.Equal(dst, want):
					t.Fatalf("rel %d mode %d, l %v, r %v: RelateTrivially gave %v, want %v", rel, mode, l, r, dst, want)
				case !got && !slices.Equal(dst, before):
					t.Fatalf("RelateTrivially changed dst though it reported false")
				}
				if got {
					trivial++
				}
			}
		}
	}
	if trivial == 0 {
		t.Fatal("no one-sided trace was drawn")
	}
}

// TestRelaterReused holds one Relater, used trace after trace as the
// block filter uses it, to a fresh Relate on each: nothing of one trace
// may stay in its buffers for the next.
func TestRelaterReused(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var x Relater
	for k := range 5000 {
		n := 1 + rng.IntN(20)
		if k%500 == 499 {
			n = 1500 // grows the buffers and maps past what is kept
		}
		spans := randomNesting(rng, n, 1+rng.IntN(3))
		l, r := make([]bool, n), make([]bool, n)
		for i := range n {
			l[i], r[i] = rng.IntN(3) == 0, rng.IntN(3) == 0
		}
		rel := Relation(1 + rng.IntN(5))
		mode := RelationMode(rng.IntN(3))
		dst := make([]bool, n)
		for i := range dst {
			dst[i] = rng.IntN(2) == 0
		}
		x.Into(dst, rel, mode, spans, l, r)
		if want := wantRelate(rel, mode, spans, l, r); !slices.Equal(dst, want) {
			t.Fatalf("rel %d mode %d, l %v, r %v: reused Relater gave %v, want %v", rel, mode, l, r, dst, want)
		}
	}
}

// TestRelationSelectUnion checks RelationSelect's shape: lSel is nil but
// for RelUnion, and then as long as ls, empty operands included.
func TestRelationSelectUnion(t *testing.T) {
	rs := []NestedSpan{{Left: 1, Right: 4, Parent: -1}, {Left: 2, Right: 3, Parent: 1, Idx: 1}}
	for _, ls := range [][]NestedSpan{nil, {}, rs[:1]} {
		for _, mode := range []RelationMode{RelPlain, RelNot, RelUnion} {
			rSel, lSel := RelationSelect(RelAncestor, mode, ls, rs)
			if len(rSel) != len(rs) || rSel == nil {
				t.Errorf("mode %d, %d left spans: rSel %v", mode, len(ls), rSel)
			}
			if union := mode == RelUnion; (lSel != nil) != union || union && len(lSel) != len(ls) {
				t.Errorf("mode %d, %d left spans: lSel %#v", mode, len(ls), lSel)
			}
		}
	}
	if rSel, _ := RelationSelect(RelChild, RelPlain, rs, nil); rSel == nil {
		t.Error("rSel nil for no right spans; want an empty slice")
	}
}

func BenchmarkRelateOneSided(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	spans := randomNesting(rng, 12, 1)
	l, r := make([]bool, 12), make([]bool, 12)
	l[0], l[5] = true, true
	dst := make([]bool, 12)
	b.Run("Relate", func(b *testing.B) {
		for b.Loop() {
			copy(dst, Relate(RelDescendant, RelPlain, spans, l, r))
		}
	})
	b.Run("RelateTrivially", func(b *testing.B) {
		for b.Loop() {
			RelateTrivially(dst, RelPlain, l, r)
		}
	})
}

func BenchmarkRelate(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	spans := randomNesting(rng, 12, 1)
	l, r := make([]bool, 12), make([]bool, 12)
	l[0], r[3], r[7], r[9] = true, true, true, true
	dst := make([]bool, 12)
	b.Run("fresh", func(b *testing.B) {
		for b.Loop() {
			copy(dst, Relate(RelDescendant, RelPlain, spans, l, r))
		}
	})
	b.Run("reused", func(b *testing.B) {
		var x Relater
		for b.Loop() {
			x.Into(dst, RelDescendant, RelPlain, spans, l, r)
		}
	})
}

// BenchmarkRelateAfterLarge is a small trace's relation after a Relater
// met one of 200,000 spans (the maps it empties must not keep that size).
func BenchmarkRelateAfterLarge(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	big := randomNesting(rng, 200_000, 1)
	all := make([]bool, len(big))
	for i := range all {
		all[i] = true
	}
	var x Relater
	x.Into(make([]bool, len(big)), RelSibling, RelUnion, big, all, all)
	x.Into(make([]bool, len(big)), RelChild, RelUnion, big, all, all)
	spans := randomNesting(rng, 12, 1)
	l, r := make([]bool, 12), make([]bool, 12)
	l[0], r[3], r[7], r[9] = true, true, true, true
	dst := make([]bool, 12)
	for b.Loop() {
		x.Into(dst, RelChild, RelPlain, spans, l, r)
		x.Into(dst, RelSibling, RelPlain, spans, l, r)
	}
}
