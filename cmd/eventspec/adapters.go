package main

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/eventspec/eventspec/conformance"
	"github.com/eventspec/eventspec/memstore"
	"github.com/eventspec/eventspec/postgresadapter"
	"github.com/eventspec/eventspec/store"
)

// opened is an adapter ready to certify: a factory of fresh stores, the
// capabilities the adapter claims, and what to release afterwards.
type opened struct {
	factory conformance.Factory
	caps    store.Capabilities
	close   func() error // nil when there is nothing to release
}

// opener prepares an adapter; target is its connection string ("" for the
// embedded memstore).
type opener func(ctx context.Context, target string) (opened, error)

// adapters maps the adapter names `certify` knows to their openers. Wiring
// in another adapter is one entry here and, when it needs a connection
// string, one flag in certify.go.
var adapters = map[string]opener{
	"memstore": openMemstore,
	"postgres": openPostgres,
}

// openMemstore certifies the deterministic in-memory store: each case gets
// a new memstore on the case's virtual clock and ids.
func openMemstore(context.Context, string) (opened, error) {
	return opened{
		factory: func(t conformance.T, env conformance.Env) store.Store {
			s := memstore.New(memstore.WithClock(env.Clock), memstore.WithIDs(env.IDs))
			t.Cleanup(func() { _ = s.Close() })
			return s
		},
		caps: memstore.Capabilities,
	}, nil
}

// openPostgres certifies the PostgreSQL adapter on the database at dsn: each
// case runs in a throwaway schema of its own, created before the case and
// dropped after it. The DSN's password never appears in errors.
func openPostgres(ctx context.Context, dsn string) (opened, error) {
	secret := postgresadapter.DSNPassword(dsn)
	pool, err := pgxpool.New(ctx, dsn)
	if err == nil {
		if err = pool.Ping(ctx); err != nil {
			pool.Close()
		}
	}
	if err != nil {
		return opened{}, fmt.Errorf("connecting to %s: %w", postgresadapter.RedactDSN(dsn), postgresadapter.Redact(err, secret))
	}
	var n atomic.Int64
	return opened{
		factory: func(t conformance.T, env conformance.Env) store.Store {
			schema := fmt.Sprintf("eventspec_certify_%d_%d", os.Getpid(), n.Add(1))
			drop := func() error {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				return postgresadapter.DropSchema(ctx, pool, schema)
			}
			if err := drop(); err != nil { // a leftover of a crashed run with the same pid
				t.Fatalf("postgres: clearing schema %s: %v", schema, postgresadapter.Redact(err, secret))
			}
			t.Cleanup(func() {
				if err := drop(); err != nil {
					t.Errorf("postgres: dropping schema %s: %v", schema, postgresadapter.Redact(err, secret))
				}
			})
			s, err := postgresadapter.Open(t.Context(), pool, postgresadapter.Options{Schema: schema, Clock: env.Clock, IDs: env.IDs})
			if err != nil {
				t.Fatalf("postgres: opening schema %s: %v", schema, postgresadapter.Redact(err, secret))
			}
			t.Cleanup(func() { _ = s.Close() })
			return s
		},
		caps:  postgresadapter.Capabilities,
		close: func() error { pool.Close(); return nil },
	}, nil
}
