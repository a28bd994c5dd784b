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

// strHitValues are the values attribute "k" takes in TestStrHitsMatchValues:
// every shape a string list can hold an attribute in (one string, arrays
// of one, two and three, an empty array, the empty string) and values of
// other types, whose entries the string list leaves empty.
var strHitValues = []model.Value{
	model.StringValue("a"),
	model.StringValue("b"),
	model.StringValue(""),
	model.ArrayValue(model.StringValue("a")),
	model.ArrayValue(model.StringValue("a"), model.StringValue("b")),
	model.ArrayValue(model.StringValue("b"), model.StringValue("a")),
	model.ArrayValue(model.StringValue("b"), model.StringValue("c"), model.StringValue("a")),
	model.ArrayValue(),
	model.IntValue(7),
	model.BoolValue(true),
	model.DoubleValue(1.5),
}

// TestStrHitsMatchValues: testStrHits, the string tests that read the
// string list alone, answers for every hit what reading its values
// (hitValues) and testing them (testHits) does, for span and event
// attributes of every shape, with tests that look at arrays, at the empty
// value and at strings (each passing some hits and not others).
func TestStrHitsMatchValues(t *testing.T) {
	ctx := context.Background()
	s := memStore(t)
	b := model.NewTraceBuilder()
	res := model.Resource{Attributes: []model.Attribute{model.Str("service.name", "svc")}}
	sc := model.Scope{Name: "s"}
	for i := range 600 {
		v := strHitValues[i%len(strHitValues)]
		ev := strHitValues[(i/3)%len(strHitValues)]
		sp := model.Span{TraceID: tid(byte(i>>8), byte(i), 0x5a), SpanID: sid(byte(i), 1), Name: "op",
			StartTimeUnixNano: 1e18 + uint64(i), EndTimeUnixNano: 1e18 + uint64(i) + 10,
			Events: []model.Event{{Name: "e", Attributes: []model.Attribute{{Key: "k", Value: ev}}}}}
		if i%5 != 4 { // some spans without the attribute
			sp.Attributes = []model.Attribute{model.Str("other", "x"), {Key: "k", Value: v}}
		}
		b.AddSpan(&res, "", &sc, "", sp)
	}
	m, err := s.WriteBlock(ctx, b.Traces(), WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("tracectl's pages", func(t *testing.T) { testStrHitsMatchValues(t, s) })
	// Version 1 pages of a few values: many pages a chunk. (parquet-go
	// ends pages at row ends, so no list here is cut by one: the branch of
	// testStrHits for a list whose first entry ended the page before is
	// not reached by this test.)
	blk, err := s.OpenBlock(ctx, m.BlockID)
	if err != nil {
		t.Fatal(err)
	}
	rewriteData(t, s, m, rawRows(t, blk), traceSchema(), parquet.DataPageVersion(1), parquet.PageBufferSize(64))
	t.Run("small version 1 pages", func(t *testing.T) { testStrHitsMatchValues(t, s) })
}

func testStrHitsMatchValues(t *testing.T, s *Store) {
	tests := map[string]func(model.Value, bool) bool{
		"= a, an array of one as its element": func(v model.Value, ok bool) bool {
			if a := stringsOf(v); v.Type == model.ValueArray && len(a) == 1 {
				v = a[0]
			}
			return ok && v.Type == model.ValueString && v.Str == "a"
		},
		"an array holding a": func(v model.Value, ok bool) bool {
			return ok && slices.ContainsFunc(v.Array(), func(e model.Value) bool { return e.Str == "a" })
		},
		"the last element is a": func(v model.Value, ok bool) bool {
			a := v.Array()
			return ok && len(a) > 0 && a[len(a)-1].Str == "a"
		},
		"the empty value":  func(v model.Value, ok bool) bool { return ok && v.Type == model.ValueEmpty },
		"the empty string": func(v model.Value, ok bool) bool { return ok && v.Type == model.ValueString && v.Str == "" },
	}
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
					vl := gf.valueLeaves(owner.al, store.TypesOf(model.ValueString))
					got := map[attrHit]bool{}
					report := func(h attrHit, ok bool) { got[h] = ok }
					if fastPath {
						if vl.isArray.ok || vl.unsupported.ok || vl.ints.ok || vl.doubles.ok || vl.bools.ok {
							t.Fatalf("columns other than the string list to read: %+v", vl)
						}
						err = gf.testStrHits(vl, hits, test, report)
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
