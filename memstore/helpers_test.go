package memstore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/memstore"
	"github.com/eventspec/eventspec/store"
)

func ev(typ string, tags ...es.Tag) es.Event {
	return es.Event{Type: typ, Data: json.RawMessage(`{}`), Tags: tags}
}

func mustAppend(t testing.TB, s store.Store, req es.AppendRequest) es.AppendResult {
	t.Helper()
	res, err := store.Append(context.Background(), s, req)
	if err != nil {
		t.Fatalf("append %+v: %v", req, err)
	}
	return res
}

func wantCode(t testing.TB, err error, code es.Code) {
	t.Helper()
	if got := es.CodeOf(err); got != code {
		t.Fatalf("error code = %q (err %v), want %q", got, err, code)
	}
}

func readAll(t testing.TB, s store.Store) []es.Recorded {
	t.Helper()
	var out []es.Recorded
	after := es.Position(0)
	for {
		page, err := store.ReadAll(context.Background(), s, store.LogRead{After: after, Limit: store.MaxLogLimit})
		if err != nil {
			t.Fatalf("read all: %v", err)
		}
		out = append(out, page.Events...)
		if !page.HasMore {
			return out
		}
		after = page.Next
	}
}

// snapshot renders everything observable about a store as JSON: the whole
// log, the given streams' versions, the given documents, jobs and dead
// letters.
func snapshot(t testing.TB, s *memstore.Store, streams []es.StreamID, docs [][2]string, jobIDs []string) string {
	t.Helper()
	ctx := context.Background()
	type view struct {
		Log      []es.Recorded
		Versions map[es.StreamID]es.Version
		Docs     []any
		Jobs     []any
		Dead     []store.Job
	}
	v := view{Log: readAll(t, s), Versions: map[es.StreamID]es.Version{}}
	err := s.Atomic(ctx, func(tx store.Tx) error {
		for _, id := range streams {
			ver, err := tx.Events().StreamVersion(ctx, id)
			if err != nil {
				return err
			}
			v.Versions[id] = ver
		}
		for _, d := range docs {
			doc, err := tx.Documents().Get(ctx, d[0], d[1])
			if err != nil {
				v.Docs = append(v.Docs, es.CodeOf(err))
			} else {
				v.Docs = append(v.Docs, doc)
			}
		}
		for _, id := range jobIDs {
			j, err := tx.Jobs().Get(ctx, id)
			if err != nil {
				v.Jobs = append(v.Jobs, es.CodeOf(err))
			} else {
				v.Jobs = append(v.Jobs, j)
			}
		}
		dead, err := tx.Jobs().DeadLetters(ctx, "", 0)
		v.Dead = dead
		return err
	})
	if err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	return string(raw)
}

func streamName(i int) es.StreamID { return es.StreamID(fmt.Sprintf("s-%d", i)) }
