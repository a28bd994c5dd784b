package jsonpos

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/tracectl/tracectl/codec"
)

func TestLineReaderForget(t *testing.T) {
	lr := NewLineReader(strings.NewReader("ab\ncd\nef"))
	if _, err := io.ReadAll(lr); err != nil {
		t.Fatal(err)
	}
	if lr.Pos() != 8 {
		t.Fatalf("pos = %d", lr.Pos())
	}
	for off, want := range map[int64][2]int{0: {1, 1}, 2: {1, 3}, 3: {2, 1}, 7: {3, 2}} {
		if l, c := lr.LineCol(off); l != want[0] || c != want[1] {
			t.Errorf("LineCol(%d) = %d:%d, want %d:%d", off, l, c, want[0], want[1])
		}
	}
	lr.Forget(4)
	if l, c := lr.LineCol(7); l != 3 || c != 2 {
		t.Errorf("after Forget, LineCol(7) = %d:%d, want 3:2", l, c)
	}
	if l, c := lr.LineCol(2); l != 0 || c != 0 {
		t.Errorf("LineCol of forgotten offset = %d:%d, want 0:0", l, c)
	}
	if got := string(lr.From(4)); got != "d\nef" || lr.Buffered() != 4 {
		t.Errorf("From(4) = %q, Buffered = %d", got, lr.Buffered())
	}
	if lr.From(1) != nil {
		t.Error("From of forgotten offset is not nil")
	}
}

// ValueErr keeps a conversion error's text and puts it at the value's start
// (it does not take io.EOF inside it for the end of the input); syntax
// errors are located by scanning the value again.
func TestValueErr(t *testing.T) {
	s := NewStream("in.json", strings.NewReader("[\n  {\"a\": 1}]"))
	raw, start, err := s.Raw("$") // the whole array
	if err != nil || start != 0 {
		t.Fatal(raw, start, err)
	}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("bad: %w", io.ErrUnexpectedEOF), "in.json:1:1: $: bad: unexpected EOF"},
		{Under("[0]", FieldErr(".a", "want a string")), "in.json:1:1: $[0].a: want a string"},
	} {
		got := s.ValueErr(tc.err, start, "$")
		var de *codec.DecodeError
		if !errors.As(got, &de) || got.Error() != tc.want {
			t.Errorf("ValueErr(%v) = %v, want %s", tc.err, got, tc.want)
		}
	}
	var v struct {
		A string `json:"a"`
	}
	err = s.Unmarshal(raw[4:len(raw)-1], 4, "$[0]", &v)
	if want := "in.json:2:9: $[0].a: cannot use JSON number as string"; err == nil || err.Error() != want {
		t.Errorf("Unmarshal type error = %v, want %s", err, want)
	}
}

// GuardReader counts brackets outside strings only, fails at the bracket
// past the limit with its offset, and hands over the bytes before it.
func TestGuardReader(t *testing.T) {
	for _, tc := range []struct {
		in      string
		wantOff int64 // -1: no error
	}{
		{`[[[]]]`, -1},
		{`[[[[]]]]`, 3},
		{`["[[[[", "\"[[[["]`, -1},
		{`{"a":{"b":[{}]}}`, 11},
		{`[]]]]][[[]]]`, -1}, // stray closers do not lend depth
		{`"\\"[[[[`, 7},
		{"[" + strings.Repeat(" ", MaxSpace) + "]", -1},
		{"[" + strings.Repeat(" ", MaxSpace+1) + "]", 1 + MaxSpace},
		{`["` + strings.Repeat(" ", MaxSpace+1) + `"]`, -1},
		{`["` + strings.Repeat("a", MaxString) + `"]`, -1},
		{`["` + strings.Repeat(`\"`, MaxString/2) + `"]`, -1},
		{`["` + strings.Repeat("a", MaxString+1) + `"]`, 2 + MaxString},
		// Runs of numbers, literals, ',' and ':' outside strings.
		{`[12,-3.5e+7,[true,[null,{"k":false}]]]`, 24},
		{`{"a":1,"b":[2,{"c":[3]}]}`, 19},
		{"[1," + strings.Repeat(" ", MaxSpace) + "2]", -1},
		{"[1" + strings.Repeat(" ", MaxSpace) + "," + strings.Repeat("\n", MaxSpace) + "2]", -1},
		{"[1," + strings.Repeat(" ", MaxSpace+1) + "2]", 3 + MaxSpace},
	} {
		// One byte per Read, so string and escape state must carry over,
		// and the whole input in one, so runs are passed at once.
		readers := []io.Reader{strings.NewReader(tc.in)}
		if len(tc.in) < 100 {
			readers = append(readers, iotest.OneByteReader(strings.NewReader(tc.in)))
		}
		for _, r := range readers {
			dr := NewGuardReader(r, 3)
			got, err := io.ReadAll(dr)
			var de *LimitError
			switch {
			case tc.wantOff < 0 && err != nil:
				t.Errorf("%.20s: err = %v", tc.in, err)
			case tc.wantOff >= 0 && (!errors.As(err, &de) || de.Offset != tc.wantOff || string(got) != tc.in[:tc.wantOff]):
				t.Errorf("%.20s: read %.20q, err = %v; want the bytes before offset %d and a LimitError there", tc.in, got, err, tc.wantOff)
			}
		}
	}
}

