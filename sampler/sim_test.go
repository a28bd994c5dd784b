package sampler

import (
	"container/list"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store/storetest"
)

// TestNumTracesEviction replays hand-built arrival schedules (one-span
// traces arriving at the given seconds, always_sample) through the
// num_traces table. The Collector's rules (processor.go, iter and
// waitForSpace): a new trace ID finding len(idToTrace) >= num_traces first
// removes the front of deleteTraceQueue, the oldest trace by arrival,
// decided or not; an undecided one loses its spans and is never decided.
// Decided traces stay in idToTrace unless the decision cache for their
// outcome is on. The output is in emission order: evictions when they
// happen, decisions at arrival + decision_wait.
func TestNumTracesEviction(t *testing.T) {
	for _, tc := range []struct {
		name     string
		settings string
		arrivals []int // seconds after t0, trace IDs 0x100, 0x101, …
		want     string
	}{
		// 0x102 arrives at 2 s into a full table {100, 101}, both waiting
		// for their decisions at 10 s and 11 s: 100 goes.
		{"full of pending", "num_traces: 2", []int{0, 1, 2}, "0100:evicted 0101:sampled 0102:sampled"},
		// Decisions at 10 s and 20 s come before the arrivals at the same
		// instants (our tie rule), so the arrival at 20 s evicts 100, which
		// was decided at 10 s and only lingers in the table: no loss.
		{"decided entries absorb evictions", "num_traces: 2", []int{0, 10, 20}, "0100:sampled 0101:sampled 0102:sampled"},
		// At 12 s, 100 (decided at 10 s) is evicted; at 13 s the table holds
		// {101 due at 15 s, 102 due at 22 s}, so 101 is lost.
		{"pending evicted once the decided ones are gone", "num_traces: 2", []int{0, 5, 12, 13}, "0100:sampled 0101:evicted 0102:sampled 0103:sampled"},
		// With both caches 100 leaves the table at its decision (10 s);
		// the table at 13 s is again {101, 102}: the same loss. Decided
		// entries are always older than pending ones (decisions come in
		// arrival order), so caches never change which traces are evicted
		// before their decision; they matter for late spans.
		{"caches do not save pending traces", "num_traces: 2\ndecision_cache: {sampled_cache_size: 100, non_sampled_cache_size: 100}", []int{0, 5, 12, 13}, "0100:sampled 0101:evicted 0102:sampled 0103:sampled"},
		// One instant before 100's decision the arrival evicts it.
		{"tie goes to the decision", "num_traces: 1", []int{0, 10}, "0100:sampled 0101:sampled"},
		{"just before the decision", "num_traces: 1", []int{0, 9}, "0100:evicted 0101:sampled"},
		// num_traces 0: the Collector's check len >= 0 always holds, so
		// every new trace evicts the one before it.
		{"zero", "num_traces: 0", []int{0, 1, 2}, "0100:evicted 0101:evicted 0102:sampled"},
		// block_on_overflow makes the Collector wait instead of evicting.
		{"block on overflow", "num_traces: 1\nblock_on_overflow: true", []int{0, 1, 2}, "0100:sampled 0101:sampled 0102:sampled"},
		// Five traces within one decision_wait and room for three: each
		// arrival beyond the third evicts the oldest pending one.
		{"burst", "num_traces: 3", []int{0, 1, 2, 3, 4}, "0100:evicted 0101:evicted 0102:sampled 0103:sampled 0104:sampled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse("x.yaml", []byte("decision_wait: 10s\n"+tc.settings+"\npolicies: [{name: all, type: always_sample}]\n"), "")
			if err != nil {
				t.Fatal(err)
			}
			ms := make([]int, len(tc.arrivals))
			for i, s := range tc.arrivals {
				ms[i] = s * 1000
			}
			traces := clockTraces(1, ms, func(int) []model.Attribute { return nil })
			if got := kept(t, cfg, traces); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
			r, err := Replay(context.Background(), storetest.New(traces), cfg, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if n := int64(strings.Count(tc.want, "evicted")); r.EvictedTraces != n || r.EvictedSpans != n || r.KeptTraces != int64(len(traces))-n {
				t.Errorf("report: evicted %d traces, %d spans, kept %d; want %d evicted", r.EvictedTraces, r.EvictedSpans, r.KeptTraces, n)
			}
		})
	}
}

