package main

import (
	"os"
	"syscall"
)

// childPeakRSS is the peak resident set of a finished child in bytes; -1
// when unknown.
func childPeakRSS(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return maxrssBytes(ru)
	}
	return -1
}
