package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/tracectl/tracectl/internal/fixtures"
)

// barPart matches what the progress bar writes on stderr: a drawing
// ("\r...", ended by erase-to-end-of-line) or the erasing of its line.
var barPart = regexp.MustCompile("\r[^\r\n]*\x1b\\[0K|\x1b\\[2K\r")

// checkBarErased fails when stderr has text written while the bar was on
// the line (not erased first).
func checkBarErased(t *testing.T, name, stderr string) {
	t.Helper()
	drawn, last := false, 0
	for _, loc := range barPart.FindAllStringIndex(stderr, -1) {
		if drawn && loc[0] > last {
			t.Errorf("%s: %q written over the progress bar", name, stderr[last:loc[0]])
		}
		drawn, last = strings.HasSuffix(stderr[loc[0]:loc[1]], "[0K"), loc[1]
	}
	if drawn {
		t.Errorf("%s: the progress bar is left on stderr: %q", name, stderr)
	}
}

// TestProgress runs read commands with --progress=always: stderr shows
// the bar (blocks and row groups done, bytes, percentage) and erases it
// before the command's own lines; stdout is the same as with never, and
// auto on a stderr that is not a terminal prints no bar.
func TestProgress(t *testing.T) {
	bucket := "file://" + t.TempDir()
	yelp := fixtures.Path(t, "zipkin/v2/yelp.json")
	if code, _, stderr := run(t, "--bucket", bucket, "ingest", yelp); code != exitOK {
		t.Fatalf("ingest: exit %d: %s", code, stderr)
	}
	for _, tc := range []struct {
		label string // the command's name in the bar
		args  []string
	}{
		{"query", []string{"query", "{}"}},
		{"metrics", []string{"metrics", "{} | rate()"}},
		{"metricsgen", []string{"metricsgen"}},
		{"blocks verify", []string{"blocks", "verify"}},
		{"redact scan", []string{"redact", "scan"}},
	} {
		name := strings.Join(tc.args, " ")
		args := append([]string{"--bucket", bucket}, tc.args...)
		never := func(extra ...string) (int, string, string) { return run(t, append(args, extra...)...) }
		code, wantOut, wantErr := never("--progress=never")
		if code != exitOK && code != exitCheckFailed {
			t.Fatalf("%s: exit %d: %s", name, code, wantErr)
		}
		if strings.Contains(wantErr, "\r") {
			t.Errorf("%s --progress=never: stderr has a bar: %q", name, wantErr)
		}
		c, out, stderr := never("--progress=always")
		if c != code || out != wantOut {
			t.Errorf("%s --progress=always: exit %d and stdout\n%s\nwant exit %d and\n%s", name, c, out, code, wantOut)
		}
		if !strings.Contains(stderr, "\r"+tc.label+": 0/1 blocks, 0/1 row groups ") || !strings.Contains(stderr, "%") {
			t.Errorf("%s --progress=always: no progress bar on stderr: %q", name, stderr)
		}
		checkBarErased(t, name, stderr)
		if got := barPart.ReplaceAllString(stderr, ""); got != wantErr {
			t.Errorf("%s --progress=always: stderr without the bar\n%q\nwant\n%q", name, got, wantErr)
		}
		if _, out, stderr := never("--progress=auto"); out != wantOut || stderr != wantErr {
			t.Errorf("%s --progress=auto, stderr not a terminal: stdout %q, stderr %q; want %q, %q", name, out, stderr, wantOut, wantErr)
		}
	}

	// The environment sets it like any persistent flag; a flag beats it.
	t.Setenv("TRACECTL_PROGRESS", "always")
	if _, _, stderr := run(t, "--bucket", bucket, "query", "{}"); !strings.Contains(stderr, "\rquery: ") {
		t.Errorf("TRACECTL_PROGRESS=always: no progress bar: %q", stderr)
	}
	if _, _, stderr := run(t, "--bucket", bucket, "query", "{}", "--progress", "never"); strings.Contains(stderr, "\r") {
		t.Errorf("TRACECTL_PROGRESS=always --progress never: bar on stderr: %q", stderr)
	}
	t.Setenv("TRACECTL_PROGRESS", "sometimes")
	if code, _, stderr := run(t, "--bucket", bucket, "query", "{}"); code != exitError ||
		!strings.Contains(stderr, "progress") || !strings.Contains(stderr, "auto|always|never") {
		t.Errorf("TRACECTL_PROGRESS=sometimes: exit %d, stderr %q; want 2 naming the values", code, stderr)
	}
}

