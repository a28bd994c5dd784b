package traceql

import (
	"testing"
)

func lexAll(input string) []item {
	l := newLexer(input)
	var out []item
	for {
		it := l.nextItem()
		out = append(out, it)
		if it.typ == itemEOF || it.typ == itemError {
			return out
		}
	}
}

func TestLexer(t *testing.T) {
	type tok struct {
		typ  ItemType
		text string
	}
	tests := []struct {
		name  string
		input string
		want  []tok
	}{
		{"empty", "", []tok{{itemEOF, ""}}},
		{"filter", `{ .a = 1 }`, []tok{{itemLBrace, "{"}, {itemAttrScope, "."}, {itemAttrName, "a"}, {itemEq, "="}, {itemInteger, "1"}, {itemRBrace, "}"}, {itemEOF, ""}}},
		{"name ends at terminator", `.a+1=2`, []tok{{itemAttrScope, "."}, {itemAttrName, "a+1"}, {itemEq, "="}, {itemInteger, "2"}, {itemEOF, ""}}},
		{"name keeps dots and colons", `span.http.x:y-z/w`, []tok{{itemAttrScope, "span."}, {itemAttrName, "http.x:y-z/w"}, {itemEOF, ""}}},
		{"every terminator", `.a{.b}.c(.d).e=.f~.g!.h<.i>.j&.k|.l^.m,`, []tok{
			{itemAttrScope, "."}, {itemAttrName, "a"}, {itemLBrace, "{"}, {itemAttrScope, "."}, {itemAttrName, "b"},
			{itemRBrace, "}"}, {itemAttrScope, "."}, {itemAttrName, "c"}, {itemLParen, "("}, {itemAttrScope, "."},
			{itemAttrName, "d"}, {itemRParen, ")"}, {itemAttrScope, "."}, {itemAttrName, "e"}, {itemEq, "="},
			{itemAttrScope, "."}, {itemAttrName, "f"}, {itemTilde, "~"}, {itemAttrScope, "."}, {itemAttrName, "g"},
			{itemNot, "!"}, {itemAttrScope, "."}, {itemAttrName, "h"}, {itemLT, "<"}, {itemAttrScope, "."},
			{itemAttrName, "i"}, {itemGT, ">"}, {itemAttrScope, "."}, {itemAttrName, "j"}, {itemError, "unexpected character '&'"}}},
		{"quoted segments", `span.x."y z"."\"q\\"`, []tok{{itemAttrScope, "span."}, {itemAttrName, `x."y z"."\"q\\"`}, {itemEOF, ""}}},
		{"parent scopes", `parent.resource.a parent.b`, []tok{{itemAttrScope, "parent."}, {itemAttrScope, "resource."}, {itemAttrName, "a"}, {itemAttrScope, "parent."}, {itemAttrName, "b"}, {itemEOF, ""}}},
		{"scoped intrinsic", `span:name trace:rootService`, []tok{{itemScopedIntrinsic, "span:name"}, {itemScopedIntrinsic, "trace:rootService"}, {itemEOF, ""}}},
		{"keywords", `status ok count with Status`, []tok{{itemIntrStatus, "status"}, {itemStatusOk, "ok"}, {itemCount, "count"}, {itemWith, "with"}, {itemIdentifier, "Status"}, {itemEOF, ""}}},
		{"numbers", `1 1.5 .5 10. 1e3 2E-2 1ms 1h30m 1.5s 1µs 0x1`, []tok{{itemInteger, "1"}, {itemFloat, "1.5"}, {itemFloat, ".5"}, {itemFloat, "10."}, {itemFloat, "1e3"}, {itemFloat, "2E-2"}, {itemDuration, "1ms"}, {itemDuration, "1h30m"}, {itemDuration, "1.5s"}, {itemDuration, "1µs"}, {itemDuration, "0x1"}, {itemEOF, ""}}},
		{"greedy operators", `!>> !<< &>> &<< != =~ !~ >= <= && || >> << !> !< &> &< &~`, []tok{
			{itemNotDesc, "!>>"}, {itemNotAnc, "!<<"}, {itemUnionDesc, "&>>"}, {itemUnionAnc, "&<<"}, {itemNeq, "!="},
			{itemRegex, "=~"}, {itemNotRegex, "!~"}, {itemGTE, ">="}, {itemLTE, "<="}, {itemAnd, "&&"}, {itemOr, "||"},
			{itemDesc, ">>"}, {itemAnc, "<<"}, {itemNotChild, "!>"}, {itemNotParent, "!<"}, {itemUnionChild, "&>"},
			{itemUnionParent, "&<"}, {itemUnionSibling, "&~"}, {itemEOF, ""}}},
		{"strings", "\"a\\\"b\" `raw\"`", []tok{{itemString, `"a\"b"`}, {itemString, "`raw\"`"}, {itemEOF, ""}}},
		{"comments", "// c\n{ /* x */ }", []tok{{itemLBrace, "{"}, {itemRBrace, "}"}, {itemEOF, ""}}},
		{"unterminated string", `"abc`, []tok{{itemError, "unterminated string"}}},
		{"empty attribute name", `span. `, []tok{{itemAttrScope, "span."}, {itemError, "expected attribute name"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := lexAll(tt.input)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d items %v, want %d", len(got), got, len(tt.want))
			}
			for i, w := range tt.want {
				if got[i].typ != w.typ || got[i].text != w.text {
					t.Errorf("item %d = {%d %q}, want {%d %q}", i, got[i].typ, got[i].text, w.typ, w.text)
				}
			}
		})
	}
}

func TestDecodeAttrName(t *testing.T) {
	for raw, want := range map[string]string{
		`a.b`:         "a.b",
		`"a b"`:       "a b",
		`x."y z"`:     "x.y z",
		`"a"."b"`:     "a.b",
		`"q\"x\\y"`:   `q"x\y`,
		`"keep\nraw"`: `keep\nraw`,
	} {
		if got := decodeAttrName(raw); got != want {
			t.Errorf("decodeAttrName(%s) = %q, want %q", raw, got, want)
		}
	}
}
