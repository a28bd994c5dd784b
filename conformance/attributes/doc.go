// Package attributes checks tracectl's redact hash against the Collector.
package attributes
