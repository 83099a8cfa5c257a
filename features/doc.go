// Package features holds the Gherkin specifications of eventspec's
// patterns, one folder per pattern (decider, handler, fsm, invariant), run
// by `go test ./features/...` through the steps package on the sample
// domain in internal/orders.
package features