// TestEvictedExplain: an evicted trace's decision names the trace that
// pushed it out, in Explain and in test mismatches.
func TestEvictedExplain(t *testing.T) {
	cfg, err := Parse("x.yaml", []byte("{decision_wait: 10s, num_traces: 1, policies: [{name: all, type: always_sample}]}"), "")
	if err != nil {
		t.Fatal(err)
	}
	traces := clockTraces(1, []int{0, 1000}, func(int) []model.Attribute { return nil })
	var got *Decision
	_, err = Replay(context.Background(), storetest.New(traces), cfg, Options{
		Explain: map[model.TraceID]*model.Trace{traces[0].TraceID: traces[0]},
		OnDecision: func(_ *model.Trace, d *Decision) error {
			if d.TraceID == traces[0].TraceID {
				c := *d
				got = &c
			}
			return nil
		}})
	if err != nil || got == nil {
		t.Fatal(err, got)
	}
	want := "trace 00000000000000000000000000000100: drop (not_sampled, evicted before decision)\n" +
		"  evicted from the num_traces table (1 traces) at 2026-08-19T09:00:01Z when trace 00000000000000000000000000000101 arrived, before its decision due at 2026-08-19T09:00:10Z: the Collector discards its spans undecided\n"
	if s := Explain(got); s != want {
		t.Errorf("got\n%swant\n%s", s, want)
	}
	tf := &TestFile{Tests: []TestCase{{TraceID: "100", Decision: "sampled", Policies: map[string]string{"all": "sampled"}}}}
	res := RunTests(cfg, traces, tf)
	var ms []string
	for _, m := range res.Mismatches {
		ms = append(ms, m.What+": "+m.Got)
	}
	if s := strings.Join(ms, "; "); s != "decision: not_sampled (evicted before decision); policies.all: not evaluated (evicted before decision)" {
		t.Errorf("mismatches: %s", s)
	}
}

// TestRunTestsSubPolicies: test files name sub-policies too, and the
// traces are replayed together, so a limiter inside and has the budget
// the earlier traces left.
func TestRunTestsSubPolicies(t *testing.T) {
	cfg, err := Parse("x.yaml", []byte("{decision_wait: 1s, policies: [{name: p, type: and, and: {and_sub_policy: [{name: k, type: string_attribute, string_attribute: {key: k, values: [a]}}, {name: r, type: rate_limiting, rate_limiting: {spans_per_second: 5}}]}}]}"), "")
	if err != nil {
		t.Fatal(err)
	}
	// Five-span traces decided together: 100 and 101 take the 10 tokens,
	// 102 (k=b) never reaches the limiter, 103 finds it empty.
	traces := clockTraces(5, []int{0, 0, 0, 0}, func(i int) []model.Attribute { return []model.Attribute{model.Str("k", "aaba"[i:i+1])} })
	tf := &TestFile{Tests: []TestCase{
		{TraceID: "101", Decision: "sampled", Policies: map[string]string{"r": "sampled"}},
		{TraceID: "102", Decision: "not_sampled", Policies: map[string]string{"k": "not_sampled", "r": "sampled"}},
		{TraceID: "103", Decision: "sampled", Policies: map[string]string{"k": "sampled"}},
	}}
	var ms []string
	for _, m := range RunTests(cfg, traces, tf).Mismatches {
		ms = append(ms, fmt.Sprintf("%s %s: want %s, got %s", m.TraceID[29:], m.What, m.Want, m.Got))
	}
	want := "102 policies.r: want sampled, got not evaluated; 103 decision: want sampled, got not_sampled"
	if s := strings.Join(ms, "; "); s != want {
		t.Errorf("mismatches:\n%s\nwant\n%s", s, want)
	}
}

