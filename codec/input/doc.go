// Package input opens trace inputs (files, directories, stdin), undoes gzip
// and zstd compression, picks a decoder for each file and reports what was
// read.
//
// Glossary:
//   - Input: a path given by the user: a file, a directory (walked in
//     lexical order, hidden entries skipped) or "-" for standard input.
//   - Head: the first bytes of a decompressed file (up to SniffLen) that
//     Sniff looks at to tell the format.
//   - Skipped file: a file met in a directory walk whose format cannot be
//     told (a README, a manifest, a CSV); reported, never fatal.
//   - Bad file: a file that could not be decoded. With Options.SkipBad it
//     is reported and decoding continues; otherwise its error ends Decode.
package input
