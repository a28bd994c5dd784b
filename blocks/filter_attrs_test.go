package blocks

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// listHitValues are the values attribute "k" takes in
// TestListHitsMatchValues: every shape a typed list can hold an attribute
// in (one value, arrays of one, two and three, an empty array, the zero
// value) for strings, ints and doubles, and booleans, whose entries those
// lists leave empty.
var listHitValues = []model.Value{
	model.StringValue("a"),
	model.StringValue("b"),
	model.StringValue(""),
	model.ArrayValue(model.StringValue("a")),
	model.ArrayValue(model.StringValue("a"), model.StringValue("b")),
	model.ArrayValue(model.StringValue("b"), model.StringValue("a")),
	model.ArrayValue(model.StringValue("b"), model.StringValue("c"), model.StringValue("a")),
	model.ArrayValue(),
	model.IntValue(7),
	model.IntValue(0),
	model.IntValue(500),
	model.ArrayValue(model.IntValue(7)),
	model.ArrayValue(model.IntValue(500), model.IntValue(7)),
	model.ArrayValue(model.IntValue(8), model.IntValue(9), model.IntValue(7)),
	model.BoolValue(true),
	model.DoubleValue(1.5),
	model.DoubleValue(0),
	model.DoubleValue(-3),
	model.ArrayValue(model.DoubleValue(1.5)),
	model.ArrayValue(model.DoubleValue(2.5), model.DoubleValue(1.5)),
	model.ArrayValue(model.DoubleValue(1.5), model.DoubleValue(0), model.DoubleValue(-1)),
}

// TestListHitsMatchValues: testOnlyList, the tests of one type that read
// that type's value list alone, answers for every hit what reading its
// values (hitValues) and testing them (testHits) does, for span and event
// attributes of every shape, with tests that look at arrays, at the empty
// value and at values (each passing some hits and not others), for
// strings, ints and doubles.
func TestListHitsMatchValues(t *testing.T) {
	str, ints, doubles := store.TypesOf(model.ValueString), store.TypesOf(model.ValueInt), store.TypesOf(model.ValueDouble)
	t.Run("every shape", func(t *testing.T) {
		testListHitsOn(t, listHitValues, []typedCase{{model.StringValue("a"), str}, {model.IntValue(7), ints}, {model.DoubleValue(1.5), doubles}})
	})
	// TraceQL compares numbers with ints and doubles alike: one list is
	// read alone where the row group holds no value of the other.
	numbers := store.TypesOf(model.ValueInt, model.ValueDouble)
	without := func(typ model.ValueType) []model.Value {
		var out []model.Value
		for _, v := range listHitValues {
			if v.Type != typ && !slices.ContainsFunc(v.Array(), func(e model.Value) bool { return e.Type == typ }) {
				out = append(out, v)
			}
		}
		return out
	}
	t.Run("ints, tested as numbers", func(t *testing.T) {
		testListHitsOn(t, without(model.ValueDouble), []typedCase{{model.IntValue(7), numbers}})
	})
	t.Run("doubles, tested as numbers", func(t *testing.T) {
		testListHitsOn(t, without(model.ValueInt), []typedCase{{model.DoubleValue(1.5), numbers}})
	})
}

// typedCase is a value the tests of typedTests look for, and the value
// types the filter asks for (store.SpanCond.Types).
type typedCase struct {
	x     model.Value
	types store.ValueTypes
}

