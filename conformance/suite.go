// Package conformance certifies a store adapter: every case runs on a fresh
// store from the adapter's factory and checks one guarantee of the ports in
// package store, with exact assertions.
//
// A third-party adapter certifies itself with one test:
//
//	func TestConformance(t *testing.T) {
//		conformance.Run(t, func(t conformance.T, env conformance.Env) store.Store {
//			return myadapter.New(env.Clock, env.IDs)
//		}, myadapter.Capabilities)
//	}
//
// Cases that need a capability the adapter does not claim are skipped with
// the reason. The same cases run without `go test` through Certify, which
// the `eventspec certify` command uses.
package conformance

import (
	"context"
	"testing"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/store"
)

// T is the part of testing.T a case uses. *testing.T satisfies it, and so
// does the runner behind Certify.
type T interface {
	Helper()
	Name() string
	Logf(format string, args ...any)
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Skipf(format string, args ...any)
	Failed() bool
	Cleanup(func())
	Context() context.Context
}

// Env is what a case controls about the store it gets: the virtual clock the
// store must read time from, and the ids it must mint from.
type Env struct {
	Clock *es.VirtualClock
	IDs   es.IDs
}

// Factory returns a fresh, empty store that reads time from env.Clock and
// mints ids from env.IDs. Register any teardown with t.Cleanup.
type Factory func(t T, env Env) store.Store

// Case is one conformance check.
type Case struct {
	// Group is the area certified, e.g. "events", "dcb", "documents", "jobs",
	// "atomicity", "concurrency", "model"; the report has a row per group.
	Group string
	// Name is unique within the group.
	Name string
	// Requires lists capabilities the case needs; it is skipped, naming
	// them, when the adapter does not claim them all.
	Requires []store.Capability
	// Run checks the guarantee on s.
	Run func(t T, s store.Store, env Env)
}

var registry []Case

// register adds cases to the suite; each case file calls it from init.
func register(cases ...Case) { registry = append(registry, cases...) }

// Cases returns every registered case, in registration order.
func Cases() []Case { return append([]Case(nil), registry...) }

// newEnv returns the environment of one case: a virtual clock at
// es.DefaultVirtualStart and sequential ids.
func newEnv() Env {
	return Env{Clock: es.NewVirtualClock(es.DefaultVirtualStart), IDs: es.NewSequentialIDs()}
}

// missing returns the capabilities c needs that caps lacks.
func missing(c Case, caps store.Capabilities) []store.Capability {
	var out []store.Capability
	for _, r := range c.Requires {
		if !caps.Has(r) {
			out = append(out, r)
		}
	}
	return out
}

// Run runs every case as a subtest "group/name" of t, each on a fresh store
// from factory. caps are the capabilities the adapter claims.
func Run(t *testing.T, factory Factory, caps store.Capabilities) {
	t.Helper()
	for _, c := range Cases() {
		t.Run(c.Group+"/"+c.Name, func(t *testing.T) {
			if m := missing(c, caps); len(m) > 0 {
				t.Skipf("adapter does not claim %v", m)
			}
			env := newEnv()
			s := factory(t, env)
			c.Run(t, s, env)
		})
	}
}
