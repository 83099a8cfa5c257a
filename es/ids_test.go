package es_test

import (
	"fmt"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/eventspec/eventspec/es"
)

// uuidV7 matches a UUID string with version 7 and the RFC 4122 variant.
var uuidV7 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestSequentialIDs(t *testing.T) {
	ids := es.NewSequentialIDs()
	want := []string{
		"00000000-0000-7000-8000-000000000001",
		"00000000-0000-7000-8000-000000000002",
		"00000000-0000-7000-8000-000000000003",
	}
	for i, w := range want {
		if got := ids.NewID(); got != w {
			t.Errorf("id %d = %s, want %s", i+1, got, w)
		}
	}
	for i := 4; i < 0x1234; i++ {
		ids.NewID()
	}
	if got := ids.NewID(); got != "00000000-0000-7000-8000-000000001234" {
		t.Errorf("id 0x1234 = %s", got)
	}
	if other := es.NewSequentialIDs().NewID(); other != want[0] {
		t.Errorf("a new sequence starts at %s, want %s", other, want[0])
	}
}

func TestSequentialIDsConcurrent(t *testing.T) {
	ids := es.NewSequentialIDs()
	var (
		mu   sync.Mutex
		seen = map[string]bool{}
		wg   sync.WaitGroup
	)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				id := ids.NewID()
				mu.Lock()
				seen[id] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != 800 {
		t.Fatalf("%d distinct ids from 800 calls", len(seen))
	}
	for n := 1; n <= 800; n++ {
		if id := fmt.Sprintf("00000000-0000-7000-8000-%012x", n); !seen[id] {
			t.Fatalf("id %s missing: the sequence skipped a number", id)
		}
	}
}

func TestSeededIDs(t *testing.T) {
	a, b, c := es.NewSeededIDs(42), es.NewSeededIDs(42), es.NewSeededIDs(43)
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		x, y, z := a.NewID(), b.NewID(), c.NewID()
		if x != y {
			t.Fatalf("same seed, id %d: %s vs %s", i, x, y)
		}
		if x == z {
			t.Fatalf("different seeds gave the same id %s", x)
		}
		if !uuidV7.MatchString(x) {
			t.Fatalf("seeded id %q is not UUIDv7-shaped", x)
		}
		if seen[x] {
			t.Fatalf("seeded id %s repeated", x)
		}
		seen[x] = true
	}
}

// stepClock is a clock a test sets by hand; unlike VirtualClock it can go
// backwards.
type stepClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *stepClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// millis returns the timestamp field of a UUIDv7 string.
func millis(t *testing.T, id string) int64 {
	t.Helper()
	ms, err := strconv.ParseUint(id[0:8]+id[9:13], 16, 64)
	if err != nil {
		t.Fatalf("id %s: timestamp field: %v", id, err)
	}
	return int64(ms)
}

func TestUUIDv7(t *testing.T) {
	clock := es.NewVirtualClock(time.Date(2026, 1, 1, 0, 0, 0, 123_000_000, time.UTC))
	for name, gen := range map[string]es.IDs{"NewUUIDv7": es.NewUUIDv7(clock), "literal": &es.UUIDv7{Clock: clock}} {
		a, b := gen.NewID(), gen.NewID()
		if !uuidV7.MatchString(a) || !uuidV7.MatchString(b) || a >= b {
			t.Fatalf("%s: ids %s, %s: want increasing UUIDv7s", name, a, b)
		}
		if ms := millis(t, a); ms != clock.Now().UnixMilli() {
			t.Errorf("%s: timestamp field %d, want the clock's %d ms", name, ms, clock.Now().UnixMilli())
		}
	}
	for name, gen := range map[string]es.IDs{"literal": &es.UUIDv7{}, "NewUUIDv7(nil)": es.NewUUIDv7(nil)} {
		if id := gen.NewID(); !uuidV7.MatchString(id) {
			t.Errorf("%s without a clock minted %q, not a UUIDv7", name, id)
		}
	}
}

