package postgresadapter_test

import (
	"testing"

	"github.com/eventspec/eventspec/conformance"
	"github.com/eventspec/eventspec/postgresadapter"
	"github.com/eventspec/eventspec/postgresadapter/pgtest"
	"github.com/eventspec/eventspec/store"
)

// TestConformance certifies the adapter: every conformance case runs on a
// fresh schema, with the case's virtual clock and ids.
func TestConformance(t *testing.T) {
	pgtest.Server(t) // skip (or fail when required) before running hundreds of subtests
	conformance.Run(t, func(t conformance.T, env conformance.Env) store.Store {
		db := pgtest.New(t)
		return db.Open(t, postgresadapter.Options{Clock: env.Clock, IDs: env.IDs})
	}, postgresadapter.Capabilities)
}
