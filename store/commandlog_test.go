package store_test

import (
	"fmt"
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