// GuardReader counts the invalid UTF-8 bytes inside strings, across reads,
// and says where the first one is.
func TestGuardReaderUTF8(t *testing.T) {
	for _, tc := range []struct {
		in        string
		n         int
		line, col int
	}{
		{`["ok", "é€😀"]`, 0, 0, 0},
		{"[\n\"a\xffb\"]", 1, 2, 3},
		{"[\"\xc3\"]", 1, 1, 3},               // cut by the closing quote
		{"[\"\xe2\x82\"]", 2, 1, 3},           // two bytes of a three-byte rune
		{"[\"ok\",\n \"\xc0\xaf\"]", 2, 2, 3}, // overlong
		{"[\"\xf0\x9f\x98\"", 3, 1, 3},        // cut by the end of input
		{"[\"" + strings.Repeat("a", 100) + "\xff\",\n\"" + strings.Repeat("b\\\"", 30) + "\xfe\"]", 2, 1, 103}, // after runs of plain bytes
		{"[\"" + strings.Repeat("a", 100) + "\",\n \"" + strings.Repeat("b\\\"", 30) + "\xfe\"]", 1, 2, 93},
		{"[123456, true, null,\n  -1.5e3, \"a\xffb\"]", 1, 2, 13}, // after runs outside strings
		{"{\"k\":12,\"v\":[false,0]}\n{\"k\":\"\xc3\x28\"}", 1, 2, 7},
		{"[1,\xff,\"\xff\"]", 1, 1, 7}, // bytes outside strings are not counted
	} {
		// One byte per read, and the whole input in one.
		for _, r := range []io.Reader{iotest.OneByteReader(strings.NewReader(tc.in)), strings.NewReader(tc.in)} {
			g := NewGuardReader(r, 10)
			io.ReadAll(g)
			n, _, line, col := g.InvalidUTF8()
			if n != tc.n || line != tc.line || col != tc.col {
				t.Errorf("%q: %d bad bytes, first at %d:%d; want %d at %d:%d", tc.in, n, line, col, tc.n, tc.line, tc.col)
			}
		}
	}
}

// FuzzGuardReader: reading an input whole (runs of plain bytes and
// 64-byte blocks passed at once) and one byte per Read give the same
// bytes, limit error, invalid UTF-8 count and position, and state; the
// input is also read repeated to past two blocks, and with small string
// and whitespace limits.
func FuzzGuardReader(f *testing.F) {
	f.Add([]byte(`{"a":[1,-2.5e3,true,null,{"b":"c\"d\\"}]}`))
	f.Add([]byte("[\"a\xffb\",\n 12, \"\xe2\x82\"] [[[[ ]]]]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		long := bytes.Repeat(data, 1+2*blockLen/(len(data)+1))
		for _, in := range [][]byte{data, long} {
			for _, lim := range []struct{ depth, space, str int }{{3, 0, 0}, {8, 100, 64}} {
				whole := readGuarded(bytes.NewReader(in), lim.depth, lim.space, lim.str)
				if one := readGuarded(iotest.OneByteReader(bytes.NewReader(in)), lim.depth, lim.space, lim.str); whole != one {
					t.Fatalf("%q, limits %+v:\nwhole %s\none byte at a time %s", in, lim, short(whole), short(one))
				}
			}
		}
	})
}

// BenchmarkGuardReader passes OTLP-like JSON (short keys, IDs, numbers)
// through the guard in 4 KiB reads, as the JSON decoders read it.
func BenchmarkGuardReader(b *testing.B) {
	span := `{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"GET /api/v1/users","kind":2,` +
		`"startTimeUnixNano":"1544712660000000000","endTimeUnixNano":"1544712661000000000","attributes":[{"key":"http.status_code","value":{"intValue":"200"}}],"status":{}}`
	data := []byte("[" + strings.Repeat(span+",\n", 10_000) + "{}]")
	buf := make([]byte, 4<<10)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		g := NewGuardReader(bytes.NewReader(data), 1000)
		for {
			if _, err := g.Read(buf); err != nil {
				break
			}
		}
	}
}

// A syntax error whose bad character is the last byte read so far is put
// at that character, not after it, however the input arrives.
func TestSyntaxErrorAtLastByte(t *testing.T) {
	for _, r := range []io.Reader{strings.NewReader(`{"a" 1}`), iotest.OneByteReader(strings.NewReader(`{"a" 1}`))} {
		s := NewStream("in.json", r)
		_, _, err := s.Raw("$")
		if err == nil || !strings.HasPrefix(err.Error(), "in.json:1:6: $: invalid character '1'") {
			t.Errorf("error %v, want it at 1:6", err)
		}
	}
}
