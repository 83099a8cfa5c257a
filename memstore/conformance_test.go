package memstore_test

import (
	"testing"

	"github.com/eventspec/eventspec/conformance"
	"github.com/eventspec/eventspec/memstore"
	"github.com/eventspec/eventspec/store"
)

// TestConformance certifies memstore with the shared adapter suite.
func TestConformance(t *testing.T) {
	conformance.Run(t, func(t conformance.T, env conformance.Env) store.Store {
		s := memstore.New(memstore.WithClock(env.Clock), memstore.WithIDs(env.IDs))
		t.Cleanup(func() { _ = s.Close() })
		return s
	}, memstore.Capabilities)
}
