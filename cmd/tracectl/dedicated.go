package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"

	"github.com/tracectl/tracectl/blocks"
)

// dedicatedFlag is --dedicated-columns: "none", span.NAME,resource.NAME,
// or a .yaml/.json file (blocks.ParseDedicatedColumns). In the config
// file the key may also hold Tempo's list of {scope, name, type}.
type dedicatedFlag struct {
	cols []blocks.DedicatedColumn
}

func newDedicatedFlag() *dedicatedFlag {
	return &dedicatedFlag{cols: blocks.DefaultDedicatedColumns()}
}

func (d *dedicatedFlag) String() string { return blocks.FormatDedicatedColumns(d.cols) }
func (d *dedicatedFlag) Type() string   { return "columns" }

func (d *dedicatedFlag) Set(s string) error {
	cols, err := blocks.ParseDedicatedColumns(s)
	if err != nil {
		return err
	}
	d.cols = cols
	return nil
}

// SetConfig takes the value of the config key: a string as the flag
// takes it, or a YAML list of {scope, name, type}.
func (d *dedicatedFlag) SetConfig(v any) error {
	switch x := v.(type) {
	case string:
		return d.Set(x)
	case nil:
		return d.Set("none")
	}
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("want a list of {scope, name, type}: %w", err)
	}
	cols, err := blocks.DecodeDedicatedColumns(data)
	if err != nil {
		// Its line numbers are the re-encoded value's, not the file's.
		return errors.New(decoderLine.ReplaceAllString(err.Error(), ""))
	}
	d.cols = cols
	return nil
}

// decoderLine matches the "line N: " of the YAML decoder's messages.
var decoderLine = regexp.MustCompile(`line \d+: `)
