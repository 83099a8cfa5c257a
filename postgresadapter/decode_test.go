package postgresadapter_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/postgresadapter"
	"github.com/eventspec/eventspec/postgresadapter/pgtest"
)

// Events decode the same through the binary fast path and through the
// rows.Scan fallback used when columns arrive in text format (the simple
// protocol, as behind some poolers).
func TestEventDecodingPathsAgree(t *testing.T) {
	db := pgtest.New(t)
	ctx := ctxT(t)
	s := db.Open(t, postgresadapter.Options{IDs: es.NewSequentialIDs()})
	e1 := es.MustEvent("A", map[string]any{"x": "ü", "n": 1.5}, "t:1", "t:2")
	e1.Metadata = es.Metadata{CorrelationID: "c", CausationID: "k", Category: "fat", SchemaVersion: 3, Extra: map[string]string{"tenant": "t-1"}}
	e2 := es.MustEvent("B", nil)
	e2.Metadata.Extra = map[string]string{}
	mustAppend(t, s, es.AppendRequest{Stream: "s", Events: []es.Event{e1, e2}})
	mustAppend(t, s, es.AppendRequest{Events: []es.Event{es.MustEvent("C", []int{1})}})
	fast := logOf(t, s)

	cfg := db.Pool.Config().ConnConfig.Copy()
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(postgresadapter.Redact(err, postgresadapter.DSNPassword(db.ConnConfigDSN())))
	}
	defer conn.Close(context.Background())
	slow, err := postgresadapter.ReadEventsForTest(ctx, conn, db.Schema)
	if err != nil {
		t.Fatal(err)
	}
	if len(fast) != 3 {
		t.Fatalf("fast path read %d events", len(fast))
	}
	if d := cmp.Diff(fast, slow); d != "" {
		t.Fatalf("fast and fallback decoding differ (-fast +fallback):\n%s", d)
	}
	if fast[1].Metadata.Extra == nil || len(fast[1].Metadata.Extra) != 0 || fast[2].Metadata.Extra != nil || fast[2].StreamID != "" || fast[2].Tags != nil {
		t.Fatalf("empty vs nil not preserved: %+v", fast)
	}
}
