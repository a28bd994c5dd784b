//go:build !unix

package ingest

// processAlive cannot tell on this system: every process is taken for
// alive, so no run directory is removed.
func processAlive(int) bool { return true }
