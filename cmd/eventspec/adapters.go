package main

import (
	"context"
	"errors"

	"github.com/eventspec/eventspec/conformance"
	"github.com/eventspec/eventspec/memstore"
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

// errNoPostgres is what --postgres says until the adapter is wired in.
var errNoPostgres = errors.New("the PostgreSQL adapter is not available yet")

// openPostgres will open the PostgreSQL adapter on the DSN.
func openPostgres(context.Context, string) (opened, error) {
	return opened{}, errNoPostgres
}
