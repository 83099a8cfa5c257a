package clone

import (
	"reflect"
	"testing"
	"time"
)

type inner struct {
	Tags  []string
	notes map[string]int
}

type node struct {
	Name string
	Next *node
}

type state struct {
	ID      string
	count   int
	Items   map[string]*inner
	List    []inner
	Arr     [2]*int
	Any     any
	private *inner
	At      time.Time
	Fn      func() int
	Loop    *node
}

func TestOfCopiesDeeply(t *testing.T) {
	n := 7
	loop := &node{Name: "a"}
	loop.Next = loop
	shared := &inner{Tags: []string{"s"}}
	orig := state{
		ID:      "o1",
		count:   3,
		Items:   map[string]*inner{"x": {Tags: []string{"a"}, notes: map[string]int{"k": 1}}, "y": shared, "z": shared},
		List:    []inner{{Tags: []string{"b"}}},
		Arr:     [2]*int{&n, nil},
		Any:     []int{1, 2},
		private: &inner{notes: map[string]int{"p": 1}},
		At:      time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Fn:      func() int { return 1 },
		Loop:    loop,
	}
	cp := Of(orig)
	if !reflect.DeepEqual(orig.Items, cp.Items) || cp.ID != "o1" || cp.count != 3 || !cp.At.Equal(orig.At) || cp.Fn() != 1 {
		t.Fatalf("copy differs: %+v", cp)
	}
	// Mutate everything reachable from the copy; the original must not move.
	cp.Items["x"].Tags[0] = "changed"
	cp.Items["x"].notes["k"] = 99
	cp.Items["new"] = nil
	cp.List[0].Tags[0] = "changed"
	*cp.Arr[0] = 42
	cp.Any.([]int)[0] = 42
	cp.private.notes["p"] = 99
	cp.Loop.Name = "changed"
	if orig.Items["x"].Tags[0] != "a" || orig.Items["x"].notes["k"] != 1 || len(orig.Items) != 3 {
		t.Errorf("map contents shared: %+v", orig.Items["x"])
	}
	if orig.List[0].Tags[0] != "b" || n != 7 || orig.Any.([]int)[0] != 1 || orig.private.notes["p"] != 1 || orig.Loop.Name != "a" {
		t.Errorf("original mutated through the copy: %+v", orig)
	}
	if cp.Items["y"] != cp.Items["z"] {
		t.Errorf("shared pointer not kept shared in the copy")
	}
	if cp.Loop.Next != cp.Loop {
		t.Errorf("cycle not preserved")
	}
}

func TestOfNilsAndScalars(t *testing.T) {
	var m map[string]int
	if Of(m) != nil {
		t.Error("nil map became non-nil")
	}
	var s []int
	if Of(s) != nil {
		t.Error("nil slice became non-nil")
	}
	var p *state
	if Of(p) != nil {
		t.Error("nil pointer became non-nil")
	}
	if Of(42) != 42 || Of("x") != "x" {
		t.Error("scalar changed")
	}
	var a any
	if Of(a) != nil {
		t.Error("nil interface became non-nil")
	}
}
