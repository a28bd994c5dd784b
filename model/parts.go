package model

// TraceParts is a set of parts of traces: what a transform of stored
// traces may change (redact's rules declare their targets). A rewrite of
// blocks copies the stored columns of every other part as they are
// instead of encoding them again.
type TraceParts uint16

// The parts a transform may change.
const (
	PartResourceAttributes TraceParts = 1 << iota
	PartScopeAttributes
	PartSpanAttributes
	PartEventAttributes
	PartLinkAttributes
	PartSpanNames
	PartEventNames
	PartStatusMessages
)
