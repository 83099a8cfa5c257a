// Package bench holds eventspec's benchmarks. Each benchmark is a series
// of paired sub-benchmarks run in the same process: the bare baseline, then
// the subject (an engine), alternating for a few rounds so that load from
// other processes falls on both sides alike:
//
//	go test -run='^$' -bench=. -benchmem ./bench/
//
//	BenchmarkAppend1/baseline      …  ns/op
//	BenchmarkAppend1/memstore      …  ns/op  … baseline-ns/op  … x-baseline
//	BenchmarkAppend1/baseline#01   …
//	BenchmarkAppend1/memstore#01   …
//
// Each subject round reports the baseline round just before it
// (baseline-ns/op) and the ratio of the two (x-baseline: subject ns/op ÷
// baseline ns/op). The last subject round also reports best-x-baseline, the
// ratio of the fastest subject round to the fastest baseline round. Nothing
// is asserted on timings.
package bench

import "testing"

// rounds is how many baseline/subject pairs each benchmark runs.
const rounds = 3

// nsPerOp is the time per operation of b's current run (timer-stopped
// stretches excluded).
func nsPerOp(b *testing.B) float64 {
	if b.N == 0 {
		return 0
	}
	return float64(b.Elapsed().Nanoseconds()) / float64(b.N)
}

// compare runs rounds pairs of sub-benchmarks, "baseline" then name; see the
// package documentation for what they report. When a -bench filter skips
// the baseline, the subject reports no ratio.
func compare(b *testing.B, name string, baseline, subject func(b *testing.B)) {
	b.Helper()
	var bestBase, bestSubj float64
	for r := range rounds {
		var baseNs, subjNs float64
		b.Run("baseline", func(b *testing.B) {
			b.ReportAllocs()
			baseline(b)
			baseNs = nsPerOp(b) // the final run's figure wins
		})
		bestBase = minPositive(bestBase, baseNs)
		last := r == rounds-1
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			subject(b)
			subjNs = nsPerOp(b)
			if baseNs > 0 && subjNs > 0 {
				b.ReportMetric(baseNs, "baseline-ns/op")
				b.ReportMetric(subjNs/baseNs, "x-baseline")
			}
			if best := minPositive(bestSubj, subjNs); last && bestBase > 0 && best > 0 {
				b.ReportMetric(best/bestBase, "best-x-baseline")
			}
		})
		bestSubj = minPositive(bestSubj, subjNs)
	}
}

// minPositive is the smaller of a and b, ignoring values <= 0.
func minPositive(a, b float64) float64 {
	switch {
	case a <= 0:
		return b
	case b <= 0:
		return a
	}
	return min(a, b)
}
