package blocks

import (
	"context"
	"fmt"
	"sort"

	"github.com/google/uuid"

	"github.com/tracectl/tracectl/blocks/column"
	"github.com/tracectl/tracectl/model"
)

// Analysis is what Store.Analyse found: per attribute of resources and
// spans, how many hold it and how many bytes its values take, and the
// dedicated columns it suggests (as tempo-cli's "analyse blocks" does).
type Analysis struct {
	Blocks    int   `json:"blocks"`
	Traces    int64 `json:"traces"`
	Resources int64 `json:"resources"`
	Spans     int64 `json:"spans"`
	// Attributes, most value bytes first (ties by scope, name, type).
	Attributes []AttrStat `json:"attributes"`
	// Dedicated are the analysed blocks' dedicated columns (their union).
	Dedicated []DedicatedColumn `json:"dedicated"`
	// Suggested are the string attributes with the most value bytes (at
	// least SuggestMinPercent of all) that no analysed block keeps in a
	// dedicated or static column, as many per scope as the slots
	// Dedicated leaves free.
	Suggested []DedicatedColumn `json:"suggested"`
	// Columns is Dedicated then Suggested in the form --dedicated-columns
	// takes.
	Columns string `json:"columns"`
}

// AttrStat is one attribute of one scope and value type.
type AttrStat struct {
	Scope string `json:"scope"` // span or resource
	Name  string `json:"name"`
	// Type is string, int, double, bool, bytes, array or map.
	Type string `json:"type"`
	// Column says where the values are stored: generic (the attribute
	// lists), dedicated, static (a well-known column), or mixed (in
	// blocks with different dedicated columns).
	Column string `json:"column"`
	// Rows is the number of spans (span scope) or resources holding the
	// attribute; Share is Rows over all spans or resources.
	Rows  int64   `json:"rows"`
	Share float64 `json:"share"`
	// Bytes is the size of the values: string and bytes lengths, 8 per
	// int or double, 1 per bool, the sum over an array's elements, the
	// OTLP JSON of a map.
	Bytes int64 `json:"bytes"`
}

// SuggestMinPercent is the least share of all attribute value bytes (in
// percent) a suggested dedicated column holds.
const SuggestMinPercent = 1

type attrID struct{ scope, name, typ string }

// analyser accumulates the stats of the row groups one worker reads.
type analyser struct {
	traces, resources, spans int64
	attrs                    map[attrID]*AttrStat
}

func newAnalyser() *analyser { return &analyser{attrs: map[attrID]*AttrStat{}} }

func (an *analyser) add(scope, name, typ, column string, bytes int64) {
	id := attrID{scope, name, typ}
	s := an.attrs[id]
	if s == nil {
		s = &AttrStat{Scope: scope, Name: name, Type: typ, Column: column}
		an.attrs[id] = s
	} else if s.Column != column {
		s.Column = "mixed"
	}
	s.Rows++
	s.Bytes += bytes
}

func (an *analyser) merge(o *analyser) {
	an.traces += o.traces
	an.resources += o.resources
	an.spans += o.spans
	for id, s := range o.attrs {
		t := an.attrs[id]
		if t == nil {
			c := *s
			an.attrs[id] = &c
			continue
		}
		if t.Column != s.Column {
			t.Column = "mixed"
		}
		t.Rows += s.Rows
		t.Bytes += s.Bytes
	}
}

// Analyse reads the attributes of the blocks named by ids (every live
// block when ids is empty) column by column, without building traces, and
// reports their sizes and the dedicated columns they suggest. Damaged
// blocks are left out (see Damaged).
func (s *Store) Analyse(ctx context.Context, ids []uuid.UUID) (Analysis, error) {
	metas, err := s.Blocks(ctx)
	if err != nil {
		return Analysis{}, err
	}
	if len(ids) > 0 {
		byID := map[uuid.UUID]Meta{}
		for _, m := range metas {
			byID[m.BlockID] = m
		}
		metas = metas[:0:0]
		for _, id := range ids {
			m, ok := byID[id]
			if !ok {
				return Analysis{}, fmt.Errorf("block %s: not a live block of tenant %q", id, s.tenant)
			}
			metas = append(metas, m)
		}
	}
	total := newAnalyser()
	_, err = s.runGroupTasks(ctx, metas, nil, nil, func() groupWorker {
		an := newAnalyser()
		return groupWorker{
			task: func(ctx context.Context, b *Block, file *pfile, t scanTask) ([]*model.Trace, error) {
				return nil, t.eachGroup(ctx, file, nil, func(g int) error {
					return file.analyseGroup(ctx, g, b.codec, an)
				})
			},
			done:   func() { total.merge(an) }, // under runGroupTasks' lock
			passed: func() int64 { return an.traces },
		}
	})
	if err != nil {
		return Analysis{}, err
	}
	a := total.result(metas)
	a.Blocks = s.notLeftOut(metas)
	return a, nil
}

