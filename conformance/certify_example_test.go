package conformance_test

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"time"

	"github.com/eventspec/eventspec/conformance"
	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/memstore"
	"github.com/eventspec/eventspec/store"
)

// Certify runs the suite outside `go test` — here the atomicity cases on
// memstore — and reports per case and per group. A clock that never moves
// makes every duration 0, so the report is the same on every run.
func ExampleCertify() {
	factory := func(t conformance.T, env conformance.Env) store.Store {
		s := memstore.New(memstore.WithClock(env.Clock), memstore.WithIDs(env.IDs))
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	rep := conformance.Certify(context.Background(), factory, memstore.Capabilities, conformance.CertifyOptions{
		Adapter: "memstore",
		Match:   regexp.MustCompile(`^atomicity/`),
		Clock:   es.NewVirtualClock(time.Time{}),
	})
	fmt.Println("certified:", rep.OK())
	_ = rep.WriteTable(os.Stdout)
	// Output:
	// certified: true
	// Conformance of memstore (claims: gapless-positions, fault-injection)
	// Cases matching ^atomicity/
	//
	// atomicity: 5 passed, 0 failed, 1 skipped (0s)
	//   STATUS  CASE                                     TIME  NOTE
	//   PASS    success-commits-everything               0s
	//   PASS    error-rolls-back-everything              0s
	//   PASS    store-error-rolls-back-earlier-writes    0s
	//   PASS    panic-rolls-back-and-propagates          0s
	//   PASS    cancelled-context-aborts                 0s
	//   SKIP    uncommitted-work-is-invisible-to-others  0s    adapter does not claim [interleaved-transactions]
	//
	// GROUP      PASSED  FAILED  SKIPPED  TIME
	// atomicity  5       0       1        0s
	// TOTAL      5       0       1        0s
	//
	// PASS: 5 passed, 0 failed, 1 skipped in 0s
}
