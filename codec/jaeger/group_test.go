package jaeger

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"

	jmodel "github.com/jaegertracing/jaeger-idl/model/v1"
)

// appendProcessKey tells processes apart exactly as their protobuf text
// did (the key the group used before): random processes from a small pool
// of values, so that many pairs are equal, NaNs and -0 included.
func TestProcessKeyIsText(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(n int) int { return rng.IntN(n) }
	strs := []string{"", "a", "b"}
	floats := []float64{0, math.Copysign(0, -1), 1, math.Inf(1), math.NaN(), math.Float64frombits(0x7ff8000000000002), math.Float64frombits(0xfff8000000000000)}
	bins := [][]byte{nil, {}, {1}}
	process := func() *jmodel.Process {
		if pick(8) == 0 {
			return nil
		}
		p := &jmodel.Process{ServiceName: strs[pick(2)]}
		for range pick(3) {
			p.Tags = append(p.Tags, jmodel.KeyValue{
				Key: strs[pick(3)], VType: jmodel.ValueType(pick(5)), VStr: strs[pick(2)],
				VBool: pick(2) == 0, VInt64: int64(pick(3) - 1), VFloat64: floats[pick(len(floats))], VBinary: bins[pick(3)],
			})
		}
		return p
	}
	text := func(p *jmodel.Process) string {
		if p == nil {
			return ""
		}
		return p.String()
	}
	same, differ := 0, 0
	// b is a copy of a with one field picked anew, or another process.
	mutate := func(a *jmodel.Process) *jmodel.Process {
		if a == nil || pick(4) == 0 {
			return process()
		}
		b := &jmodel.Process{ServiceName: a.ServiceName, Tags: append([]jmodel.KeyValue(nil), a.Tags...)}
		if len(b.Tags) == 0 || pick(5) == 0 {
			b.ServiceName = strs[pick(3)]
			return b
		}
		tag := &b.Tags[pick(len(b.Tags))]
		switch pick(7) {
		case 0:
			tag.Key = strs[pick(3)]
		case 1:
			tag.VType = jmodel.ValueType(pick(5))
		case 2:
			tag.VStr = strs[pick(3)]
		case 3:
			tag.VBool = !tag.VBool
		case 4:
			tag.VInt64 = int64(pick(3) - 1)
		case 5:
			tag.VFloat64 = floats[pick(len(floats))]
		default:
			tag.VBinary = bins[pick(3)]
		}
		return b
	}
	for range 20000 {
		a := process()
		b := mutate(a)
		wantSame := text(a) == text(b)
		gotSame := string(appendProcessKey(nil, a)) == string(appendProcessKey(nil, b))
		if gotSame != wantSame {
			t.Fatalf("processes %q and %q: same key %v, same text %v", text(a), text(b), gotSame, wantSame)
		}
		if wantSame {
			same++
		} else {
			differ++
		}
	}
	if same < 1000 || differ < 1000 {
		t.Fatalf("%d equal pairs and %d unequal: the pool does not test both", same, differ)
	}
}

// rawString reads a JSON string as encoding/json does, whatever its
// escapes and bytes.
func TestRawStringAsUnmarshal(t *testing.T) {
	for _, raw := range []string{
		`""`, `"plain"`, ` "spaced" `, `"a\"b"`, `"tab\tnew\nline"`, `"\u00e9\u4e2d"`, `"\ud83d\ude00"`,
		`"\ud800"`, `"\/slash\\"`, "\"bad \xff utf-8\"", "\"caf\xc3\xa9\"", `"\u0000"`,
	} {
		var want string
		if err := json.Unmarshal([]byte(raw), &want); err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		if got := rawString(json.RawMessage(raw)); got != want {
			t.Errorf("rawString(%s) = %q, want %q", raw, got, want)
		}
	}
}
