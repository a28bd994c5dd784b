// Package sysfile reads small system files (sysfs, /proc) and the
// environment with the syscall package alone. It is for the packages whose
// init must come early (internal/codepages, internal/hugeheap): Go runs a
// package's init once all it imports have run, so importing os, strings
// or strconv (which wait for unicode) would put theirs some 80 packages
// later.
package sysfile

import "syscall"

// Getenv is os.Getenv.
func Getenv(key string) string {
	v, _ := syscall.Getenv(key)
	return v
}

// Godebug calls f with each value a GODEBUG setting (comma-separated
// name=value pairs, as in the environment variable) gives name, in order:
// as for the runtime, the last one it accepts wins. A pair without "="
// sets nothing.
func Godebug(godebug, name string, f func(value string)) {
	for godebug != "" {
		var kv string
		kv, godebug, _ = Cut(godebug, ',')
		if k, v, set := Cut(kv, '='); set && k == name {
			f(v)
		}
	}
}

// Field returns the first field of s (a run of bytes other than ASCII
// white space) and what follows it, as strings.Fields would split it.
func Field(s string) (f, rest string) {
	i := 0
	for i < len(s) && IsSpace(s[i]) {
		i++
	}
	j := i
	for j < len(s) && !IsSpace(s[j]) {
		j++
	}
	return s[i:j], s[j:]
}

// Cut is strings.Cut for a one-byte separator: s before the first sep,
// what follows it, and whether there was one (if not, s and "").
func Cut(s string, sep byte) (before, after string, found bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == sep {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// IsSpace reports whether c is ASCII white space.
func IsSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// ReadSmall returns up to limit bytes of the file at path, as os.ReadFile
// would for a file no larger.
func ReadSmall(path string, limit int) ([]byte, error) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer syscall.Close(fd)
	buf := make([]byte, limit)
	n := 0
	for n < len(buf) {
		m, err := syscall.Read(fd, buf[n:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if m == 0 {
			break
		}
		n += m
	}
	return buf[:n], nil
}