// TestUUIDv7StuckClock: with the clock stuck at one instant, 10,000 ids in
// a row are strictly increasing; the timestamp starts at the clock's and
// only moves on when a millisecond's counter runs out.
func TestUUIDv7StuckClock(t *testing.T) {
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	gen := es.NewUUIDv7(&stepClock{now: start})
	prev := ""
	for i := 0; i < 10_000; i++ {
		id := gen.NewID()
		if !uuidV7.MatchString(id) {
			t.Fatalf("id %d = %q: not a UUIDv7", i, id)
		}
		if id <= prev {
			t.Fatalf("id %d = %s, not after id %d = %s", i, id, i-1, prev)
		}
		prev = id
	}
	first := gen.NewID()
	// 10,001 ids need at least 3 and at most 5 milliseconds' worth of
	// counters (2048 to 4096 each).
	if d := millis(t, first) - start.UnixMilli(); d < 2 || d > 4 {
		t.Errorf("after 10,001 ids on a stuck clock the timestamp is %d ms ahead, want 2 to 4", d)
	}
}

// TestUUIDv7ClockBackwards: ids keep increasing when the clock goes back,
// and follow the clock again once it passes the last timestamp used.
func TestUUIDv7ClockBackwards(t *testing.T) {
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := &stepClock{now: start}
	gen := es.NewUUIDv7(clock)
	steps := []time.Duration{0, time.Second, -time.Hour, -time.Millisecond, 0, time.Second, -24 * time.Hour, 2 * time.Second}
	prev, latest := "", start
	for i, d := range steps {
		clock.set(clock.Now().Add(d))
		if clock.Now().After(latest) {
			latest = clock.Now()
		}
		for j := 0; j < 100; j++ {
			id := gen.NewID()
			if id <= prev {
				t.Fatalf("step %d (%v), id %d = %s, not after %s", i, d, j, id, prev)
			}
			prev = id
		}
	}
	// the timestamp never went back with the clock
	if got := millis(t, prev); got < latest.UnixMilli() {
		t.Fatalf("timestamp %d is behind the latest clock reading %d", got, latest.UnixMilli())
	}
	clock.set(start.Add(time.Hour))
	if got, want := millis(t, gen.NewID()), start.Add(time.Hour).UnixMilli(); got != want {
		t.Errorf("once the clock is ahead again the timestamp is %d, want the clock's %d", got, want)
	}
}

// TestUUIDv7Concurrent: ids minted from many goroutines at once are
// distinct, and each goroutine sees its own ids increasing.
func TestUUIDv7Concurrent(t *testing.T) {
	for name, gen := range map[string]es.IDs{
		"NewUUIDv7": es.NewUUIDv7(&stepClock{now: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}),
		"literal":   &es.UUIDv7{Clock: &stepClock{now: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}},
	} {
		const goroutines, each = 8, 500
		all := make([][]string, goroutines)
		var wg sync.WaitGroup
		for g := range goroutines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range each {
					all[g] = append(all[g], gen.NewID())
				}
			}()
		}
		wg.Wait()
		seen := map[string]bool{}
		for g, ids := range all {
			for i, id := range ids {
				if i > 0 && id <= ids[i-1] {
					t.Fatalf("%s: goroutine %d: id %s not after %s", name, g, id, ids[i-1])
				}
				seen[id] = true
			}
		}
		if len(seen) != goroutines*each {
			t.Fatalf("%s: %d distinct ids from %d calls", name, len(seen), goroutines*each)
		}
	}
}

func BenchmarkUUIDv7(b *testing.B) {
	for name, gen := range map[string]es.IDs{"NewUUIDv7": es.NewUUIDv7(nil), "literal": &es.UUIDv7{}} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				gen.NewID()
			}
		})
	}
}

