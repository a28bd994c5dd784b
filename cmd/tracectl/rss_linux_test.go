package main

import (
	"os"
	"syscall"
)

// childPeakRSS is the peak resident set of a finished child in bytes (Linux
// reports kilobytes); -1 when unknown.
func childPeakRSS(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss << 10
	}
	return -1
}