// TestStatefulInside runs limiters inside and, drop, not and composite.
// Five-span traces all decided at the same instant, in trace ID order. The
// Collector's and/drop (internal/sampling/and.go, drop.go) evaluate
// sub-policies in order and stop at the first NotSampled, so a limiter
// spends tokens when it is reached, even if a later sub-policy says no,
// and nothing when an earlier one said no; composite stops at the first
// sub-policy that samples; not flips its limiter's vote.
func TestStatefulInside(t *testing.T) {
	sub := func(s string) string {
		return "{name: k, type: string_attribute, string_attribute: {key: k, values: [" + s + "]}}"
	}
	rate := func(sps int) string {
		return fmt.Sprintf("{name: r, type: rate_limiting, rate_limiting: {spans_per_second: %d}}", sps)
	}
	for _, tc := range []struct {
		name   string
		policy string
		attrs  string // k of each trace
		want   string
	}{
		// The limiter (burst 20) first: 100–103 take its 20 tokens, 100
		// and 102 then fail k=a; 104 and 105 find it empty.
		{"and, limiter first", "{name: p, type: and, and: {and_sub_policy: [" + rate(10) + ", " + sub("a") + "]}}", "babaaa",
			"0100:not_sampled 0101:sampled 0102:not_sampled 0103:sampled 0104:not_sampled 0105:not_sampled"},
		// k=a first: the limiter sees only 101, 103, 104, 105: 20 spans.
		{"and, limiter last", "{name: p, type: and, and: {and_sub_policy: [" + sub("a") + ", " + rate(10) + "]}}", "babaaa",
			"0100:not_sampled 0101:sampled 0102:not_sampled 0103:sampled 0104:sampled 0105:sampled"},
		// drop when k=b and the limiter (burst 10) allows: 100 and 102
		// are dropped, 103 finds the bucket empty and is kept by always.
		{"drop", "{name: p, type: drop, drop: {drop_sub_policy: [" + sub("b") + ", " + rate(5) + "]}}, {name: all, type: always_sample}", "babb",
			"0100:dropped 0101:sampled 0102:dropped 0103:sampled"},
		// not: the limiter lets 100 and 101 through, so not says no.
		{"not", "{name: p, type: not, not: {not_sub_policy: " + rate(5) + "}}", "aaaa",
			"0100:not_sampled 0101:not_sampled 0102:sampled 0103:sampled"},
		// composite: 100 is sampled by k=a and the limiter is not asked;
		// 101 and 102 take its 10 tokens, 103 finds none (no fall-through).
		{"composite", "{name: p, type: composite, composite: {max_total_spans_per_second: 100, composite_sub_policy: [" + sub("a") + ", " + rate(5) + "]}}", "abbb",
			"0100:sampled 0101:sampled 0102:sampled 0103:not_sampled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse("x.yaml", []byte("{decision_wait: 1s, policies: ["+tc.policy+"]}"), "")
			if err != nil {
				t.Fatal(err)
			}
			if !cfg.Stateful() {
				t.Error("Stateful() = false")
			}
			offsets := make([]int, len(tc.attrs))
			traces := clockTraces(5, offsets, func(i int) []model.Attribute { return []model.Attribute{model.Str("k", tc.attrs[i:i+1])} })
			if got := kept(t, cfg, traces); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

// FuzzNumTracesTable compares the replay's num_traces simulation with a
// direct transcription of the Collector's bookkeeping (processor.go:
// idToTrace map, deleteTraceQueue list, waitForSpace evicting the list's
// front, releaseSampledTrace/releaseNotSampledTrace removing a decided
// trace only when its decision cache is on) over arbitrary schedules. The
// input's first bytes choose num_traces, the caches and block_on_overflow;
// each further byte is one trace: its arrival gap (0–3 s) and whether it
// has k=a (sampled) or not.
func FuzzNumTracesTable(f *testing.F) {
	f.Add([]byte{2, 0, 1, 2, 3, 4, 5, 6, 7})
	f.Add([]byte{3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{1, 1, 12, 12, 1, 2, 13, 0})
	f.Add([]byte{0, 2, 5, 9, 200, 7})
	f.Add([]byte{4, 4, 1, 1, 1, 1, 1, 1})
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) < 3 || len(in) > 200 {
			return
		}
		numTraces, flags, sched := int(in[0]%6), in[1], in[2:]
		settings := fmt.Sprintf("num_traces: %d\nblock_on_overflow: %t\ndecision_cache: {sampled_cache_size: %d, non_sampled_cache_size: %d}",
			numTraces, flags&4 != 0, flags&1, (flags>>1)&1)
		cfg, err := Parse("x.yaml", []byte("decision_wait: 5s\n"+settings+"\npolicies: [{name: k, type: string_attribute, string_attribute: {key: k, values: [a]}}]\n"), "")
		if err != nil {
			t.Fatal(err)
		}
		offsets := make([]int, len(sched))
		at := 0
		for i, b := range sched {
			at += int(b&3) * 1000
			offsets[i] = at
		}
		traces := clockTraces(1, offsets, func(i int) []model.Attribute {
			if sched[i]&4 != 0 {
				return []model.Attribute{model.Str("k", "a")}
			}
			return nil
		})
		got := map[string]string{}
		if _, err := Replay(context.Background(), storetest.New(traces), cfg, Options{OnDecision: func(_ *model.Trace, d *Decision) error {
			got[d.TraceID.String()] = outcome(d)
			return nil
		}}); err != nil {
			t.Fatal(err)
		}
		want := collectorTable(cfg, traces, offsets, func(i int) bool { return sched[i]&4 != 0 })
		for id, w := range want {
			if got[id] != w {
				t.Errorf("trace %s: got %q, want %q (settings %s, offsets %v)", id, got[id], w, settings, offsets)
			}
		}
		if len(got) != len(want) {
			t.Errorf("%d outcomes, want %d", len(got), len(want))
		}
	})
}

func outcome(d *Decision) string {
	if d.Evicted {
		return "evicted"
	}
	return d.Final.String()
}

// collectorTable is the reference for FuzzNumTracesTable, written after
// the Collector's data structures rather than simulate's. Traces arrive in
// offset order (offsets ascending, ties in index order, which is trace ID
// order here); a tick decides every trace whose decision_wait has passed
// before the next arrival is handled.
func collectorTable(cfg *Config, traces []*model.Trace, offsets []int, sampled func(int) bool) map[string]string {
	type entry struct {
		decided bool
		elem    *list.Element
	}
	idToTrace := map[int]*entry{}
	queue := list.New()
	out := map[string]string{}
	var batches []int // trace indices waiting for their tick, in arrival order
	wait := int(cfg.DecisionWait.Milliseconds())
	tick := func(now int, all bool) {
		for len(batches) > 0 && (all || offsets[batches[0]]+wait <= now) {
			i := batches[0]
			batches = batches[1:]
			e, ok := idToTrace[i]
			if !ok {
				continue // sampling_trace_dropped_too_early
			}
			e.decided = true
			kept := sampled(i)
			out[traces[i].TraceID.String()] = voteOf(kept).String()
			if kept && cfg.SampledCacheSize > 0 || !kept && cfg.NonSampledCacheSize > 0 {
				delete(idToTrace, i)
				queue.Remove(e.elem)
			}
		}
	}
	for i := range traces {
		tick(offsets[i], false)
		if !cfg.BlockOnOverflow && uint64(len(idToTrace)) >= cfg.NumTraces {
			if front := queue.Front(); front != nil {
				j := front.Value.(int)
				if !idToTrace[j].decided {
					out[traces[j].TraceID.String()] = "evicted"
				}
				delete(idToTrace, j)
				queue.Remove(front)
			}
		}
		idToTrace[i] = &entry{elem: queue.PushBack(i)}
		batches = append(batches, i)
	}
	tick(0, true)
	return out
}
