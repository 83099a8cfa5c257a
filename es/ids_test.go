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

func TestUUIDv7(t *testing.T) {
	clock := es.NewVirtualClock(time.Date(2026, 1, 1, 0, 0, 0, 123_000_000, time.UTC))
	gen := es.UUIDv7{Clock: clock}
	a, b := gen.NewID(), gen.NewID()
	if !uuidV7.MatchString(a) || a == b {
		t.Fatalf("ids %s, %s: want distinct UUIDv7s", a, b)
	}
	ms, err := strconv.ParseUint(a[0:8]+a[9:13], 16, 64)
	if err != nil || int64(ms) != clock.Now().UnixMilli() {
		t.Errorf("timestamp field %d, want the clock's %d ms", ms, clock.Now().UnixMilli())
	}
	if !uuidV7.MatchString(es.UUIDv7{}.NewID()) {
		t.Errorf("UUIDv7 without a clock does not mint a UUIDv7")
	}
}
