package memstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/store"
)

// TestEventIDIndexWithCollisions runs the event-id rules (unique ids,
// rollback frees ids, a minted id already in the log is refused) with the
// id index hashing normally and with every id forced onto the same hash,
// and checks after each step that the index answers exactly for the ids in
// the log.
func TestEventIDIndexWithCollisions(t *testing.T) {
	for _, mask := range []uint64{^uint64(0), 0} {
		t.Run(fmt.Sprintf("mask=%x", mask), func(t *testing.T) {
			ctx := context.Background()
			s := New()
			s.st.indexEventIDs()
			s.st.byID.mask = mask
			appendIDs := func(stream string, ids ...string) (es.AppendResult, error) {
				evs := make([]es.Event, len(ids))
				for i, id := range ids {
					evs[i] = es.Event{Type: "T", Data: json.RawMessage(`{}`), Metadata: es.Metadata{EventID: id}}
				}
				return store.Append(ctx, s, es.AppendRequest{Stream: es.StreamID(stream), Events: evs})
			}
			check := func(step string, absent ...string) {
				t.Helper()
				st := &s.st
				n := len(st.byID.first)
				for _, m := range st.byID.more {
					n += len(m)
				}
				if n != st.log.n {
					t.Fatalf("%s: index holds %d positions, log has %d events", step, n, st.log.n)
				}
				for i := 0; i < st.log.n; i++ {
					if id := st.log.eventID(i); !st.byID.has(st, id) {
						t.Fatalf("%s: stored id %q not found", step, id)
					}
				}
				for _, id := range absent {
					if st.byID.has(st, id) {
						t.Fatalf("%s: absent id %q found", step, id)
					}
				}
			}
			if _, err := appendIDs("s-1", "e1", "e2"); err != nil {
				t.Fatal(err)
			}
			if _, err := appendIDs("s-1", "e3", ""); err != nil { // the second one minted
				t.Fatal(err)
			}
			check("three explicit, one minted", "e4", "")
			if _, err := appendIDs("s-2", "e4", "e2"); es.CodeOf(err) != es.CodeInvalidEvent {
				t.Fatalf("stored id reused: %v, want INVALID_EVENT", err)
			}
			check("refused reuse", "e4")
			boom := errors.New("boom")
			err := s.Atomic(ctx, func(tx store.Tx) error {
				if _, err := tx.Events().Append(ctx, es.AppendRequest{Stream: "s-3", Events: []es.Event{{Type: "T", Data: json.RawMessage(`1`), Metadata: es.Metadata{EventID: "e5"}}}}); err != nil {
					return err
				}
				check("inside the unit")
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatal(err)
			}
			check("rolled back", "e5")
			if _, err := appendIDs("s-3", "e5"); err != nil {
				t.Fatalf("id freed by the rollback: %v", err)
			}
			// The next minted id is taken by an explicit one: the minting
			// append is refused and undone.
			next := es.NewSequentialIDs()
			next.NewID() // the one minted above
			taken := next.NewID()
			if _, err := appendIDs("s-4", taken); err != nil {
				t.Fatal(err)
			}
			if _, err := appendIDs("s-4", "e6", ""); es.CodeOf(err) != es.CodeInternal {
				t.Fatalf("minted id already stored: %v, want INTERNAL", err)
			}
			check("minted collision undone", "e6")
			if _, err := appendIDs("s-4", "e6", "e7"); err != nil {
				t.Fatal(err)
			}
			check("final")
			if s.st.log.n != 8 {
				t.Fatalf("log has %d events, want 8", s.st.log.n)
			}
		})
	}
}
