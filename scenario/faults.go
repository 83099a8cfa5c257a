package scenario

import (
	"fmt"
	"strings"

	"github.com/google/go-cmp/cmp"

	"github.com/eventspec/eventspec/engine"
	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/scenario/internal/report"
)

// FaultRun drives a fresh engine, built on a fresh store with opts added to
// its own options, until its work is done, and returns the final state to
// compare (read models, documents, whatever the property is about) and the
// engine (for its fault log). ExploreFaults calls it once without faults
// and once per seed.
type FaultRun[S any] func(opts ...engine.Option) (final S, e *engine.Engine, err error)

// SeedRun is one run of an exploration under a seed.
type SeedRun[S any] struct {
	// Seed is the seed the run used: engine.WithSeed(Seed) with the same
	// plan replays it.
	Seed uint64
	// Final is the state the run returned.
	Final S
	// Faults lists the faults injected, in order.
	Faults []engine.Fault
	// Report is the engine's FaultReport.
	Report string
	// Diff lists where Final differs from the fault-free reference, one
	// "path: reference → final" line each; empty when they are equal.
	Diff []string
	// Err is the run's error, if it failed.
	Err error
}

// Diverged reports whether the run failed or ended in a state other than
// the reference.
func (r SeedRun[S]) Diverged() bool { return r.Err != nil || len(r.Diff) > 0 }

// FaultExploration is what ExploreFaults found.
type FaultExploration[S any] struct {
	// Reference is the final state of the fault-free run.
	Reference S
	// Runs holds one run per seed, in the order of the seeds.
	Runs []SeedRun[S]
}

// Diverging returns the runs that failed or ended elsewhere than the
// reference.
func (x FaultExploration[S]) Diverging() []SeedRun[S] {
	var out []SeedRun[S]
	for _, r := range x.Runs {
		if r.Diverged() {
			out = append(out, r)
		}
	}
	return out
}

// FaultCounts adds up the injected faults of every run by kind.
func (x FaultExploration[S]) FaultCounts() map[engine.FaultKind]int {
	n := map[engine.FaultKind]int{}
	for _, r := range x.Runs {
		for _, f := range r.Faults {
			n[f.Kind]++
		}
	}
	return n
}

// Seeds returns count seeds starting at first: Seeds(1, 50) is 1..50.
func Seeds(first uint64, count int) []uint64 {
	out := make([]uint64, 0, max(count, 0))
	for i := range max(count, 0) {
		out = append(out, first+uint64(i))
	}
	return out
}

// ExploreFaults runs run once without faults — the reference — and then
// once per seed with engine.WithSeed(seed) and engine.WithFaults(plan),
// comparing each final state with the reference (every field, unexported
// ones too, then cmpOpts). It returns what every run did; it fails (an
// INVALID_ARGUMENT error) only when the plan is invalid, there is no seed,
// or the reference run fails.
func ExploreFaults[S any](plan engine.FaultPlan, seeds []uint64, run FaultRun[S], cmpOpts ...cmp.Option) (FaultExploration[S], error) {
	var x FaultExploration[S]
	if err := plan.Validate(); err != nil {
		return x, err
	}
	if len(seeds) == 0 {
		return x, es.Errorf(es.CodeInvalidArgument, "scenario: ExploreFaults needs at least one seed")
	}
	if run == nil {
		return x, es.Errorf(es.CodeInvalidArgument, "scenario: ExploreFaults needs a run function")
	}
	ref, _, err := run()
	if err != nil {
		return x, fmt.Errorf("scenario: the fault-free reference run failed: %w", err)
	}
	x.Reference = ref
	opts := report.Options(cmpOpts...)
	for _, seed := range seeds {
		final, e, err := run(engine.WithSeed(seed), engine.WithFaults(plan))
		r := SeedRun[S]{Seed: seed, Final: final, Err: err}
		if e != nil {
			r.Faults, r.Report = e.Faults(), e.FaultReport()
		}
		if err == nil {
			eq, cerr := report.Equal(ref, final, opts)
			switch {
			case cerr != nil:
				r.Err = cerr
			case !eq:
				r.Diff = report.Paths(ref, final, opts)
				if len(r.Diff) == 0 {
					r.Diff = []string{"(the states differ, but go-cmp names no path)"}
				}
			}
		}
		x.Runs = append(x.Runs, r)
	}
	return x, nil
}

// CheckFaults is the property "the system ends in the same state whatever
// faults the engine injects": it explores seeds like ExploreFaults and
// reports to t every seed whose run failed or ended elsewhere than the
// fault-free run — with the seed to replay it, the injected faults and the
// differing paths. It also replays the first seed and reports it when the
// replay injects other faults or ends in another state (the run depends on
// something besides the seed: real time, goroutine timing, map order).
func CheckFaults[S any](t T, plan engine.FaultPlan, seeds []uint64, run FaultRun[S], cmpOpts ...cmp.Option) FaultExploration[S] {
	t.Helper()
	x, err := ExploreFaults(plan, seeds, run, cmpOpts...)
	if err != nil {
		t.Errorf("%v", err)
		return x
	}
	for _, r := range x.Diverging() {
		t.Errorf("%s", describeSeedRun(r))
	}
	first := x.Runs[0]
	final, e, err := run(engine.WithSeed(first.Seed), engine.WithFaults(plan))
	again := ""
	if e != nil {
		again = e.FaultReport()
	}
	switch {
	case again != first.Report:
		t.Errorf("seed %d does not replay: the faults differ (the run depends on something besides the seed)\nfirst run: %s\nreplay:    %s", first.Seed, first.Report, again)
	case (err == nil) != (first.Err == nil):
		t.Errorf("seed %d does not replay: the first run returned %v, the replay %v", first.Seed, first.Err, err)
	case err == nil:
		opts := report.Options(cmpOpts...)
		if eq, _ := report.Equal(first.Final, final, opts); !eq {
			t.Errorf("seed %d does not replay: same faults, another final state (the run depends on something besides the seed):\n  %s",
				first.Seed, strings.Join(report.Paths(first.Final, final, opts), "\n  "))
		}
	}
	return x
}

func describeSeedRun[S any](r SeedRun[S]) string {
	var b strings.Builder
	if r.Err != nil {
		fmt.Fprintf(&b, "under faults, seed %d failed: %v", r.Seed, r.Err)
	} else {
		fmt.Fprintf(&b, "under faults, seed %d ended in another state than the fault-free run (reference → final):", r.Seed)
		for _, d := range r.Diff {
			b.WriteString("\n  ")
			b.WriteString(d)
		}
	}
	if r.Report != "" {
		b.WriteString("\n")
		b.WriteString(r.Report)
	}
	return b.String()
}
