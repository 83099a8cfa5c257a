package field

import (
	"errors"
	"strings"
	"testing"

	"github.com/eventspec/eventspec/es"
)

func TestObjectFields(t *testing.T) {
	o := Decode([]byte(`{"s":"x","e":"","n":3,"f":2.0,"big":1e3,"frac":1.5,"b":true,"m":{"k":1},"l":"b","arr":["a"],"ints":[1,2],"nul":null,"sub":{"x":"y"}}`), "root")
	if o.String("s", true) != "x" || o.Int("n", 1, 0, true) != 3 || o.Int("f", 0, 0, true) != 2 || o.Int("big", 0, 0, true) != 1000 {
		t.Fatal("reads")
	}
	if !o.Bool("b", false, true) || o.Map("m", true)["k"] != float64(1) || o.Enum("l", []string{"a", "b"}, "a", true) != "b" {
		t.Fatal("reads 2")
	}
	if got := o.Strings("arr", true); len(got) != 1 || got[0] != "a" {
		t.Fatal("strings")
	}
	if got := o.Ints("ints", 0, true); len(got) != 2 || got[1] != 2 {
		t.Fatal("ints")
	}
	sub, ok := o.Sub("sub", true)
	if !ok || sub.String("x", true) != "y" || sub.Path("x") != "root.sub.x" {
		t.Fatal("sub")
	}
	if o.Has("nul") || o.Has("absent") || !o.Has("s") {
		t.Fatal("has")
	}
	if err := o.Err(es.CodeInvalidArgument, "doc"); err != nil {
		t.Fatalf("no issues expected: %v", err)
	}
	o.String("e", true)
	o.Int("frac", 0, 0, true)
	o.Int("n", 5, 0, true)
	o.Literal("s", "y", true)
	o.Literal("absent", "y", true)
	o.Enum("s", []string{"a"}, "a", false)
	o.Bool("s", false, false)
	o.String("nul", true)
	o.Map("s", false)
	err := o.Err(es.CodeInvalidArgument, "doc")
	var fe *Error
	if !errors.As(err, &fe) || !errors.Is(err, es.ErrInvalidArgument) || es.CodeOf(err) != es.CodeInvalidArgument {
		t.Fatalf("%v", err)
	}
	want := []Issue{
		{"root.e", CodeTooSmall, "must not be empty"},
		{"root.frac", CodeInvalidType, "expected integer, received 1.5"},
		{"root.n", CodeTooSmall, "must be an integer >= 5, received 3"},
		{"root.s", CodeInvalidLiteral, `expected "y", received "x"`},
		{"root.absent", CodeRequired, `Required (expected "y")`},
		{"root.s", CodeInvalidEnum, `expected one of "a", received "x"`},
		{"root.s", CodeInvalidType, "expected boolean, received string"},
		{"root.nul", CodeRequired, "Required"},
		{"root.s", CodeInvalidType, "expected object, received string"},
	}
	if len(fe.Issues) != len(want) {
		t.Fatalf("issues %v", fe.Issues)
	}
	for i := range want {
		if fe.Issues[i] != want[i] {
			t.Errorf("issue %d = %+v, want %+v", i, fe.Issues[i], want[i])
		}
	}
	if !strings.HasPrefix(err.Error(), "INVALID_ARGUMENT: doc is invalid: root.e: must not be empty; ") {
		t.Fatalf("message %s", err)
	}
}

func TestNotAnObject(t *testing.T) {
	for _, raw := range []string{``, `[1]`, `"s"`, `{`, `5`} {
		o := Decode([]byte(raw), "")
		o.String("a", true)
		o.Int("b", 0, 0, true)
		if is := o.Issues(); len(is) != 1 || is[0].Path != "" {
			t.Errorf("%q: %v", raw, is)
		}
	}
}

func TestInteger(t *testing.T) {
	for raw, want := range map[string]int64{"0": 0, "-7": -7, "2.0": 2, "1e3": 1000, "9007199254740993": 9007199254740993} {
		if n, err := Integer([]byte(raw)); err != nil || n != want {
			t.Errorf("%s: %d %v", raw, n, err)
		}
	}
	for _, raw := range []string{"1.5", `"1"`, "null", "true", "1e400", "[]"} {
		if _, err := Integer([]byte(raw)); err == nil {
			t.Errorf("%s accepted", raw)
		}
	}
}

func TestAddIssues(t *testing.T) {
	o := Decode([]byte(`{}`), "cmd")
	o.AddIssues("payload", []Issue{{"", "x", "whole"}, {"a.b", "y", "deep"}})
	top := Decode([]byte(`{}`), "")
	top.AddIssues("", []Issue{{"a", "y", "m"}})
	want := []Issue{{"cmd.payload", "x", "whole"}, {"cmd.payload.a.b", "y", "deep"}}
	if got := o.Issues(); len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("%v", got)
	}
	if got := top.Issues(); len(got) != 1 || got[0].Path != "a" {
		t.Fatalf("%v", got)
	}
}
