package column

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// wantLevelStats is the definition levelStats must meet, written the
// plainest way.
func wantLevelStats(rep, def []byte, maxRep, maxDef byte) (present int, within bool) {
	within = true
	for i := range def {
		if rep[i] > maxRep || def[i] > maxDef {
			within = false
		}
		if def[i] == maxDef {
			present++
		}
	}
	return present, within
}

func TestLevelStats(t *testing.T) {
	tests := []struct {
		name           string
		rep, def       []byte
		maxRep, maxDef byte
	}{
		{"empty", nil, nil, 2, 3},
		{"tail only", []byte{0, 1, 2}, []byte{3, 1, 3}, 2, 3},
		{"one word", []byte{0, 1, 1, 2, 0, 1, 1, 2}, []byte{3, 3, 2, 3, 0, 3, 1, 3}, 2, 3},
		{"word and tail", bytes.Repeat([]byte{1}, 13), bytes.Repeat([]byte{4}, 13), 1, 4},
		{"rep above in word", []byte{0, 0, 0, 0, 0, 3, 0, 0, 0}, make([]byte, 9), 2, 3},
		{"def above in tail", make([]byte, 9), []byte{0, 0, 0, 0, 0, 0, 0, 0, 4}, 2, 3},
		{"def above by one in last lane", make([]byte, 16), append(make([]byte, 15), 4), 2, 3},
		{"byte 128 beside zeros", make([]byte, 8), []byte{0, 0, 0, 128, 0, 0, 0, 0}, 2, 3},
		{"byte 255 carries", make([]byte, 8), []byte{255, 0, 0, 0, 0, 0, 0, 0}, 0, 0},
		{"rep 129 at max 0", []byte{0, 0, 0, 0, 0, 0, 0, 129}, make([]byte, 8), 0, 0},
		{"max 0 all present", make([]byte, 20), make([]byte, 20), 0, 0},
		{"max 127", bytes.Repeat([]byte{127}, 10), bytes.Repeat([]byte{127}, 10), 127, 127},
		{"max 127, one 128", bytes.Repeat([]byte{127}, 10), append(bytes.Repeat([]byte{127}, 9), 128), 127, 127},
		{"max 200 (bytewise)", bytes.Repeat([]byte{200}, 10), bytes.Repeat([]byte{201}, 10), 200, 200},
		{"longer rep than def", []byte{0, 1, 0, 1, 0, 1, 0, 1, 0, 9}, []byte{1, 1, 0, 1, 1, 1, 0, 1, 1}, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkLevelStats(t, tt.rep, tt.def, tt.maxRep, tt.maxDef)
		})
	}
}

func TestLevelStatsRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		n := r.IntN(70)
		maxRep, maxDef := byte(r.IntN(4)), byte(r.IntN(6))
		rep, def := make([]byte, n), make([]byte, n)
		for i := range n {
			rep[i], def[i] = byte(r.IntN(int(maxRep)+1)), byte(r.IntN(int(maxDef)+1))
		}
		if n > 0 && r.IntN(3) == 0 { // one level out of range
			i := r.IntN(n)
			if r.IntN(2) == 0 {
				rep[i] = maxRep + 1 + byte(r.IntN(250-int(maxRep)))
			} else {
				def[i] = maxDef + 1 + byte(r.IntN(250-int(maxDef)))
			}
		}
		checkLevelStats(t, rep, def, maxRep, maxDef)
	}
}

func FuzzLevelStats(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8}, []byte{3, 3, 3, 2, 1, 0, 3, 3, 255}, byte(2), byte(3))
	f.Fuzz(func(t *testing.T, rep, def []byte, maxRep, maxDef byte) {
		n := min(len(rep), len(def))
		checkLevelStats(t, rep[:n], def[:n], maxRep, maxDef)
	})
}

