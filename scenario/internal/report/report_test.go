package report

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type item struct {
	SKU  string
	Qty  int
	tags map[string]bool
	Fn   func()
}

type box struct{ Items []item }

func TestEqualComparesUnexportedAndIgnoresFuncs(t *testing.T) {
	opts := Options()
	a := item{SKU: "a", tags: map[string]bool{"x": true}, Fn: func() {}}
	b := item{SKU: "a", tags: map[string]bool{"x": true}, Fn: func() {}}
	if eq, err := Equal(a, b, opts); !eq || err != nil {
		t.Errorf("equal items: %v %v", eq, err)
	}
	b.tags["y"] = true
	if eq, _ := Equal(a, b, opts); eq {
		t.Error("an unexported difference went unnoticed")
	}
	nan := struct{ F float64 }{math.NaN()}
	if eq, _ := Equal(nan, nan, opts); !eq {
		t.Error("a NaN state differs from itself")
	}
	panicky := Options(cmp.Comparer(func(x, y item) bool { panic("bad option") }))
	if _, err := Equal(item{SKU: "a"}, item{SKU: "b"}, panicky); err == nil || !strings.Contains(err.Error(), "bad option") {
		t.Errorf("panicking option: %v", err)
	}
}

func TestPaths(t *testing.T) {
	x := box{Items: []item{{SKU: "a", Qty: 1}, {SKU: "b", Qty: 2}}}
	y := box{Items: []item{{SKU: "a", Qty: 3, tags: map[string]bool{"k": true}}}}
	got := Paths(x, y, Options())
	want := []string{
		`Items[0].Qty: 1 → 3`,
		`Items[0].tags: null → {"k":true}`,
		`Items[-1]: item {SKU:b Qty:2 tags:map[] Fn:<nil>} → (none)`, // func fields do not encode as JSON
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Paths\n got %q\nwant %q", got, want)
	}
	var xs, ys []any = []any{item{SKU: "a"}, 1}, []any{box{}, 1, "extra"}
	got = EventPaths(xs, ys, Options())
	want = []string{`#1: item {SKU:a Qty:0 tags:map[] Fn:<nil>} → box {"Items":null}`, `#3 (actual only): (none) → "extra"`}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("EventPaths\n got %q\nwant %q", got, want)
	}
	if got := Paths(1, 2, Options()); !reflect.DeepEqual(got, []string{"(value): 1 → 2"}) {
		t.Errorf("root diff = %q", got)
	}
}

func TestValue(t *testing.T) {
	var nilBox *box
	cases := map[string]any{
		`(nil)`:            nil,
		`"s"`:              "s",
		`42`:               42,
		`box {"Items":[]}`: &box{Items: []item{}},
		`(nil box)`:        nilBox,
		`{"a":1}`:          map[string]int{"a": 1},
		`[1,2]`:            []int{1, 2},
	}
	for want, v := range cases {
		if got := Value(v); got != want {
			t.Errorf("Value(%#v) = %s, want %s", v, got, want)
		}
	}
	if got := Value(item{Fn: func() {}}); !strings.HasPrefix(got, "item {") {
		t.Errorf("unencodable value = %s", got)
	}
}

func TestTable(t *testing.T) {
	got := Table([]string{"#", "expected", "actual"}, [][]string{{"1", "a", "a"}, {"2", "bb", "c"}}, []bool{false, true})
	want := "    # | expected | actual\n    1 | a        | a\n  ✗ 2 | bb       | c\n"
	if got != want {
		t.Errorf("Table\n%s\nwant\n%s", got, want)
	}
	long := strings.Repeat("é", 150)
	if got := Table([]string{"v"}, [][]string{{long}}, nil); !strings.Contains(got, strings.Repeat("é", 99)+"…") || strings.Contains(got, strings.Repeat("é", 100)) {
		t.Errorf("long cell not truncated: %s", got)
	}
}

func TestGuard(t *testing.T) {
	if err := Guard("x", func() {}); err != nil {
		t.Error(err)
	}
	err := Guard("Decide", func() { panic(errors.New("boom")) })
	if err == nil || err.Error() != "Decide panicked: boom" {
		t.Errorf("Guard = %v", err)
	}
}
