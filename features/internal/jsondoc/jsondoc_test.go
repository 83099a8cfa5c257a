package jsondoc

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestApplyAndLookup(t *testing.T) {
	doc := map[string]any{"keep": "x", "drop": 1}
	err := Apply(doc, [][]string{
		{"field", "value"},
		{"a.b", "2"},
		{"name", "plain words"},
		{"list", `[1,"two"]`},
		{"drop", Absent},
		{"nothing", "undefined"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"keep": "x", "a": map[string]any{"b": 2.0}, "name": "plain words", "list": []any{1.0, "two"}, "nothing": nil}
	if d := cmp.Diff(want, doc); d != "" {
		t.Fatalf("doc (-want +got):\n%s", d)
	}
	for path, want := range map[string]any{"a.b": 2.0, "list.1": "two", "list.2": nil, "a.b.c": nil, "missing": nil} {
		if got := Lookup(doc, path); !cmp.Equal(got, want) {
			t.Errorf("Lookup(%q) = %v, want %v", path, got, want)
		}
	}
}

func TestApplyRejectsRowsOfTheWrongWidth(t *testing.T) {
	err := Apply(map[string]any{}, [][]string{{"a", "1"}, {"b"}})
	if err == nil || err.Error() != "row 2: want | field | value |" {
		t.Fatalf("err = %v", err)
	}
}