// testListHitsOn writes a block whose spans and events have attribute "k"
// with the values vals in turn and compares the two paths on it for each
// case, with tracectl's pages and small version 1 pages.
func testListHitsOn(t *testing.T, vals []model.Value, cases []typedCase) {
	ctx := context.Background()
	s := memStore(t)
	b := model.NewTraceBuilder()
	res := model.Resource{Attributes: []model.Attribute{model.Str("service.name", "svc")}}
	sc := model.Scope{Name: "s"}
	for i := range 900 {
		v := vals[i%len(vals)]
		ev := vals[(i/3)%len(vals)]
		sp := model.Span{TraceID: tid(byte(i>>8), byte(i), 0x5a), SpanID: sid(byte(i), 1), Name: "op",
			StartTimeUnixNano: 1e18 + uint64(i), EndTimeUnixNano: 1e18 + uint64(i) + 10,
			Events: []model.Event{{Name: "e", Attributes: []model.Attribute{{Key: "k", Value: ev}}}}}
		if i%11 != 10 { // some spans without the attribute
			sp.Attributes = []model.Attribute{model.Str("other", "x"), {Key: "k", Value: v}}
		}
		b.AddSpan(&res, "", &sc, "", sp)
	}
	m, err := s.WriteBlock(ctx, b.Traces(), WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("tracectl's pages", func(t *testing.T) { testListHitsMatchValues(t, s, cases) })
	// Version 1 pages of a few values: many pages a chunk. (parquet-go
	// ends pages at row ends, so no list here is cut by one: the branch of
	// testListHits for a list whose first entry ended the page before is
	// not reached by this test.)
	blk, err := s.OpenBlock(ctx, m.BlockID)
	if err != nil {
		t.Fatal(err)
	}
	rewriteData(t, s, m, rawRows(t, blk), traceSchema(), parquet.DataPageVersion(1), parquet.PageBufferSize(64))
	t.Run("small version 1 pages", func(t *testing.T) { testListHitsMatchValues(t, s, cases) })
}

// typedTests returns tests of values of type typ that answer differently
// for x, the zero value of typ and the empty value, alone or in arrays.
func typedTests(x model.Value) map[string]func(model.Value, bool) bool {
	typ := x.Type
	zero := model.Value{Type: typ}
	return map[string]func(model.Value, bool) bool{
		"= x, an array of one as its element": func(v model.Value, ok bool) bool {
			if a := v.Array(); v.Type == model.ValueArray && len(a) == 1 {
				v = a[0]
			}
			return ok && v.Equal(x)
		},
		"an array holding x": func(v model.Value, ok bool) bool {
			return ok && slices.ContainsFunc(v.Array(), x.Equal)
		},
		"the last element is x": func(v model.Value, ok bool) bool {
			a := v.Array()
			return ok && len(a) > 0 && a[len(a)-1].Equal(x)
		},
		"the empty value":    func(v model.Value, ok bool) bool { return ok && v.Type == model.ValueEmpty },
		"the zero value":     func(v model.Value, ok bool) bool { return ok && v.Equal(zero) },
		"of the type, not x": func(v model.Value, ok bool) bool { return ok && v.Type == typ && !v.Equal(x) },
	}
}

func testListHitsMatchValues(t *testing.T, s *Store, cases []typedCase) {
	for _, c := range cases {
		t.Run(c.x.Type.String(), func(t *testing.T) { testTypedHitsMatchValues(t, s, c.x, c.types) })
	}
}

func testTypedHitsMatchValues(t *testing.T, s *Store, x model.Value, types store.ValueTypes) {
	tests := typedTests(x)
	fast := 0
	eachRowGroup(t, s, func(_ Meta, b *Block, p *pfile, g int) {
		for _, owner := range []struct {
			al    attrLeaves
			depth int
		}{{p.leaves.spanAttrs, depthSpan}, {p.leaves.eventAttrs, depthEvent}} {
			for name, test := range tests {
				results := func(fastPath bool) map[attrHit]bool {
					gr := newGroupReaders(p, g)
					defer gr.close()
					gf := &groupFilter{p: p, g: g, codec: b.codec, cols: gr, nrows: int(p.file.RowGroups()[g].NumRows())}
					if err := gf.structure(); err != nil {
						t.Fatal(err)
					}
					hits, err := gf.findHits(owner.al, owner.depth, "k")
					if err != nil || len(hits) == 0 {
						t.Fatalf("%d hits, %v", len(hits), err)
					}
					hits = slices.Clone(hits)
					vl := gf.valueLeaves(owner.al, types)
					got := map[attrHit]bool{}
					report := func(h attrHit, ok bool) { got[h] = ok }
					if fastPath {
						typ, ok := onlyList(vl, p.layout)
						if !ok || typ != x.Type {
							t.Fatalf("%v: not the %v list alone to read: %+v", x.Type, x.Type, vl)
						}
						err = gf.testOnlyList(vl, typ, hits, test, report)
					} else {
						var vals *attrBuf
						if vals, err = gf.hitValues(vl, hits); err == nil {
							err = gf.testHits(hits, vals, test, report)
						}
					}
					if err != nil {
						t.Fatal(err)
					}
					if len(got) != len(hits) {
						t.Fatalf("%d answers for %d hits", len(got), len(hits))
					}
					return got
				}
				want, got := results(false), results(true)
				passed := 0
				for h, ok := range want {
					if got[h] != ok {
						t.Errorf("depth %d, %s: hit %+v answered %v, want %v", owner.depth, name, h, got[h], ok)
					}
					if ok {
						passed++
					}
				}
				if passed == 0 || passed == len(want) {
					t.Errorf("depth %d, %s: %d of %d hits pass: the test tells nothing apart", owner.depth, name, passed, len(want))
				}
				fast += len(got)
			}
		}
	})
	if fast == 0 {
		t.Fatal("no hit tested")
	}
	t.Log(fmt.Sprint(fast, " hits compared"))
}
