// Package attributes is a separate module that holds tracectl's redact
// rules to the OpenTelemetry Collector's attributes processor: the same
// actions on the same span attributes must give the same result. The
// Collector is used here as a library (a test oracle) only.
package attributes
