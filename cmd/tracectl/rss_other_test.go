//go:build !linux

package main

import "os"

// childPeakRSS is unknown off Linux (units and meaning of maxrss differ).
func childPeakRSS(*os.ProcessState) int64 { return -1 }
