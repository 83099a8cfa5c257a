package postgresadapter

import (
	"fmt"
	"slices"
	"testing"

	"github.com/eventspec/eventspec/es"
)

func TestAppendLocksSortedDedupedStrongestMode(t *testing.T) {
	c := newLockClasses("s")
	cond := es.FailIfMatch(es.Items(
		es.QueryItem{Types: []string{"A"}, Tags: []es.Tag{"course:1", "student:2"}},
		es.QueryItem{Types: []string{"B", "C"}},
	))
	req := es.AppendRequest{
		Stream:      "order-1",
		Idempotency: &es.Idempotency{Key: "k"},
		Condition:   &cond,
		Events: []es.Event{
			{Type: "A", Tags: []es.Tag{"course:1", "student:2"}},
			{Type: "A", Tags: []es.Tag{"course:1"}},
		},
	}
	cls, obj, x := c.appendLocks(req)
	type lk struct {
		cls, obj int32
		x        bool
	}
	var got []lk
	for i := range cls {
		got = append(got, lk{cls[i], obj[i], x[i]})
	}
	want := []lk{
		{c.stream, int32(hash32("order-1")), true},
		{c.idem, int32(hash32("k")), true},
		{c.dcb, globalDCBKey, false},
		{c.dcb, dcbKey('y', "A"), false},
		{c.dcb, dcbKey('t', "course:1"), true}, // written (shared) and the condition's first tag (exclusive)
		{c.dcb, dcbKey('t', "student:2"), false},
		{c.dcb, dcbKey('y', "B"), true},
		{c.dcb, dcbKey('y', "C"), true},
	}
	slices.SortFunc(want, func(a, b lk) int {
		if a.cls != b.cls {
			return int(int64(a.cls) - int64(b.cls))
		}
		return int(int64(a.obj) - int64(b.obj))
	})
	if !slices.Equal(got, want) {
		t.Fatalf("lock set\n got %v\nwant %v", got, want)
	}
}

func TestAppendLocksAllConditionAndManyKeysUseGlobalExclusive(t *testing.T) {
	c := newLockClasses("s")
	all := es.FailIfMatch(es.All())
	cls, obj, x := c.appendLocks(es.AppendRequest{Condition: &all, Events: []es.Event{{Type: "A"}}})
	if len(cls) != 2 || obj[0] != globalDCBKey && obj[1] != globalDCBKey {
		t.Fatalf("All condition: got %v %v %v", cls, obj, x)
	}
	for i := range obj {
		if obj[i] == globalDCBKey && !x[i] {
			t.Fatalf("All condition takes the global key shared: %v %v", obj, x)
		}
	}

	var events []es.Event
	for i := 0; i < maxDCBLocks; i++ {
		events = append(events, es.Event{Type: "T", Tags: []es.Tag{es.Tag(fmt.Sprint("tag:", i))}})
	}
	tagged := es.FailIfMatch(es.Tags("tag:0"))
	cls, obj, x = c.appendLocks(es.AppendRequest{Condition: &tagged, Events: events})
	globalX := slices.IndexFunc(obj, func(o int32) bool { return o == globalDCBKey })
	if len(cls) != 2 || globalX < 0 || cls[globalX] != c.dcb || !x[globalX] || obj[1-globalX] != dcbKey('t', "tag:0") || !x[1-globalX] {
		t.Fatalf("%d distinct written keys: got %v %v %v, want the global key and the condition's tag, both exclusive", maxDCBLocks+2, cls, obj, x)
	}
}

func TestAppendLocksPlainWriterTakesNoDCBLock(t *testing.T) {
	c := newLockClasses("s")
	cls, obj, x := c.appendLocks(es.AppendRequest{
		Stream: "order-1", Idempotency: &es.Idempotency{Key: "k"},
		Events: []es.Event{{Type: "A", Tags: []es.Tag{"course:1"}}, {Type: "B"}},
	})
	type lk struct {
		cls, obj int32
		x        bool
	}
	var got []lk
	for i := range cls {
		got = append(got, lk{cls[i], obj[i], x[i]})
	}
	want := []lk{{c.stream, int32(hash32("order-1")), true}, {c.idem, int32(hash32("k")), true}}
	slices.SortFunc(want, func(a, b lk) int { return int(int64(a.cls) - int64(b.cls)) })
	if !slices.Equal(got, want) {
		t.Fatalf("plain append lock set\n got %v\nwant %v (stream and idempotency key only)", got, want)
	}
	if cls, _, _ := c.appendLocks(es.AppendRequest{Events: []es.Event{{Type: "A", Tags: []es.Tag{"t:1"}}}}); len(cls) != 0 {
		t.Fatalf("a plain append without stream or key takes %d locks, want none", len(cls))
	}
}

func TestLockClassesDifferPerSchemaAndPurpose(t *testing.T) {
	a, b := newLockClasses("a"), newLockClasses("b")
	seen := map[int32]string{}
	for name, v := range map[string]int32{
		"a.stream": a.stream, "a.idem": a.idem, "a.dcb": a.dcb, "a.register": a.register, "a.registerCond": a.registerCond,
		"b.stream": b.stream, "b.idem": b.idem, "b.dcb": b.dcb, "b.register": b.register, "b.registerCond": b.registerCond,
	} {
		if v < 0 {
			t.Errorf("%s class %d is negative", name, v)
		}
		if other, dup := seen[v]; dup {
			t.Errorf("%s and %s share class %d", name, other, v)
		}
		seen[v] = name
	}
}

func TestPrefixUpperBound(t *testing.T) {
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{"", "", false},
		{"ab", "ac", true},
		{"a\U0010FFFF", "b", true},
		{"\U0010FFFF", "", false},
		{"x\uD7FF", "x\uE000", true},
		{"é", "ê", true},
	} {
		got, ok := prefixUpperBound(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("prefixUpperBound(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}
