package jsonfield

import (
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type plainFields struct {
	A      string `json:"a"`
	B      int    `json:"b,omitempty"`
	C      bool   `json:",omitzero"`
	D      uint8
	Skip   string `json:"-"`
	Dash   string `json:"-,"`
	hidden int
	gone   int    `json:"-"`
	E      string `json:"e,,omitempty"`
}

type embedded struct{ plainFields }

// taggedUnexported has a tag on an unexported field, which go vet flags
// in a literal, so it is built with reflect.
var taggedUnexported = reflect.StructOf([]reflect.StructField{
	{Name: "x", PkgPath: "github.com/eventspec/eventspec/internal/jsonfield", Type: reflect.TypeFor[int](), Tag: `json:"x"`},
})

type stringOption struct {
	N int `json:"n,string"`
}

type clash struct {
	Name string
	N    string `json:"name"`
}

type oddName struct {
	A string `json:"é"`
}

func TestPlain(t *testing.T) {
	cases := []struct {
		t    reflect.Type
		want []Field
		ok   bool
	}{
		{reflect.TypeFor[plainFields](), []Field{
			{Index: 0, Name: "a"}, {Index: 1, Name: "b", OmitEmpty: true}, {Index: 2, Name: "C", OmitZero: true},
			{Index: 3, Name: "D"}, {Index: 5, Name: "-"}, {Index: 8, Name: "e", OmitEmpty: true},
		}, true},
		{reflect.TypeFor[struct{}](), nil, true},
		{reflect.TypeFor[embedded](), nil, false},
		{taggedUnexported, nil, false},
		{reflect.TypeFor[stringOption](), nil, false},
		{reflect.TypeFor[clash](), nil, false},
		{reflect.TypeFor[oddName](), nil, false},
		{reflect.TypeFor[*plainFields](), nil, false},
		{reflect.TypeFor[map[string]int](), nil, false},
		{nil, nil, false},
	}
	for _, c := range cases {
		got, ok := Plain(c.t)
		if ok != c.ok || !cmp.Equal(got, c.want) {
			t.Errorf("Plain(%v) = %+v, %v; want %+v, %v", c.t, got, ok, c.want, c.ok)
		}
	}
	_ = plainFields{hidden: 1, gone: 2}
}

func TestPlainName(t *testing.T) {
	for name, want := range map[string]bool{"orderId": true, "a-b.c d": true, "-": true, "": false, "é": false, `a"b`: false, `a\b`: false, "a,b": false} {
		if got := PlainName(name); got != want {
			t.Errorf("PlainName(%q) = %v, want %v", name, got, want)
		}
	}
}
