package otlp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/tracectl/tracectl/codec"
)

// DecodeYAML decodes OTLP written as YAML, as in the Collector's golden
// files (the OTLP/JSON structure in YAML syntax). Each YAML document is
// converted to JSON and decoded as by DecodeJSON; errors carry the YAML
// line where known and the JSON path of a bad ID. YAML has no closing
// bracket, so a file cut at a line boundary is valid YAML and cannot be
// told from a complete one (the Collector's goldens lack a final newline,
// so that is no sign either).
func DecodeYAML(name string, r io.Reader, emit codec.EmitFunc) error {
	dec := yaml.NewDecoder(r)
	docs := 0
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return &codec.DecodeError{File: name, Line: yamlErrLine(err), Offset: -1, Err: fmt.Errorf("invalid YAML: %w", err)}
		}
		var buf bytes.Buffer
		pos := map[string][2]int{}
		yc := &yamlConv{pos: pos}
		if err := yc.render(&buf, &doc, "$", 0, false); err != nil {
			var de *codec.DecodeError
			if errors.As(err, &de) {
				de.File = name
				return de
			}
			return &codec.DecodeError{File: name, Offset: -1, Err: err}
		}
		if bytes.Equal(buf.Bytes(), []byte("null")) {
			continue // an empty document
		}
		docs++
		if err := DecodeJSON(name, &warnTo{Reader: &buf, to: r}, emit); err != nil {
			var de *codec.DecodeError
			if errors.As(err, &de) && de.File == name {
				// Line/col refer to the JSON rendering: use the YAML
				// position of the path, or of its nearest ancestor.
				de.Line, de.Col, de.Offset = 0, 0, -1
				for p := de.Path; p != ""; p = parentPath(p) {
					if lc, ok := pos[p]; ok {
						de.Line, de.Col = lc[0], lc[1]
						break
					}
				}
			}
			return err
		}
	}
	if docs == 0 {
		return &codec.DecodeError{File: name, Offset: -1, Err: errors.New("empty input: no OTLP YAML document")}
	}
	return nil
}

// warnTo passes warnings on to the reader to, without the positions in
// the JSON rendering (they are not the YAML's).
type warnTo struct {
	io.Reader
	to io.Reader
}

func (w *warnTo) Warn(d *codec.DecodeError) {
	d.Line, d.Col, d.Offset = 0, 0, -1
	codec.Warn(w.to, d)
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+):`)

// yamlErrLine extracts the line from a yaml.v3 syntax error, or 0.
func yamlErrLine(err error) int {
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

// parentPath drops the last element of a JSON path: $.a[1].b -> $.a[1].
func parentPath(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i <= 0 {
		return ""
	}
	return p[:i]
}

// clipPath keeps the first segs segments of a JSON path and counts the
// others, as normaliser.path does.
func clipPath(p string, segs int) string {
	n := 0
	for i := 1; i < len(p); i++ {
		if p[i] == '.' || p[i] == '[' {
			if n++; n > segs {
				return fmt.Sprintf("%s…(+%d levels)", p[:i], strings.Count(p[i:], "[")+strings.Count(p[i:], "."))
			}
		}
	}
	return p
}

// maxAliasNodes bounds the nodes rendered through aliases in one YAML
// document: a few aliases can stand for billions of nodes ("billion
// laughs"; 200 bytes of them took 21 GB before this bound).
const maxAliasNodes = 1_000_000

// yamlConv renders YAML nodes as JSON. Scalars keep their source text:
// numbers stay numbers when they are valid JSON numbers, everything else
// becomes a string, so IDs made only of digits are not mangled.
//
// pos receives the line and column of every node by its JSON path, except
// below an alias.
type yamlConv struct {
	pos     map[string][2]int
	aliased int // nodes rendered through aliases
}

// render writes n as JSON. depth counts the mappings and sequences around
// n: past codec.MaxJSONDepth the document is refused (yaml.v3 allows 10,000
// levels, and the paths kept here would grow with the square of that).
func (yc *yamlConv) render(buf *bytes.Buffer, n *yaml.Node, path string, depth int, inAlias bool) error {
	if n.Kind != yaml.DocumentNode && !inAlias {
		// Nodes reached through an alias are placed at the alias.
		yc.pos[path] = [2]int{n.Line, n.Column}
	}
	if (n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode) && depth >= codec.MaxJSONDepth {
		return &codec.DecodeError{Line: n.Line, Col: n.Column, Offset: -1, Path: clipPath(path, maxPathSegs),
			Err: fmt.Errorf("YAML nested deeper than %d levels of mappings and sequences, tracectl's limit", codec.MaxJSONDepth)}
	}
	if inAlias {
		if yc.aliased++; yc.aliased > maxAliasNodes {
			return &codec.DecodeError{Line: n.Line, Col: n.Column, Offset: -1, Path: path,
				Err: fmt.Errorf("YAML aliases expand to more than %d nodes (an alias bomb?)", maxAliasNodes)}
		}
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			buf.WriteString("null")
			return nil
		}
		return yc.render(buf, n.Content[0], path, depth, inAlias)
	case yaml.AliasNode:
		return yc.render(buf, n.Alias, path, depth, true)
	case yaml.MappingNode:
		buf.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeString(buf, n.Content[i].Value)
			buf.WriteByte(':')
			if v := n.Content[i+1]; v.Kind == yaml.ScalarNode && isIDKey(n.Content[i].Value) && (v.ShortTag() == "!!int" || v.ShortTag() == "!!float") {
				// An ID made only of digits is still a hex string.
				if !inAlias {
					yc.pos[path+"."+n.Content[i].Value] = [2]int{v.Line, v.Column}
				}
				writeString(buf, v.Value)
				continue
			}
			if err := yc.render(buf, n.Content[i+1], path+"."+n.Content[i].Value, depth+1, inAlias); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	case yaml.SequenceNode:
		buf.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := yc.render(buf, c, path+"["+strconv.Itoa(i)+"]", depth+1, inAlias); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!int", "!!float":
			if json.Valid([]byte(n.Value)) {
				buf.WriteString(n.Value)
			} else {
				writeString(buf, n.Value)
			}
		case "!!bool":
			var b bool
			if err := n.Decode(&b); err != nil {
				return fmt.Errorf("line %d: %w", n.Line, err)
			}
			fmt.Fprint(buf, b)
		case "!!null":
			buf.WriteString("null")
		default:
			writeString(buf, n.Value)
		}
	default:
		return fmt.Errorf("line %d: unsupported YAML node", n.Line)
	}
	return nil
}
