package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"

	"github.com/tracectl/tracectl/internal/heapprof"
)

// profiler writes the CPU and heap profiles asked for by --cpuprofile and
// --memprofile (for `go tool pprof`).
type profiler struct {
	cpuFile, memFile string
	cpu              *os.File
}

// start begins CPU profiling when asked to, and the sampling of
// allocations for the heap profile (off until then: see
// internal/heapprof), so that profile covers the command once its flags
// and settings are read.
func (p *profiler) start() error {
	if p.memFile != "" {
		heapprof.Enable()
	}
	if p.cpuFile == "" {
		return nil
	}
	f, err := os.Create(p.cpuFile)
	if err != nil {
		return fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return fmt.Errorf("--cpuprofile: %w", err)
	}
	p.cpu = f
	return nil
}

// stop ends CPU profiling and writes the heap profile (allocations since
// the start and what is in use at the end).
func (p *profiler) stop() error {
	var first error
	if p.cpu != nil {
		pprof.StopCPUProfile()
		first = p.cpu.Close()
		p.cpu = nil
	}
	if p.memFile != "" {
		f, err := os.Create(p.memFile)
		if err != nil {
			return fmt.Errorf("--memprofile: %w", err)
		}
		runtime.GC()
		if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil && first == nil {
			first = fmt.Errorf("--memprofile: %w", err)
		}
		if err := f.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
