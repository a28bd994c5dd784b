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
		if err := yamlToJSON(&buf, &doc, "$", pos); err != nil {
			return &codec.DecodeError{File: name, Offset: -1, Err: err}
		}
		if bytes.Equal(buf.Bytes(), []byte("null")) {
			continue // an empty document
		}
		docs++
		if err := DecodeJSON(name, &buf, emit); err != nil {
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

// yamlToJSON renders a YAML node as JSON. Scalars keep their source text:
// numbers stay numbers when they are valid JSON numbers, everything else
// becomes a string, so IDs made only of digits are not mangled.
//
// pos receives the line and column of every node by its JSON path.
func yamlToJSON(buf *bytes.Buffer, n *yaml.Node, path string, pos map[string][2]int) error {
	if n.Kind != yaml.DocumentNode {
		pos[path] = [2]int{n.Line, n.Column}
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			buf.WriteString("null")
			return nil
		}
		return yamlToJSON(buf, n.Content[0], path, pos)
	case yaml.AliasNode:
		return yamlToJSON(buf, n.Alias, path, pos)
	case yaml.MappingNode:
		buf.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeString(buf, n.Content[i].Value)
			buf.WriteByte(':')
			if err := yamlToJSON(buf, n.Content[i+1], path+"."+n.Content[i].Value, pos); err != nil {
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
			if err := yamlToJSON(buf, c, path+"["+strconv.Itoa(i)+"]", pos); err != nil {
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
