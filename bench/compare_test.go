// Package bench holds eventspec's benchmarks. Each benchmark is a pair of
// sub-benchmarks run in the same process: the bare baseline first, then the
// subject (an engine), which also reports its ratio to the baseline:
//
//	go test -run='^$' -bench=. -benchmem ./bench/
//
//	BenchmarkAppend1/baseline   …  ns/op
//	BenchmarkAppend1/memstore   …  ns/op  … baseline-ns/op  … x-baseline
//
// x-baseline is the subject's ns/op divided by the baseline's. Nothing is
// asserted on timings.
package bench

import "testing"

// nsPerOp is the time per operation of b's current run (timer-stopped
// stretches excluded).
func nsPerOp(b *testing.B) float64 {
	if b.N == 0 {
		return 0
	}
	return float64(b.Elapsed().Nanoseconds()) / float64(b.N)
}

// compare runs baseline and then subject as sub-benchmarks "baseline" and
// name, and has the subject report baseline-ns/op and x-baseline (subject
// ns/op ÷ baseline ns/op). When a -bench filter skips the baseline, the
// subject reports no ratio.
func compare(b *testing.B, name string, baseline, subject func(b *testing.B)) {
	b.Helper()
	var baseNs float64
	b.Run("baseline", func(b *testing.B) {
		b.ReportAllocs()
		baseline(b)
		baseNs = nsPerOp(b) // the last (final) run's figure wins
	})
	b.Run(name, func(b *testing.B) {
		b.ReportAllocs()
		subject(b)
		if ns := nsPerOp(b); baseNs > 0 && ns > 0 {
			b.ReportMetric(baseNs, "baseline-ns/op")
			b.ReportMetric(ns/baseNs, "x-baseline")
		}
	})
}
