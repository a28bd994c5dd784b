// Command tracectl processes trace data at rest: it ingests OTLP, Jaeger and
// Zipkin files into Tempo-compatible vParquet4 blocks on any gocloud.dev
// bucket and reads them back.
package main

import (
	"os"

	// Raises GOGC during package initialisation (see the package).
	_ "github.com/tracectl/tracectl/internal/gcstart"
	// Maps tracectl's code ahead instead of faulting it in (see the package).
	_ "github.com/tracectl/tracectl/internal/codepages"
	// Asks for huge pages on 64 MiB of the heap (see the package).
	_ "github.com/tracectl/tracectl/internal/hugeheap"
	"github.com/tracectl/tracectl/internal/ui"
)

func main() {
	os.Exit(Main(os.Args[1:], ui.System()))
}
