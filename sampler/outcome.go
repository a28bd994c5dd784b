package sampler

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"slices"

	"github.com/tracectl/tracectl/model"
)

// Outcome is one trace's decision in a replay, as listed by
// `sample replay -o jsonl` and compared by Diff.
type Outcome struct {
	TraceID model.TraceID
	// Decision is Sampled, NotSampled or Dropped (a trace evicted before
	// its decision is NotSampled, Evicted set).
	Decision Vote
	// Policy is the deciding policy ("" when nothing sampled or dropped).
	Policy  string
	Reason  string
	Evicted bool
	Spans   int64
	// Bytes is the trace's size as OTLP protobuf (codec/otlp.ProtoSize,
	// as bytes_limiting charges it).
	Bytes int64
}

// Kept reports whether the trace is forwarded.
func (o *Outcome) Kept() bool { return o.Decision == Sampled }

func outcomeOf(r *record, d *Decision) *Outcome {
	return &Outcome{TraceID: r.id, Decision: d.Final, Policy: d.Policy, Reason: summary(d), Evicted: d.Evicted, Spans: r.spans, Bytes: r.bytes}
}

// outcomeJSON is the JSON line of an Outcome; every field is always
// written so consumers need no defaults.
type outcomeJSON struct {
	TraceID  string `json:"traceID"`
	Decision string `json:"decision"`
	Policy   string `json:"policy"`
	Reason   string `json:"reason"`
	Spans    int64  `json:"spans"`
	Bytes    int64  `json:"bytes"`
}

// MarshalJSON writes {"traceID", "decision", "policy", "reason", "spans",
// "bytes"}, the decision named as the Collector's metrics name it
// (sampled, not_sampled, dropped).
func (o *Outcome) MarshalJSON() ([]byte, error) {
	return marshalJSON(outcomeJSON{o.TraceID.String(), o.Decision.String(), o.Policy, o.Reason, o.Spans, o.Bytes})
}

// marshalJSON is json.Marshal without HTML escaping, so reasons keep their
// ">" (as the other JSON tracectl writes).
func marshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// JSONLines returns an Options.OnOutcome that writes one JSON object per
// line to w, and a flush to call after the replay.
func JSONLines(w io.Writer) (onOutcome func(*Outcome) error, flush func() error) {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	return func(o *Outcome) error { return enc.Encode(o) }, bw.Flush
}

// KeptIDs collects the IDs of kept traces from outcomes.
type KeptIDs struct{ ids []model.TraceID }

// Add is an Options.OnOutcome.
func (k *KeptIDs) Add(o *Outcome) error {
	if o.Kept() {
		k.ids = append(k.ids, o.TraceID)
	}
	return nil
}

// IDs returns the kept IDs sorted.
func (k *KeptIDs) IDs() []model.TraceID {
	slices.SortFunc(k.ids, func(a, b model.TraceID) int { return slices.Compare(a[:], b[:]) })
	return k.ids
}

// WriteTraceIDs writes ids as lower-case hex, one per line.
func WriteTraceIDs(w io.Writer, ids []model.TraceID) error {
	bw := bufio.NewWriter(w)
	for _, id := range ids {
		bw.WriteString(id.String())
		bw.WriteByte('\n')
	}
	return bw.Flush()
}
