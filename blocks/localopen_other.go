//go:build !unix

package blocks

import "os"

// openLocal opens a local file for reading.
func openLocal(path string) (*os.File, error) { return os.Open(path) }
