package commandbus_test

import (
	"testing"

	"github.com/eventspec/eventspec/conformance"
	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/memstore"
)

// TestCommandLogConformance runs the command-log cases of the conformance
// suite (group "commands") on memstore.
func TestCommandLogConformance(t *testing.T) {
	n := 0
	for _, c := range conformance.Cases() {
		if c.Group != "commands" {
			continue
		}
		n++
		t.Run(c.Name, func(t *testing.T) {
			env := conformance.Env{Clock: es.NewVirtualClock(es.DefaultVirtualStart), IDs: es.NewSequentialIDs()}
			s := memstore.New(memstore.WithClock(env.Clock), memstore.WithIDs(env.IDs))
			t.Cleanup(func() { _ = s.Close() })
			c.Run(t, s, env)
		})
	}
	if n < 10 {
		t.Fatalf("found %d command-log cases, want at least 10", n)
	}
}