// result sorts the stats and picks the suggestions.
func (an *analyser) result(metas []Meta) Analysis {
	a := Analysis{Blocks: len(metas), Traces: an.traces, Resources: an.resources, Spans: an.spans,
		Attributes: []AttrStat{}, Dedicated: []DedicatedColumn{}, Suggested: []DedicatedColumn{}}
	for _, s := range an.attrs {
		st := *s
		n := an.spans
		if st.Scope == ScopeResource {
			n = an.resources
		}
		st.Share = float64(st.Rows) / float64(max(n, 1))
		a.Attributes = append(a.Attributes, st)
	}
	sort.Slice(a.Attributes, func(i, j int) bool {
		x, y := a.Attributes[i], a.Attributes[j]
		if x.Bytes != y.Bytes {
			return x.Bytes > y.Bytes
		}
		if x.Scope != y.Scope {
			return x.Scope < y.Scope
		}
		if x.Name != y.Name {
			return x.Name < y.Name
		}
		return x.Type < y.Type
	})
	taken := map[string]bool{}
	free := map[string]int{ScopeSpan: MaxDedicatedPerScope, ScopeResource: MaxDedicatedPerScope}
	for _, m := range metas {
		for _, c := range DedicatedColumnsOf(m) {
			if taken[c.Scope+"."+c.Name] {
				continue
			}
			taken[c.Scope+"."+c.Name] = true
			free[c.Scope]--
			d := DedicatedColumn{Name: c.Name}
			if c.Scope == ScopeResource {
				d.Scope = ScopeResource
			}
			a.Dedicated = append(a.Dedicated, d)
		}
	}
	var all int64
	for _, s := range a.Attributes {
		all += s.Bytes
	}
	for _, s := range a.Attributes {
		k := s.Scope + "." + s.Name
		if s.Type != "string" || s.Column != "generic" || taken[k] || free[s.Scope] <= 0 || staticColumnOf(s.Scope, s.Name) != "" ||
			s.Bytes*100 < all*SuggestMinPercent {
			continue
		}
		taken[k] = true
		free[s.Scope]--
		d := DedicatedColumn{Name: s.Name}
		if s.Scope == ScopeResource {
			d.Scope = ScopeResource
		}
		a.Suggested = append(a.Suggested, d)
	}
	a.Columns = FormatDedicatedColumns(append(append([]DedicatedColumn(nil), a.Dedicated...), a.Suggested...))
	return a
}

// analyseGroup adds row group g's resource and span attributes to an.
func (p *pfile) analyseGroup(ctx context.Context, g int, c *codec, an *analyser) error {
	a := &groupAssembler{file: p, group: g, codec: c, leaves: p.leaves, layout: p.layout}
	a.nrows = p.file.RowGroups()[g].NumRows()
	defer a.close()
	l, r := p.leaves, &a.rd
	r.start = a.open(l.start)
	r.serviceName = a.open(l.serviceName)
	for i := range l.resStatic {
		r.resStatic[i] = a.open(l.resStatic[i])
	}
	for i := range l.resDedicated {
		if c.resNames[i] != "" {
			r.resDedicated[i] = a.open(l.resDedicated[i])
		}
	}
	r.resAttrs = a.openAttrs(l.resAttrs)
	r.httpMethod, r.httpURL, r.httpStatus = a.open(l.httpMethod), a.open(l.httpURL), a.open(l.httpStatus)
	for i := range l.spanDedicated {
		if c.spanNames[i] != "" {
			r.spanDedicated[i] = a.open(l.spanDedicated[i])
		}
	}
	r.spanAttrs = a.openAttrs(l.spanAttrs)
	cols := make([]int, 0, len(a.readers))
	for _, rd := range a.readers {
		cols = append(cols, rd.Leaf().Index)
	}
	if err := p.loadChunks(g, cols); err != nil {
		return err
	}
	defer p.r.release()
	for a.remaining() > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := int(min(a.remaining(), rowBatch))
		if err := a.analyseBatch(n, an); err != nil {
			return a.wrap(err)
		}
	}
	return nil
}

// analyseColumn is a column holding one attribute's values.
type analyseColumn struct {
	r                   *column.Reader
	scope, name, column string
	depth, count        int
	int64               bool // an int column (http.status_code)
}

