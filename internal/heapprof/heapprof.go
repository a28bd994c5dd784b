// Package heapprof turns off the runtime's sampling of allocations for
// heap profiles early in package initialisation, and Enable turns it back
// on for --memprofile. Only package main imports it.
//
// By default the runtime records the stack of about one allocation in
// every 512 KiB (runtime.MemProfileRate), whether or not a profile is
// ever written. In a short command a record is costly: its stack is
// looked up in the function tables, whose pages are then read for the
// first time, each a page fault. Sampling took 2.0% of the CPU of a
// limit-20 search on 114k spans, and 0.69% with this package: what is
// left are the records made before its init, and the one the runtime
// makes on the next allocation after the rate changes (perf, 40 runs
// each). tracectl writes a heap profile only when --memprofile asks for
// one.
//
// A GODEBUG memprofilerate setting (the runtime's own switch) is left as
// it is, by init and by Enable.
package heapprof

import (
	"runtime"

	"github.com/tracectl/tracectl/internal/sysfile"
)

// (Imports: runtime and internal/sysfile only, so that init comes early,
// after syscall and internal/codepages, whose text mapping it should
// not precede: see the note on imports in internal/hugeheap.)

// rate is the sampling rate init found (the runtime's default, 512 KiB,
// unless GODEBUG set one).
var rate = runtime.MemProfileRate

func init() {
	if !setByGODEBUG(sysfile.Getenv("GODEBUG")) {
		runtime.MemProfileRate = 0
	}
}

// Enable samples allocations from now on at the rate init found, for a
// heap profile. It must be called before the command's work starts and
// not concurrently with it (the runtime reads the rate without a lock).
func Enable() { runtime.MemProfileRate = rate }

// setByGODEBUG reports whether the GODEBUG value v sets memprofilerate.
func setByGODEBUG(v string) bool {
	set := false
	sysfile.Godebug(v, "memprofilerate", func(string) { set = true })
	return set
}