// ExampleNewUUIDv7 mints ids on a virtual clock that stands still: they
// carry the clock's millisecond and still sort in the order they were made.
func ExampleNewUUIDv7() {
	clock := es.NewVirtualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	gen := es.NewUUIDv7(clock)
	a, b, c := gen.NewID(), gen.NewID(), gen.NewID()
	fmt.Println(a[:13], a < b && b < c)
	clock.Advance(time.Millisecond)
	fmt.Println(gen.NewID()[:13])
	// Output:
	// 019b76da-a800 true
	// 019b76da-a801
}

// funcIDs is an es.IDs that is not an es.UUIDs.
type funcIDs func() string

func (f funcIDs) NewID() string { return f() }

// TestNewUUIDMatchesNewID checks that every generator's NewUUID returns
// exactly the id NewID would have returned at that point, and that
// NewPrefixedID prefixes it, with or without NewUUID.
func TestNewUUIDMatchesNewID(t *testing.T) {
	gens := map[string]func() es.UUIDs{
		"sequential": func() es.UUIDs { return es.NewSequentialIDs() },
		"seeded":     func() es.UUIDs { return es.NewSeededIDs(42) },
	}
	for name, mk := range gens {
		a, b := mk(), mk()
		for i := range 5 {
			want := a.NewID()
			if got := b.NewUUID(); string(got[:]) != want {
				t.Fatalf("%s: NewUUID #%d = %q, want %q", name, i, got[:], want)
			}
			want = a.NewID()
			if got := es.NewPrefixedID(b, "cmd_"); got != "cmd_"+want {
				t.Fatalf("%s: NewPrefixedID #%d = %q, want %q", name, i, got, "cmd_"+want)
			}
		}
	}
	v := es.NewUUIDv7(es.NewVirtualClock(es.DefaultVirtualStart))
	first := v.NewID()
	u := v.NewUUID()
	if next := string(u[:]); !uuidV7.MatchString(next) || next <= first {
		t.Fatalf("UUIDv7 NewUUID = %q after %q: want a later UUIDv7", next, first)
	}
	n := 0
	plain := funcIDs(func() string { n++; return "id" + strconv.Itoa(n) })
	if got := es.NewPrefixedID(plain, "p_"); got != "p_id1" {
		t.Fatalf("NewPrefixedID without NewUUID = %q, want p_id1", got)
	}
	seq := es.NewSequentialIDs()
	if allocs := testing.AllocsPerRun(100, func() { _ = es.NewPrefixedID(seq, "corr_") }); allocs != 1 {
		t.Fatalf("NewPrefixedID allocates %v times, want 1", allocs)
	}
}

// TestNewPrefixedIDPair checks that the pair is exactly two NewPrefixedID
// calls in order, with or without NewUUID, built in one allocation.
func TestNewPrefixedIDPair(t *testing.T) {
	a, b := es.NewSeededIDs(7), es.NewSeededIDs(7)
	for i := range 3 {
		w1, w2 := es.NewPrefixedID(a, "cmd_"), es.NewPrefixedID(a, "corr_")
		if g1, g2 := es.NewPrefixedIDPair(b, "cmd_", "corr_"); g1 != w1 || g2 != w2 {
			t.Fatalf("pair #%d = %q, %q; want %q, %q", i, g1, g2, w1, w2)
		}
	}
	n := 0
	plain := funcIDs(func() string { n++; return "id" + strconv.Itoa(n) })
	if g1, g2 := es.NewPrefixedIDPair(plain, "x_", "y_"); g1 != "x_id1" || g2 != "y_id2" {
		t.Fatalf("pair without NewUUID = %q, %q; want x_id1, y_id2", g1, g2)
	}
	seq := es.NewSequentialIDs()
	if allocs := testing.AllocsPerRun(100, func() { _, _ = es.NewPrefixedIDPair(seq, "cmd_", "corr_") }); allocs != 1 {
		t.Fatalf("NewPrefixedIDPair allocates %v times, want 1", allocs)
	}
}
