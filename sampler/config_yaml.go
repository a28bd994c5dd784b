package sampler

import (
	"errors"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxExpandedNodes bounds the size of a config with its aliases expanded:
// a few aliases can name a tree of billions of nodes ("billion laughs"),
// which walking would never finish. Real configs have a few thousand.
const maxExpandedNodes = 100000

// expander replaces the aliases and merge keys of a YAML tree by what they
// stand for, as the Collector sees the config: it decodes the file into
// maps first (yaml.v3), which resolves both. The result shares the
// anchored nodes, so an error inside an alias's target is reported at the
// target's line:col, where the fix is.
type expander struct {
	p    *parser
	done map[*yaml.Node]*yaml.Node // expanded node by original
	busy map[*yaml.Node]bool       // being expanded: an alias to one loops
	made int                       // nodes placed in expanded lists and mappings
}

// grow counts k more nodes placed under n; false (reported once) when
// that is more than maxExpandedNodes, so merge keys cannot blow up either.
func (x *expander) grow(n *yaml.Node, k int) bool {
	if x.made > maxExpandedNodes {
		return false
	}
	if x.made += k; x.made > maxExpandedNodes {
		x.p.errorf(n, "aliases expand this to more than %d YAML nodes (an alias bomb?)", maxExpandedNodes)
		return false
	}
	return true
}

// expand returns root expanded, or nil with the errors in p.
func (p *parser) expand(root *yaml.Node) *yaml.Node {
	x := &expander{p: p, done: map[*yaml.Node]*yaml.Node{}, busy: map[*yaml.Node]bool{}}
	n := x.node(root)
	if len(p.errs) > 0 {
		return nil
	}
	var over *yaml.Node
	if expandedSize(n, map[*yaml.Node]int{}, &over) > maxExpandedNodes {
		p.errorf(over, "aliases expand this to more than %d YAML nodes (an alias bomb?)", maxExpandedNodes)
		return nil
	}
	return n
}

func (x *expander) node(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode {
		if x.busy[n.Alias] {
			x.p.errorf(n, "alias *%s: refers to a value that contains the alias", n.Value)
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: n.Line, Column: n.Column}
		}
		return x.node(n.Alias)
	}
	if d, ok := x.done[n]; ok {
		return d
	}
	if n.Kind != yaml.MappingNode && n.Kind != yaml.SequenceNode {
		return n
	}
	x.busy[n] = true
	c := *n
	if n.Kind == yaml.MappingNode {
		c.Content = x.mapping(n)
	} else {
		c.Content = nil
		if x.grow(n, len(n.Content)) {
			c.Content = make([]*yaml.Node, len(n.Content))
			for i, item := range n.Content {
				c.Content[i] = x.node(item)
			}
		}
	}
	delete(x.busy, n)
	x.done[n] = &c
	return &c
}

// mapping returns the key/value pairs of n with merge keys (<<) replaced
// by the pairs they merge, as yaml.v3 decodes them: a key written in n
// wins over a merged one, and of a list of merged mappings the first that
// has a key gives its value. The merged pairs take the place of the <<.
func (x *expander) mapping(n *yaml.Node) []*yaml.Node {
	have := map[string]bool{}
	var pairs []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		if !isMerge(n.Content[i]) {
			k := x.node(n.Content[i])
			have[k.Value] = true
			pairs = append(pairs, k, x.node(n.Content[i+1]))
			continue
		}
		pairs = append(pairs, n.Content[i], n.Content[i+1]) // a placeholder
	}
	out := make([]*yaml.Node, 0, len(pairs))
	merged := false
	for i := 0; i+1 < len(pairs); i += 2 {
		k := pairs[i]
		if !isMerge(k) {
			if x.grow(n, 2) {
				out = append(out, k, pairs[i+1])
			}
			continue
		}
		if merged {
			// yaml.v3 refuses a repeated key, << included.
			x.p.errorf(k, "<<: merge key repeated in one mapping")
		}
		merged = true
		for _, src := range x.mergeSources(pairs[i+1]) {
			for j := 0; j+1 < len(src.Content); j += 2 {
				if key := src.Content[j].Value; !have[key] && x.grow(n, 2) {
					have[key] = true
					out = append(out, src.Content[j], src.Content[j+1])
				}
			}
		}
	}
	return out
}

// mergeSources returns the expanded mappings a merge key's value v
// names: a mapping or an alias of one, or a list of those.
func (x *expander) mergeSources(v *yaml.Node) []*yaml.Node {
	items := []*yaml.Node{v}
	if v.Kind == yaml.SequenceNode {
		items = v.Content
	}
	var out []*yaml.Node
	for _, item := range items {
		target := item
		if item.Kind == yaml.AliasNode {
			target = item.Alias
		}
		if target.Kind != yaml.MappingNode {
			x.p.errorf(item, "<<: a merge key wants a mapping, an alias of one or a list of those, got %s", kindName(target))
			continue
		}
		out = append(out, x.node(item))
	}
	return out
}

// isMerge tells whether k is the merge key: a plain <<, not a quoted one.
func isMerge(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Value == "<<" && k.ShortTag() == "!!merge"
}

// expandedSize counts the nodes of n as a tree, shared nodes once per
// use, stopping past maxExpandedNodes; over is set to the first (so the
// smallest) node found too big.
func expandedSize(n *yaml.Node, memo map[*yaml.Node]int, over **yaml.Node) int {
	if s, ok := memo[n]; ok {
		return s
	}
	s := 1
	for _, c := range n.Content {
		if s += expandedSize(c, memo, over); s > maxExpandedNodes {
			break
		}
	}
	if s > maxExpandedNodes && *over == nil {
		*over = n
	}
	memo[n] = s
	return s
}

// collectorDecodeErrors decodes data as the Collector reads a config file
// (yaml.v3 into maps), which also refuses what tracectl's own walk does
// not look at: a repeated key anywhere, excessive aliasing.
func collectorDecodeErrors(file string, data []byte) ErrorList {
	var v any
	err := yaml.Unmarshal(data, &v)
	if err == nil {
		return nil
	}
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return yamlError(file, err).(ErrorList)
	}
	var out ErrorList
	for _, msg := range te.Errors {
		e := &Error{File: file, Msg: msg}
		if rest, ok := strings.CutPrefix(msg, "line "); ok {
			if n, after, ok := strings.Cut(rest, ": "); ok {
				if l, err := strconv.Atoi(n); err == nil {
					e.Line, e.Col, e.Msg = l, 1, after
				}
			}
		}
		out = append(out, e)
	}
	return out
}
