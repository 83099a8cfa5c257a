package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const sample = `goos: linux
BenchmarkEngineDispatch/baseline         	   20000	      3000 ns/op	    1246 B/op	      15 allocs/op
BenchmarkEngineDispatch/engine           	   20000	     30000 ns/op	      3000 baseline-ns/op	        10.00 x-baseline	    6736 B/op	      45 allocs/op
BenchmarkEngineDispatch/baseline#01      	   20000	      2000 ns/op	    1246 B/op	      15 allocs/op
BenchmarkEngineDispatch/engine#01-2      	   20000	     10000 ns/op	      2000 baseline-ns/op	         5.00 x-baseline	    6736 B/op	      45 allocs/op
PASS
`

func TestParseAndReport(t *testing.T) {
	r, err := parse(nil, []byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	want := results{
		"EngineDispatch/baseline": {"ns/op": {3000, 2000}, "B/op": {1246, 1246}, "allocs/op": {15, 15}},
		"EngineDispatch/engine": {"ns/op": {30000, 10000}, "baseline-ns/op": {3000, 2000}, "x-baseline": {10, 5},
			"B/op": {6736, 6736}, "allocs/op": {45, 45}},
	}
	if diff := cmp.Diff(want, r); diff != "" {
		t.Fatalf("parse (-want +got):\n%s", diff)
	}
	newer, err := parse(nil, []byte(strings.ReplaceAll(sample, "30000 ns/op", "15000 ns/op")))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := report(&b, "abc", [2]results{r, newer}); err != nil {
		t.Fatal(err)
	}
	// Engine ns/op: base median (30000+10000)/2, new (15000+10000)/2.
	line := ""
	for _, l := range strings.Split(b.String(), "\n") {
		if strings.HasPrefix(l, "EngineDispatch/engine") && strings.Contains(l, " ns/op") {
			line = l
		}
	}
	if f := strings.Fields(line); len(f) < 2 || f[len(f)-1] != "0.625" || !strings.Contains(line, "2e+04 [1e+04..3e+04] (2)") {
		t.Fatalf("engine ns/op line %q, want medians 2e+04 and 1.25e+04, ratio 0.625\n%s", line, b.String())
	}
	if _, err := parse(nil, []byte("PASS\n")); err == nil {
		t.Fatal("output without benchmarks parsed without error")
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		v    []float64
		want float64
	}{{[]float64{3}, 3}, {[]float64{3, 1, 2}, 2}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := median(c.v); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.v, got, c.want)
		}
	}
}
