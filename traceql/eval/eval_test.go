package eval_test

import (
	"testing"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
	"github.com/tracectl/tracectl/store/storetest"
	"github.com/tracectl/tracectl/traceql/traceqltest"
)

func openMemory(_ *testing.T, traces []*model.Trace) store.Source { return storetest.New(traces) }

// TestScripts runs the conformance scripts against the in-memory source.
func TestScripts(t *testing.T) {
	traceqltest.Run(t, "../testdata/search", openMemory)
}
