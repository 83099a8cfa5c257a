package store_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/store"
)

// TestValidateCorrelationRepeats checks the repeated-id rule on short lists
// (compared pairwise) and long ones (through a set), and the bound.
func TestValidateCorrelationRepeats(t *testing.T) {
	ids := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprint("e", i)
		}
		return out
	}
	rec := func(events []string) store.CorrelationRecord {
		return store.CorrelationRecord{CommandID: "c1", EventIDs: events, CreatedAt: time.Unix(0, 0), TTL: time.Hour}
	}
	for _, n := range []int{1, 16, 17, store.MaxCorrelationEvents} {
		if err := store.ValidateCorrelationRecord(rec(ids(n))); err != nil {
			t.Errorf("%d distinct ids: %v", n, err)
		}
		if n < 2 {
			continue
		}
		repeated := append(ids(n-1), "e0")
		err := store.ValidateCorrelationRecord(rec(repeated))
		if es.CodeOf(err) != es.CodeInvalidArgument || err.Error() != `INVALID_ARGUMENT: correlation "c1": event id "e0" is repeated` {
			t.Errorf("%d ids, the last repeating the first: %v", n, err)
		}
	}
	if err := store.ValidateCorrelationRecord(rec(ids(store.MaxCorrelationEvents + 1))); es.CodeOf(err) != es.CodeInvalidArgument {
		t.Errorf("%d ids: %v, want INVALID_ARGUMENT", store.MaxCorrelationEvents+1, err)
	}
}

// TestCorrelationCursorMatchesPaddedForm checks the canonical cursor
// against fmt's zero padding for times on both sides of 1970 and at the
// extremes of int64 milliseconds, and that building it allocates once.
func TestCorrelationCursorMatchesPaddedForm(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	times := []time.Time{time.Unix(0, 0), time.UnixMilli(-1), time.UnixMilli(1), time.UnixMilli(9999999999999999), time.UnixMilli(10000000000000000),
		time.UnixMilli(math.MaxInt64), time.UnixMilli(math.MinInt64), time.UnixMilli(math.MinInt64 + 1)}
	for range 2000 {
		times = append(times, time.UnixMilli(int64(r.Uint64())>>r.IntN(64)), time.UnixMilli(-int64(r.Uint64()>>1)>>r.IntN(63)))
	}
	for _, ts := range times {
		ms := ts.UnixMilli()
		want := fmt.Sprintf("%016d:cmd-1", ms)
		if ms < 0 {
			want = fmt.Sprintf("-%015d:cmd-1", uint64(-ms))
		}
		if got := store.CorrelationCursor(ts, "cmd-1"); got != want {
			t.Fatalf("CorrelationCursor(%d ms) = %q, want %q", ms, got, want)
		}
	}
	ts := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if n := testing.AllocsPerRun(100, func() { _ = store.CorrelationCursor(ts, "cmd_0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b") }); n != 1 {
		t.Fatalf("CorrelationCursor allocates %v times, want 1", n)
	}
}
