package memstore

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestDocIndexMatchesSortedSet drives a docIndex with increasing, decreasing
// and seeded random cursors, removed from the front, the back and the
// middle, and checks after every step that it holds exactly the cursors of
// a reference set, in ascending order.
func TestDocIndexMatchesSortedSet(t *testing.T) {
	var x docIndex
	ref := map[string]bool{}
	check := func(step string) {
		t.Helper()
		want := make([]string, 0, len(ref))
		for c := range ref {
			want = append(want, c)
		}
		slices.Sort(want)
		if !slices.Equal(want, x.cursors) {
			t.Fatalf("%s: index holds %q, want %q", step, x.cursors, want)
		}
	}
	add := func(c string) { x.add(c); ref[c] = true }
	remove := func(c string) { x.remove(c); delete(ref, c) }
	key := func(i int) string { return string(rune('a'+i/26%26)) + string(rune('a'+i%26)) + "\x00k" }
	for i := 100; i < 200; i++ { // increasing: the appending fast path
		add(key(i))
	}
	check("after increasing inserts")
	for i := 99; i >= 50; i-- { // decreasing: each one a binary-search insert
		add(key(i))
	}
	check("after decreasing inserts")
	for i := 50; i < 60; i++ { // from the front
		remove(key(i))
	}
	remove(key(199)) // the back
	remove(key(150)) // the middle
	remove(key(150)) // already gone: no change
	remove("zz")     // never there
	check("after removals")
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 2000; i++ {
		c := key(rng.IntN(600))
		if rng.IntN(3) == 0 {
			remove(c)
		} else if !ref[c] {
			add(c)
		}
	}
	check("after seeded random adds and removes")
	for len(x.cursors) > 0 {
		remove(x.cursors[0])
	}
	check("after emptying from the front")
	add(key(3))
	check("after reuse")
}
