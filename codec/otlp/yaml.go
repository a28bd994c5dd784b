package otlp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"

	"github.com/tracectl/tracectl/codec"
)

// DecodeYAML decodes OTLP written as YAML, as in the Collector's golden
// files (the OTLP/JSON structure in YAML syntax). Each YAML document is
// converted to JSON and decoded as by DecodeJSON; errors carry the YAML
// line where known and the JSON path of a bad ID.
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
			return &codec.DecodeError{File: name, Offset: -1, Err: fmt.Errorf("invalid YAML: %w", err)}
		}
		var buf bytes.Buffer
		if err := yamlToJSON(&buf, &doc); err != nil {
			return &codec.DecodeError{File: name, Offset: -1, Err: err}
		}
		if bytes.Equal(buf.Bytes(), []byte("null")) {
			continue // an empty document
		}
		docs++
		if err := DecodeJSON(name, &buf, emit); err != nil {
			var de *codec.DecodeError
			if errors.As(err, &de) && de.File == name {
				// Line/col refer to the JSON rendering; keep only the path.
				de.Line, de.Col, de.Offset = 0, 0, -1
			}
			return err
		}
	}
	if docs == 0 {
		return &codec.DecodeError{File: name, Offset: -1, Err: errors.New("empty input: no OTLP YAML document")}
	}
	return nil
}

// yamlToJSON renders a YAML node as JSON. Scalars keep their source text:
// numbers stay numbers when they are valid JSON numbers, everything else
// becomes a string, so IDs made only of digits are not mangled.
func yamlToJSON(buf *bytes.Buffer, n *yaml.Node) error {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			buf.WriteString("null")
			return nil
		}
		return yamlToJSON(buf, n.Content[0])
	case yaml.AliasNode:
		return yamlToJSON(buf, n.Alias)
	case yaml.MappingNode:
		buf.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeString(buf, n.Content[i].Value)
			buf.WriteByte(':')
			if err := yamlToJSON(buf, n.Content[i+1]); err != nil {
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
			if err := yamlToJSON(buf, c); err != nil {
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