func TestProgressBadValue(t *testing.T) {
	code, out, stderr := run(t, "--progress=sometimes", "blocks", "ls")
	if code != exitError || out != "" || !strings.Contains(stderr, `"sometimes"`) ||
		!strings.Contains(stderr, "--progress") || !strings.Contains(stderr, "auto|always|never") {
		t.Errorf("--progress=sometimes: exit %d, stdout %q, stderr %q; want exit 2 and a message naming the values", code, out, stderr)
	}
}

// TestProgressRetain: retain draws the bar for the blocks it retires
// and then for the retired blocks it deletes (the totals grow from 1 to
// 2); with the bar or without, it does the same.
func TestProgressRetain(t *testing.T) {
	yelp := fixtures.Path(t, "zipkin/v2/yelp.json")
	stderrs := map[string]string{}
	for _, mode := range []string{"never", "always"} {
		bucket := "file://" + t.TempDir()
		if code, _, stderr := run(t, "--bucket", bucket, "ingest", yelp); code != exitOK {
			t.Fatalf("ingest: exit %d: %s", code, stderr)
		}
		code, _, stderr := run(t, "--bucket", bucket, "retain", "--older-than", "1h",
			"--compacted-retention", "0s", "--progress="+mode)
		if code != exitOK {
			t.Fatalf("retain --progress=%s: exit %d: %s", mode, code, stderr)
		}
		if got := barPart.ReplaceAllString(stderr, ""); !strings.Contains(got, "1 blocks ending before") ||
			!strings.Contains(got, "marked, 1 retired blocks deleted") {
			t.Errorf("retain --progress=%s: stderr %q, want 1 block marked and deleted", mode, got)
		}
		stderrs[mode] = stderr
	}
	never, always := stderrs["never"], stderrs["always"]
	// The last update erases the bar without drawing it: the totals grow
	// from the first phase's to the second's.
	for _, want := range []string{"\rretain: 0/1 blocks, ", "\rretain: 1/2 blocks, "} {
		if !strings.Contains(always, want) {
			t.Errorf("retain --progress=always: no %q on stderr: %q", want, always)
		}
	}
	checkBarErased(t, "retain", always)
	if strings.Contains(never, "\r") {
		t.Errorf("retain --progress=never: bar on stderr: %q", never)
	}
	// Only the cutoff time may differ between the two runs.
	cutoff := regexp.MustCompile(`before \S+ marked`)
	if got, want := cutoff.ReplaceAllString(barPart.ReplaceAllString(always, ""), ""), cutoff.ReplaceAllString(never, ""); got != want {
		t.Errorf("retain: stderr without the bar %q, want %q", got, want)
	}
}

// TestProgressIngest: ingest draws the bar while it reads its inputs and,
// with the spans read as the total, while it writes the blocks; it erases
// the bar before its own lines, and draws nothing with --progress=never.
func TestProgressIngest(t *testing.T) {
	yelp := fixtures.Path(t, "zipkin/v2/yelp.json")
	for _, mode := range []string{"never", "always"} {
		code, _, stderr := run(t, "--bucket", "file://"+t.TempDir(), "ingest", yelp, "--progress="+mode)
		if code != exitOK {
			t.Fatalf("ingest --progress=%s: exit %d: %s", mode, code, stderr)
		}
		if mode == "never" {
			if strings.Contains(stderr, "\r") {
				t.Errorf("ingest --progress=never: bar on stderr: %q", stderr)
			}
			continue
		}
		for _, want := range []string{" ingest: 0 files, ", "\ringest: 1 files read, writing block 1 "} {
			if !strings.Contains(stderr, want) {
				t.Errorf("ingest --progress=always: no %q on stderr: %q", want, stderr)
			}
		}
		checkBarErased(t, "ingest", stderr)
	}
}