func checkLevelStats(t *testing.T, rep, def []byte, maxRep, maxDef byte) {
	t.Helper()
	gotN, gotOK := levelStats(rep, def, maxRep, maxDef)
	wantN, wantOK := wantLevelStats(rep, def, maxRep, maxDef)
	if gotN != wantN || gotOK != wantOK {
		t.Errorf("levelStats(%v, %v, %d, %d) = %d, %v; want %d, %v", rep, def, maxRep, maxDef, gotN, gotOK, wantN, wantOK)
	}
}

func BenchmarkLevelStats(b *testing.B) {
	rep, def := make([]byte, 20000), make([]byte, 20000)
	for i := range def {
		rep[i], def[i] = byte(i%3), byte(i%4)
	}
	b.SetBytes(int64(len(def)))
	for b.Loop() {
		levelStats(rep, def, 2, 3)
	}
}

// wantSkipLevels is skipLevels written the plainest way.
func wantSkipLevels(rep, def []byte, maxDef byte, n int) (i, rows, vals int) {
	for ; i < len(rep); i++ {
		if rep[i] == 0 {
			if rows == n {
				break
			}
			rows++
		}
		if def[i] == maxDef {
			vals++
		}
	}
	return i, rows, vals
}

func TestSkipLevels(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for range 5000 {
		size := r.IntN(80)
		maxRep, maxDef := byte(r.IntN(3)), byte(r.IntN(5))
		rowEvery := 1 + r.IntN(6) // about one row start in rowEvery entries
		midRow := r.IntN(4) == 0  // a page that starts inside a row
		rep, def := make([]byte, size), make([]byte, size)
		for i := range size {
			if (i > 0 || midRow) && r.IntN(rowEvery) != 0 {
				rep[i] = 1 + byte(r.IntN(int(maxRep)+1))
				if r.IntN(50) == 0 {
					rep[i] = 128 + byte(r.IntN(128)) // damaged: top bit set
				}
			}
			def[i] = byte(r.IntN(int(maxDef) + 1))
		}
		n := r.IntN(size/rowEvery+4) - 1 // -1 passes every entry
		gi, gr, gv := skipLevels(rep, def, maxDef, n)
		wi, wr, wv := wantSkipLevels(rep, def, maxDef, n)
		if gi != wi || gr != wr || gv != wv {
			t.Fatalf("skipLevels(%v, %v, %d, %d) = %d, %d, %d; want %d, %d, %d", rep, def, maxDef, n, gi, gr, gv, wi, wr, wv)
		}
	}
}

func FuzzSkipLevels(f *testing.F) {
	f.Add([]byte{0, 1, 1, 0, 2, 0, 0, 1, 1, 1, 0}, []byte{3, 3, 2, 3, 3, 1, 3, 0, 3, 3, 3}, byte(3), int16(2))
	f.Add([]byte{1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 128}, make([]byte, 11), byte(0), int16(-1))
	f.Fuzz(func(t *testing.T, rep, def []byte, maxDef byte, n16 int16) {
		m := min(len(rep), len(def))
		rep, def = rep[:m:m], def[:m:m]
		n := int(n16) % (m + 3)
		gi, gr, gv := skipLevels(rep, def, maxDef, n)
		wi, wr, wv := wantSkipLevels(rep, def, maxDef, n)
		if gi != wi || gr != wr || gv != wv {
			t.Fatalf("skipLevels(%v, %v, %d, %d) = %d, %d, %d; want %d, %d, %d", rep, def, maxDef, n, gi, gr, gv, wi, wr, wv)
		}
	})
}

func BenchmarkSkipLevels(b *testing.B) {
	rep, def := make([]byte, 20000), make([]byte, 20000)
	rows := 0
	for i := range rep {
		if i%12 == 0 {
			rows++
		} else {
			rep[i] = 1
		}
		def[i] = byte(i % 4)
	}
	b.SetBytes(int64(len(rep)))
	for b.Loop() {
		skipLevels(rep, def, 3, rows-1)
	}
}