// analyseBatch reads the next n rows' attributes into an.
func (a *groupAssembler) analyseBatch(n int, an *analyser) error {
	b, r := &a.b, &a.rd
	b.reset()
	if err := a.readStructure(n, nil); err != nil {
		return err
	}
	a.rows += int64(n)
	nrs, nspans := len(b.rsTrace), len(b.spanSS)
	an.traces += int64(b.nTraces)
	an.resources += int64(nrs)
	an.spans += int64(nspans)

	cols := []analyseColumn{
		{r: r.serviceName, scope: ScopeResource, name: model.ServiceNameKey, column: "static", depth: depthRS, count: nrs},
		{r: r.httpMethod, scope: ScopeSpan, name: keyHTTPMethod, column: "static", depth: depthSpan, count: nspans},
		{r: r.httpURL, scope: ScopeSpan, name: keyHTTPURL, column: "static", depth: depthSpan, count: nspans},
		{r: r.httpStatus, scope: ScopeSpan, name: keyHTTPStatusCode, column: "static", depth: depthSpan, count: nspans, int64: true},
	}
	for i, key := range resourceStatic {
		cols = append(cols, analyseColumn{r: r.resStatic[i], scope: ScopeResource, name: key, column: "static", depth: depthRS, count: nrs})
	}
	for i, key := range a.codec.resNames {
		cols = append(cols, analyseColumn{r: r.resDedicated[i], scope: ScopeResource, name: key, column: "dedicated", depth: depthRS, count: nrs})
	}
	for i, key := range a.codec.spanNames {
		cols = append(cols, analyseColumn{r: r.spanDedicated[i], scope: ScopeSpan, name: key, column: "dedicated", depth: depthSpan, count: nspans})
	}
	for _, c := range cols {
		if c.r == nil {
			continue
		}
		typ := "string"
		if c.int64 {
			typ = "int"
		}
		required := c.r == r.serviceName // "" there stands for no service.name
		err := eachValue(c.r, n, nil, c.depth, c.count, func(_, vi int) error {
			size := int64(8)
			if !c.int64 {
				size = int64(len(c.r.StringAt(vi)))
			}
			if required && size == 0 {
				return nil
			}
			an.add(c.scope, c.name, typ, c.column, size)
			return nil
		})
		if err != nil {
			return err
		}
	}
	for _, g := range []struct {
		ar     *attrReaders
		buf    *attrBuf
		scope  string
		depth  int
		owners int
	}{{r.resAttrs, &b.resAttrs, ScopeResource, depthRS, nrs}, {r.spanAttrs, &b.spanAttrs, ScopeSpan, depthSpan, nspans}} {
		if g.ar == nil {
			continue
		}
		if err := a.readAttrs(g.ar, n, nil, g.depth, g.owners, g.buf); err != nil {
			return fmt.Errorf("%s attributes: %w", g.scope, err)
		}
		if err := g.buf.analyse(g.scope, a.layout, an); err != nil {
			return fmt.Errorf("%s attributes: %w", g.scope, err)
		}
	}
	return nil
}

// analyse adds the generic attributes read into ab to an.
func (ab *attrBuf) analyse(scope string, l layout, an *analyser) error {
	for i := range ab.owner {
		i := int32(i)
		if l == layoutDocumented && !ab.unsup.ok[i] && !ab.isArray[i] {
			ns, ni, nd, nb := ab.strs.n[i], ab.ints.n[i], ab.doubles.n[i], ab.bools.n[i]
			switch {
			case ns == 1 && ni+nd+nb == 0:
				an.add(scope, ab.key[i], "string", "generic", int64(len(ab.strs.vals[ab.strs.first[i]])))
				continue
			case ni == 1 && ns+nd+nb == 0:
				an.add(scope, ab.key[i], "int", "generic", 8)
				continue
			case nd == 1 && ns+ni+nb == 0:
				an.add(scope, ab.key[i], "double", "generic", 8)
				continue
			case nb == 1 && ns+ni+nd == 0:
				an.add(scope, ab.key[i], "bool", "generic", 1)
				continue
			}
		}
		v, err := ab.value(i, l)
		if err != nil {
			return fmt.Errorf("attribute %q: %w", ab.key[i], err)
		}
		an.add(scope, ab.key[i], v.Type.String(), "generic", valueBytes(v))
	}
	return nil
}

// valueBytes is the size AttrStat.Bytes counts for v.
func valueBytes(v model.Value) int64 {
	switch v.Type {
	case model.ValueString:
		return int64(len(v.Str))
	case model.ValueInt, model.ValueDouble:
		return 8
	case model.ValueBool:
		return 1
	case model.ValueBytes:
		return int64(len(v.Bytes()))
	case model.ValueArray:
		var n int64
		for _, e := range v.Array() {
			n += valueBytes(e)
		}
		return n
	case model.ValueMap:
		return int64(len(v.AsString()))
	}
	return 0
}
