// Package backends runs a feature suite on every store engine eventspec
// ships: the in-memory memstore always, and PostgreSQL whenever pgtest finds
// a server (EVENTSPEC_PG_DSN, or a Docker engine). Without a server the
// PostgreSQL run is skipped with pgtest's loud reason — or fails, when
// EVENTSPEC_REQUIRE_PG=1, as in CI.
//
// Each PostgreSQL scenario that touches the store gets a fresh schema on
// the scenario's virtual clock and sequential ids, dropped after the
// scenario, so a feature sees exactly the same store semantics — and the
// same ids and timestamps — on both engines.
package backends

import (
	"context"
	"os"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/eventspec/eventspec/postgresadapter"
	"github.com/eventspec/eventspec/postgresadapter/pgtest"
	"github.com/eventspec/eventspec/steps"
	"github.com/eventspec/eventspec/store"
)

// Run runs the features of opts once per engine, as the subtests
// "memstore" and "postgres". opts.Suite must be nil: each engine gets its
// own suite, built by opts.Register.
func Run(t *testing.T, opts steps.Options) {
	t.Helper()
	if opts.Suite != nil {
		t.Fatal("backends.Run: opts.Suite must be nil; each engine builds its own suite")
	}
	t.Run("memstore", func(t *testing.T) {
		steps.Run(t, opts)
	})
	t.Run("postgres", func(t *testing.T) {
		pool, _ := pgtest.Server(t)
		suite := steps.NewSuite()
		suite.NewStore = postgresStore(pool, t.Name())
		o := opts
		o.Suite = suite
		steps.Run(t, o)
	})
}

var schemas atomic.Uint64

// postgresStore opens each scenario's store in a schema of its own, dropped
// after the scenario.
func postgresStore(pool *pgxpool.Pool, testName string) func(w *steps.World) (store.Store, error) {
	return func(w *steps.World) (store.Store, error) {
		ctx := context.Background()
		schema := pgtest.SchemaName(os.Getpid(), schemas.Add(1), testName+"/"+w.Name)
		if err := pgtest.CreateSchema(ctx, pool, schema); err != nil {
			return nil, err
		}
		w.Cleanup(func() error { return pgtest.DropSchema(context.Background(), pool, schema) })
		st, err := postgresadapter.Open(ctx, pool, postgresadapter.Options{Schema: schema, Clock: w.Clock, IDs: w.IDs})
		if err != nil {
			return nil, err
		}
		return st, nil
	}
}
