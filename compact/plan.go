package compact

import (
	"sort"
	"time"

	"github.com/google/uuid"

	"github.com/tracectl/tracectl/blocks"
)

// Defaults of Options.
const (
	DefaultWindow             = time.Hour
	DefaultMaxInputs          = 4
	DefaultMaxBlockBytes      = 100 << 30
	DefaultCompactedRetention = time.Hour
	DefaultOrphanGrace        = time.Hour
	DefaultMaxObjects         = 6_000_000
	DefaultActiveWindow       = 24 * time.Hour
)

// Options control Plan and Run.
type Options struct {
	// Window is the time window blocks are grouped by (default 1h).
	Window time.Duration
	// MaxInputs is the most blocks merged into one (default 4, at least 2).
	MaxInputs int
	// MaxBlockBytes caps the summed input size of one merge (default 100 GiB).
	MaxBlockBytes uint64
	// MaxObjects caps the summed traces (meta totalObjects) of one merge
	// (default 6,000,000, Tempo's max_compaction_objects).
	MaxObjects int
	// ActiveWindow: windows ending within it of Now group blocks by level
	// too (default 24h, as Tempo).
	ActiveWindow time.Duration
	// CompactedRetention is how long compacted blocks (and abandoned
	// outputs of interrupted runs) are kept before deletion (0: the
	// default, 1h; negative: no delay).
	CompactedRetention time.Duration
	// OrphanGrace is how long a block folder without meta.json (what a
	// killed ingest, redact or another writer leaves: a temporary
	// data.parquet, a bloom without its meta) may sit untouched before Run
	// deletes it (0: the default, 1h; negative: no delay). Abandoned
	// outputs of interrupted compactions follow CompactedRetention.
	OrphanGrace time.Duration
	// MaxTraceBytes, when positive, caps each merged trace at this many
	// bytes of OTLP protobuf (like Tempo's max_bytes_per_trace): spans
	// beyond it are dropped, roots and earliest spans kept, and the cut
	// traces are reported in Output.Cut.
	MaxTraceBytes int64
	// Concurrency is how many merges run at once (default GOMAXPROCS, or
	// blocks.SmallRemoteWrites on an object store when every group is
	// small); each holds one output row group and one row group per input.
	// With 1, the bucket is also changed one request at a time (a merge's
	// inputs are retired one after the other).
	Concurrency int
	// DryRun plans and writes nothing.
	DryRun bool
	// RowGroupBytes of the outputs (default blocks.DefaultRowGroupBytes).
	RowGroupBytes int64
	// Now is the clock (default time.Now).
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	if o.MaxInputs <= 0 {
		o.MaxInputs = DefaultMaxInputs
	}
	if o.MaxInputs < 2 {
		o.MaxInputs = 2
	}
	if o.MaxBlockBytes == 0 {
		o.MaxBlockBytes = DefaultMaxBlockBytes
	}
	if o.MaxObjects <= 0 {
		o.MaxObjects = DefaultMaxObjects
	}
	if o.ActiveWindow <= 0 {
		o.ActiveWindow = DefaultActiveWindow
	}
	switch {
	case o.CompactedRetention == 0:
		o.CompactedRetention = DefaultCompactedRetention
	case o.CompactedRetention < 0:
		o.CompactedRetention = 0
	}
	switch {
	case o.OrphanGrace == 0:
		o.OrphanGrace = DefaultOrphanGrace
	case o.OrphanGrace < 0:
		o.OrphanGrace = 0
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Concurrency < 0 {
		o.Concurrency = 0 // the default, chosen by mergeAll
	}
	return o
}

// Input is one input block of a Group, as printed by a dry run.
type Input struct {
	BlockID   uuid.UUID `json:"blockID"`
	StartTime time.Time `json:"startTime"`
	EndTime   time.Time `json:"endTime"`
	Objects   int       `json:"totalObjects"`
	Size      uint64    `json:"size"`
}

// Group is one planned merge.
type Group struct {
	// Window is the start of the time window of the inputs' end times.
	Window time.Time `json:"window"`
	// Level is the inputs' highest compaction level; the output gets
	// Level+1.
	Level  uint32  `json:"level"`
	Format string  `json:"format"`
	Mark   string  `json:"mark,omitempty"`
	Inputs []Input `json:"inputs"`
	// DedicatedColumns of the output: the union of the inputs' sets (see
	// blocks.UnionDedicatedColumns).
	DedicatedColumns []blocks.DedicatedColumn `json:"dedicatedColumns"`
	// EstimatedObjects and EstimatedBytes are the sums over the inputs:
	// upper bounds, since traces split across inputs are merged.
	EstimatedObjects int    `json:"estimatedObjects"`
	EstimatedBytes   uint64 `json:"estimatedBytes"`

	metas []blocks.Meta
}

// Metas returns the input metas.
func (g Group) Metas() []blocks.Meta { return g.metas }

type groupKey struct {
	window int64
	level  uint32
	format string
	rf     uint32
	mark   string
}

// Plan groups live blocks into merges (see the package doc). marks gives
// each block's rewrite mark (blocks.Provenance.Mark; absent means none):
// only blocks with the same mark merge, and the output keeps it, so a
// redacted block is never redacted twice. Groups come out by window, then
// level, then start time.
func Plan(metas []blocks.Meta, marks map[uuid.UUID]string, opts Options) []Group {
	opts = opts.withDefaults()
	byKey := map[groupKey][]blocks.Meta{}
	var keys []groupKey
	// Windows after boundary are active; the boundary window itself is
	// skipped (its blocks change from one grouping to the other), unless
	// windows are so long that it is the current one.
	boundary := opts.Now().Add(-opts.ActiveWindow).UnixNano() / int64(opts.Window)
	for _, m := range metas {
		window := m.EndTime.UnixNano() / int64(opts.Window)
		if window == boundary && opts.Window < opts.ActiveWindow {
			continue
		}
		level := m.CompactionLevel
		if window < boundary {
			level = 0 // inactive: any level merges
		}
		k := groupKey{
			window: window,
			level:  level,
			format: m.Format,
			rf:     m.ReplicationFactor,
			mark:   marks[m.BlockID],
		}
		if _, ok := byKey[k]; !ok {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], m)
	}
	var out []Group
	for _, k := range keys {
		ms := byKey[k]
		sort.Slice(ms, func(i, j int) bool {
			if !ms[i].StartTime.Equal(ms[j].StartTime) {
				return ms[i].StartTime.Before(ms[j].StartTime)
			}
			return ms[i].BlockID.String() < ms[j].BlockID.String()
		})
		var cur []blocks.Meta
		var size uint64
		var objects int
		flush := func() {
			if len(cur) >= 2 {
				out = append(out, newGroup(k, opts.Window, cur))
			}
			cur, size, objects = nil, 0, 0
		}
		for _, m := range ms {
			if m.Size > opts.MaxBlockBytes || m.TotalObjects > opts.MaxObjects {
				continue // too big to merge with anything
			}
			if len(cur) == opts.MaxInputs || size+m.Size > opts.MaxBlockBytes || objects+m.TotalObjects > opts.MaxObjects {
				flush()
			}
			cur = append(cur, m)
			size += m.Size
			objects += m.TotalObjects
		}
		flush()
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if !a.Window.Equal(b.Window) {
			return a.Window.Before(b.Window)
		}
		if a.Level != b.Level {
			return a.Level < b.Level
		}
		return a.Inputs[0].StartTime.Before(b.Inputs[0].StartTime)
	})
	return out
}

func newGroup(k groupKey, window time.Duration, ms []blocks.Meta) Group {
	g := Group{
		Window: time.Unix(0, k.window*int64(window)).UTC(),
		Level:  k.level,
		Format: k.format,
		Mark:   k.mark,
		metas:  append([]blocks.Meta(nil), ms...),
	}
	g.DedicatedColumns = blocks.UnionDedicatedColumns(g.metas)
	for _, m := range ms {
		g.Level = max(g.Level, m.CompactionLevel)
		g.Inputs = append(g.Inputs, Input{BlockID: m.BlockID, StartTime: m.StartTime, EndTime: m.EndTime, Objects: m.TotalObjects, Size: m.Size})
		g.EstimatedObjects += m.TotalObjects
		g.EstimatedBytes += m.Size
	}
	return g
}
