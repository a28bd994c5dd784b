package duckdbbench

import (
	"bufio"
	"bytes"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"
)

// The test data: tracectl gen --seed 1 --spans testSpans, ingested with
// --max-block-traces testBlockTraces so that there are several blocks.
const (
	testSpans       = 20000
	testBlockTraces = 400
	sampleTraces    = 50
)

// query is one line of queries.tsv.
type query struct{ name, traceql, sql string }

func readQueries(t *testing.T) []query {
	t.Helper()
	f, err := os.Open("queries.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var qs []query
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		p := strings.Split(line, "\t")
		if len(p) != 3 {
			t.Fatalf("queries.tsv: want 3 tab-separated fields: %q", line)
		}
		qs = append(qs, query{p[0], p[1], p[2]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(qs) == 0 {
		t.Fatal("queries.tsv: no queries")
	}
	return qs
}

// fixture is a bucket written by tracectl and DuckDB opened beside it.
type fixture struct {
	tracectl string   // binary
	bucket   string   // file:// URL
	files    []string // data.parquet of every block
	metaDirs []string // block folders, in the order of files
	db       *sql.DB
}

func setup(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{tracectl: os.Getenv("TRACECTL")}
	if f.tracectl == "" {
		f.tracectl = filepath.Join(dir, "tracectl")
		// go test puts its own GOROOT/bin first in PATH. Without the
		// profile (cmd/tracectl/default.pgo): it changes no answer, and
		// with it every dependency would compile a second time.
		build := exec.Command("go", "build", "-pgo=off", "-o", f.tracectl, "./cmd/tracectl")
		build.Dir = filepath.Join("..", "..")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("go build ./cmd/tracectl: %v\n%s", err, out)
		}
	}
	f.bucket = "file://" + filepath.Join(dir, "bucket")
	f.run(t, "gen", "--seed", "1", "--spans", strconv.Itoa(testSpans), "--out", filepath.Join(dir, "pb"))
	f.run(t, "--bucket", f.bucket, "ingest", "--max-block-traces", strconv.Itoa(testBlockTraces), filepath.Join(dir, "pb"))
	files, err := filepath.Glob(filepath.Join(dir, "bucket", "single-tenant", "*", "data.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 2 {
		t.Fatalf("want several blocks, got %d data.parquet files", len(files))
	}
	f.files = files
	for _, p := range files {
		f.metaDirs = append(f.metaDirs, filepath.Dir(p))
	}
	f.db, err = sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.db.Close() })
	return f
}

// run runs tracectl and returns its standard output.
func (f *fixture) run(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(f.tracectl, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tracectl %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return string(out)
}

// filesSQL is the argument of read_parquet for all the blocks.
func (f *fixture) filesSQL() string {
	q := make([]string, len(f.files))
	for i, p := range f.files {
		q[i] = sqlString(p)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func (f *fixture) count(t *testing.T, query string) int64 {
	t.Helper()
	var n int64
	if err := f.db.QueryRow(query).Scan(&n); err != nil {
		t.Fatalf("DuckDB: %v\n%s", err, query)
	}
	return n
}

func TestCrossCheck(t *testing.T) {
	f := setup(t)
	files := f.filesSQL()

	t.Run("queries", func(t *testing.T) {
		for _, q := range readQueries(t) {
			t.Run(q.name, func(t *testing.T) {
				out := f.run(t, "--bucket", f.bucket, "query", "--count", q.traceql)
				got, err := strconv.ParseInt(strings.TrimSpace(out), 10, 64)
				if err != nil {
					t.Fatalf("tracectl query --count %s: %q", q.traceql, out)
				}
				want := f.count(t, strings.ReplaceAll(q.sql, "@FILES@", files))
				if got != want {
					t.Errorf("%s: tracectl counts %d traces, DuckDB %d\nSQL: %s", q.traceql, got, want, q.sql)
				}
				if want == 0 {
					t.Errorf("%s: no trace matches, the check proves little", q.traceql)
				}
			})
		}
	})

	t.Run("rows", func(t *testing.T) { checkRows(t, f) })
	t.Run("traces", func(t *testing.T) { checkTraces(t, f) })
}

// meta is the part of meta.json checked here.
type meta struct {
	TotalObjects int64  `json:"totalObjects"`
	MinID        []byte `json:"minID"`
	MaxID        []byte `json:"maxID"`
}

// checkRows: one row per trace, as many as meta.json says, 16-byte IDs
// strictly increasing within each file, from minID to maxID.
func checkRows(t *testing.T, f *fixture) {
	var total int64
	for i, p := range f.files {
		b, err := os.ReadFile(filepath.Join(f.metaDirs[i], "meta.json"))
		if err != nil {
			t.Fatal(err)
		}
		var m meta
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		total += m.TotalObjects
		rows, err := f.db.Query("SELECT TraceID FROM read_parquet(" + sqlString(p) + ", file_row_number = true) ORDER BY file_row_number")
		if err != nil {
			t.Fatal(err)
		}
		var ids [][]byte
		for rows.Next() {
			var id []byte
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		if int64(len(ids)) != m.TotalObjects {
			t.Errorf("%s: %d rows, meta.json totalObjects %d", p, len(ids), m.TotalObjects)
		}
		for j, id := range ids {
			if len(id) != 16 {
				t.Fatalf("%s row %d: TraceID %x is %d bytes", p, j, id, len(id))
			}
			if j > 0 && bytes.Compare(ids[j-1], id) >= 0 {
				t.Fatalf("%s rows %d, %d: TraceIDs not increasing: %x, %x", p, j-1, j, ids[j-1], id)
			}
		}
		if len(ids) > 0 && (!bytes.Equal(ids[0], m.MinID) || !bytes.Equal(ids[len(ids)-1], m.MaxID)) {
			t.Errorf("%s: TraceIDs %x..%x, meta.json minID..maxID %x..%x", p, ids[0], ids[len(ids)-1], m.MinID, m.MaxID)
		}
	}
	files := f.filesSQL()
	if n := f.count(t, "SELECT count(*) FROM read_parquet("+files+")"); n != total {
		t.Errorf("DuckDB reads %d rows, the meta.json files say %d traces", n, total)
	}
	if n := f.count(t, "SELECT count(DISTINCT TraceID) FROM read_parquet("+files+")"); n != total {
		t.Errorf("%d distinct TraceIDs in %d rows: a trace is split across blocks", n, total)
	}
	out := f.run(t, "--bucket", f.bucket, "query", "--count", "{ }")
	if got := strings.TrimSpace(out); got != strconv.FormatInt(total, 10) {
		t.Errorf("tracectl query --count '{ }' = %s, DuckDB rows %d", got, total)
	}
}

// tempoTrace is the part of `tracectl trace get -o json` checked here.
type tempoTrace struct {
	Batches []struct {
		ScopeSpans []struct {
			Spans []struct {
				TraceID string `json:"traceId"`
				SpanID  string `json:"spanId"`
				Name    string `json:"name"`
			} `json:"spans"`
		} `json:"scopeSpans"`
	} `json:"batches"`
}

// checkTraces compares `tracectl trace get -o json` with DuckDB's rows for
// sampleTraces traces spread over the ID range: the same span IDs, each
// with the same name.
func checkTraces(t *testing.T, f *fixture) {
	files := f.filesSQL()
	rows, err := f.db.Query(`SELECT lower(hex(TraceID)) FROM (
		SELECT TraceID, row_number() OVER (ORDER BY TraceID) AS n, count(*) OVER () AS total
		FROM read_parquet(` + files + `))
		WHERE n % (total // ` + strconv.Itoa(sampleTraces) + `) = 0 ORDER BY TraceID LIMIT ` + strconv.Itoa(sampleTraces))
	if err != nil {
		t.Fatal(err)
	}
	var sample []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		sample = append(sample, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if len(sample) != sampleTraces {
		t.Fatalf("sampled %d traces, want %d", len(sample), sampleTraces)
	}

	// DuckDB: trace ID -> span ID -> name.
	in := make([]string, len(sample))
	for i, id := range sample {
		in[i] = sqlString(id)
	}
	rows, err = f.db.Query(`SELECT lower(hex(TraceID)), lower(hex(sp.SpanID)), sp.Name FROM (
		SELECT TraceID, unnest(s.Spans) AS sp FROM (
			SELECT TraceID, unnest(r.ss) AS s FROM (
				SELECT TraceID, unnest(rs) AS r FROM read_parquet(` + files + `)
				WHERE lower(hex(TraceID)) IN (` + strings.Join(in, ", ") + `))))`)
	if err != nil {
		t.Fatal(err)
	}
	duck := map[string]map[string]string{}
	for rows.Next() {
		var tid, sid, name string
		if err := rows.Scan(&tid, &sid, &name); err != nil {
			t.Fatal(err)
		}
		if duck[tid] == nil {
			duck[tid] = map[string]string{}
		}
		if _, dup := duck[tid][sid]; dup {
			t.Errorf("trace %s: span %s twice in data.parquet", tid, sid)
		}
		duck[tid][sid] = name
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()

	for _, id := range sample {
		var tr tempoTrace
		out := f.run(t, "--bucket", f.bucket, "trace", "get", id, "-o", "json")
		if err := json.Unmarshal([]byte(out), &tr); err != nil {
			t.Fatalf("trace get %s -o json: %v", id, err)
		}
		got := map[string]string{}
		n := 0
		for _, b := range tr.Batches {
			for _, ss := range b.ScopeSpans {
				for _, sp := range ss.Spans {
					n++
					if sp.TraceID != id {
						t.Errorf("trace get %s: span %s has traceId %s", id, sp.SpanID, sp.TraceID)
					}
					if _, err := hex.DecodeString(sp.SpanID); err != nil || len(sp.SpanID) != 16 {
						t.Errorf("trace get %s: spanId %q is not 8 bytes of hex", id, sp.SpanID)
					}
					got[sp.SpanID] = sp.Name
				}
			}
		}
		want := duck[id]
		if n != len(want) || len(got) != len(want) {
			t.Errorf("trace %s: tracectl prints %d spans (%d distinct IDs), DuckDB reads %d", id, n, len(got), len(want))
		}
		if d := diff(want, got); d != "" {
			t.Errorf("trace %s: DuckDB vs tracectl spans:\n%s", id, d)
		}
	}
}

// diff lists the span IDs whose names differ or that only one side has.
func diff(want, got map[string]string) string {
	var ids []string
	for id := range want {
		ids = append(ids, id)
	}
	for id := range got {
		if _, ok := want[id]; !ok {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	var b strings.Builder
	for _, id := range ids {
		w, inW := want[id]
		g, inG := got[id]
		switch {
		case !inW:
			fmt.Fprintf(&b, "  %s: only tracectl has it (%q)\n", id, g)
		case !inG:
			fmt.Fprintf(&b, "  %s: only DuckDB has it (%q)\n", id, w)
		case w != g:
			fmt.Fprintf(&b, "  %s: DuckDB %q, tracectl %q\n", id, w, g)
		}
	}
	return b.String()
}
