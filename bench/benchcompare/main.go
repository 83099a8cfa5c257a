// Command benchcompare compares the benchmarks of bench/ at a base commit
// with the working tree, on a noisy machine: it builds both test binaries,
// runs them alternately (base, working tree, base, …) so that load from
// other processes falls on both alike, and prints for every sub-benchmark
// and metric the median over all runs of each side, its range, and the
// ratio of the medians.
//
//	go run ./bench/benchcompare -base 3d39361
//	go run ./bench/benchcompare -base HEAD~3 -bench 'EngineDispatch$' -benchtime 20000x -n 8
//	EVENTSPEC_PG_DSN=… go run ./bench/benchcompare -base main -bench EngineDispatchPostgres -benchtime 500x
//
// Each run is one `go test -bench` of the compiled binary with -test.cpu=1
// and -test.benchmem; a benchmark's rounds (#01, #02, …) count as separate
// samples. Nothing is asserted: it is a measuring tool.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
)

func main() {
	base := flag.String("base", "", "git revision to compare the working tree with (required)")
	bench := flag.String("bench", "EngineDispatch$", "benchmarks to run (-test.bench)")
	benchtime := flag.String("benchtime", "20000x", "per benchmark round (-test.benchtime)")
	n := flag.Int("n", 6, "runs of each side, alternating")
	pkg := flag.String("pkg", "./bench/", "package holding the benchmarks")
	flag.Parse()
	if *base == "" || *n < 1 {
		fmt.Fprintln(os.Stderr, "usage: benchcompare -base <git revision> [-bench regexp] [-benchtime 20000x] [-n 6] [-pkg ./bench/]")
		os.Exit(2)
	}
	// An interrupt cancels the runs, so the temporary worktree is still
	// removed; the report is printed only after that.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	samples, err := run(ctx, *base, *bench, *benchtime, *pkg, *n)
	if err == nil {
		err = report(os.Stdout, *base, samples)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchcompare:", err)
		os.Exit(1)
	}
}

// run builds both binaries and collects n runs of each.
func run(ctx context.Context, base, bench, benchtime, pkg string, n int) (samples [2]results, err error) {
	tmp, err := os.MkdirTemp("", "benchcompare-")
	if err != nil {
		return samples, err
	}
	defer os.RemoveAll(tmp)
	tree := filepath.Join(tmp, "base")
	if err := command(ctx, "", "git", "worktree", "add", "--detach", tree, base); err != nil {
		return samples, fmt.Errorf("checking out %s: %w", base, err)
	}
	defer func() { _ = command(context.Background(), "", "git", "worktree", "remove", "--force", tree) }()
	bins := [2]string{filepath.Join(tmp, "base.test"), filepath.Join(tmp, "new.test")}
	if err := command(ctx, tree, "go", "test", "-c", "-o", bins[0], pkg); err != nil {
		return samples, fmt.Errorf("building %s at %s: %w", pkg, base, err)
	}
	if err := command(ctx, "", "go", "test", "-c", "-o", bins[1], pkg); err != nil {
		return samples, fmt.Errorf("building %s in the working tree: %w", pkg, err)
	}
	for i := range n {
		for side, bin := range bins {
			out, err := exec.CommandContext(ctx, bin, "-test.run=^$", "-test.bench="+bench, "-test.benchtime="+benchtime,
				"-test.cpu=1", "-test.benchmem").CombinedOutput()
			if err != nil {
				return samples, fmt.Errorf("run %d of %s: %w\n%s", i+1, bin, err, out)
			}
			if samples[side], err = parse(samples[side], out); err != nil {
				return samples, err
			}
		}
		fmt.Fprintf(os.Stderr, "run %d of %d done\n", i+1, n)
	}
	return samples, nil
}

// command runs name with args in dir ("": the current one), its output to
// stderr.
func command(ctx context.Context, dir, name string, args ...string) error {
	c := exec.CommandContext(ctx, name, args...)
	c.Dir, c.Stdout, c.Stderr = dir, os.Stderr, os.Stderr
	return c.Run()
}

// results maps a sub-benchmark ("EngineDispatch/engine") to each metric's
// samples.
type results map[string]map[string][]float64

// roundSuffix matches a round's "#01" and the "-2" GOMAXPROCS suffix.
var roundSuffix = regexp.MustCompile(`(#\d+)?(-\d+)?$`)

// parse adds the benchmark lines of out to r: "BenchmarkX/y#01 N v1 unit1
// v2 unit2 …".
func parse(r results, out []byte) (results, error) {
	if r == nil {
		r = results{}
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name := roundSuffix.ReplaceAllString(strings.TrimPrefix(f[0], "Benchmark"), "")
		m := r[name]
		if m == nil {
			m = map[string][]float64{}
			r[name] = m
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("benchmark line %q: value %q: %w", sc.Text(), f[i], err)
			}
			m[f[i+1]] = append(m[f[i+1]], v)
		}
	}
	if len(r) == 0 {
		return nil, errors.New("no benchmark ran (check -bench)")
	}
	return r, sc.Err()
}

// report prints, per sub-benchmark and metric, both sides' medians and
// ranges and new ÷ base.
func report(w io.Writer, base string, s [2]results) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "benchmark\tmetric\tbase %s median [min..max]\tworking tree median [min..max]\tnew/base\n", base)
	var names []string
	for name := range s[1] {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		var metrics []string
		for m := range s[1][name] {
			metrics = append(metrics, m)
		}
		sort.Strings(metrics)
		for _, m := range metrics {
			b, nw := s[0][name][m], s[1][name][m]
			ratio := "-"
			if len(b) > 0 && median(b) != 0 {
				ratio = fmt.Sprintf("%.3f", median(nw)/median(b))
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", name, m, summary(b), summary(nw), ratio)
		}
	}
	return tw.Flush()
}

func summary(v []float64) string {
	if len(v) == 0 {
		return "-"
	}
	return fmt.Sprintf("%.4g [%.4g..%.4g] (%d)", median(v), slices.Min(v), slices.Max(v), len(v))
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
