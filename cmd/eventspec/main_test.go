package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/eventspec/eventspec/conformance"
	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/memstore"
	"github.com/eventspec/eventspec/postgresadapter/pgtest"
	"github.com/eventspec/eventspec/store"
)

// stepClock moves forward a millisecond on every Now, so reports are exact.
type stepClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Millisecond)
	return c.now
}

// runCLI runs the command line and returns the exit code and both outputs.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb strings.Builder
	code = cli{stdout: &out, stderr: &errb, clock: &stepClock{now: es.DefaultVirtualStart}}.run(t.Context(), args)
	return code, out.String(), errb.String()
}

func TestCertifyMemstorePassesAndPrintsEveryGroup(t *testing.T) {
	code, out, errOut := runCLI(t, "certify")
	if code != exitOK {
		t.Fatalf("exit code %d, want 0; stderr:\n%s\nstdout:\n%s", code, errOut, out)
	}
	cases := conformance.Cases()
	groups := map[string]int{}
	for _, c := range cases {
		groups[c.Group]++
	}
	for g, n := range groups {
		section := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(g) + `: \d+ passed, 0 failed, \d+ skipped \(`)
		row := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(g) + ` +\d+ +0 +\d+ +\S+$`)
		if !section.MatchString(out) || !row.MatchString(out) {
			t.Errorf("output lacks the table of group %q (%d cases)", g, n)
		}
	}
	dots := 0
	for _, line := range strings.Split(out, "\n") {
		if line != "" && strings.Trim(line, ".s") == "" {
			dots += len(line)
		}
	}
	if dots != len(cases) {
		t.Errorf("progress shows %d marks, want one per case (%d)", dots, len(cases))
	}
	if !strings.Contains(out, "\nPASS: ") || strings.Contains(out, "Failures") {
		t.Errorf("output does not end in a pass:\n%s", out)
	}
}

func TestCertifyOutWritesJSONAndMarkdown(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "reports")
	code, out, errOut := runCLI(t, "certify", "--out", dir, "--run", "^(documents|jobs)/", "-v")
	if code != exitOK {
		t.Fatalf("exit code %d, want 0; stderr:\n%s\nstdout:\n%s", code, errOut, out)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep conformance.Report
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatalf("report.json does not decode: %v", err)
	}

	var wantCases []string
	for _, c := range conformance.Cases() {
		if c.Group == "documents" || c.Group == "jobs" {
			wantCases = append(wantCases, c.Group+"/"+c.Name+" passed")
		}
	}
	var gotCases []string
	for i, c := range rep.Cases {
		gotCases = append(gotCases, c.Path()+" "+string(c.Status))
		if c.Duration != time.Millisecond {
			t.Errorf("case %s took %s by the step clock, want exactly one step (1ms)", c.Path(), c.Duration)
		}
		line := fmt.Sprintf("[%d/%d] ok   %s (1ms)\n", i+1, len(rep.Cases), c.Path())
		if !strings.Contains(out, line) {
			t.Errorf("-v output lacks %q", line)
		}
	}
	if d := cmp.Diff(wantCases, gotCases); d != "" {
		t.Errorf("cases in report.json (-want +got):\n%s", d)
	}
	if rep.Adapter != "memstore" || rep.Filter != "^(documents|jobs)/" || !rep.OK() ||
		!cmp.Equal(rep.Capabilities, memstore.Capabilities) || !rep.StartedAt.Equal(es.DefaultVirtualStart.Add(time.Millisecond)) {
		t.Errorf("report header: adapter %q, filter %q, OK %v, capabilities %v, started %s", rep.Adapter, rep.Filter, rep.OK(), rep.Capabilities, rep.StartedAt)
	}
	if d := cmp.Diff([]string{"documents", "jobs"}, []string{rep.Groups[0].Group, rep.Groups[1].Group}); d != "" || len(rep.Groups) != 2 {
		t.Errorf("groups %+v, want documents then jobs", rep.Groups)
	}

	md, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	if err := rep.WriteMarkdown(&want); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want.String(), string(md)); d != "" {
		t.Errorf("report.md is not the Markdown of report.json (-want +got):\n%s", d)
	}
	if !strings.HasPrefix(string(md), "# Conformance report: memstore\n\n**PASS: ") {
		t.Errorf("report.md starts %q", string(md)[:min(80, len(md))])
	}
	if !strings.Contains(out, "Wrote "+filepath.Join(dir, "report.json")+" and "+filepath.Join(dir, "report.md")) {
		t.Errorf("output does not say where the reports went:\n%s", out)
	}
}

// committing commits a unit of work even when its function fails: a
// broken adapter for the failure path.
type committing struct{ store.Store }

func (s committing) Atomic(ctx context.Context, fn func(store.Tx) error) error {
	var ferr error
	if err := s.Store.Atomic(ctx, func(tx store.Tx) error { ferr = fn(tx); return nil }); err != nil {
		return err
	}
	return ferr
}

func TestCertifyFailureExitsOneAndListsFailures(t *testing.T) {
	saved := adapters["memstore"]
	t.Cleanup(func() { adapters["memstore"] = saved })
	adapters["memstore"] = func(ctx context.Context, target string) (opened, error) {
		o, err := saved(ctx, target)
		inner := o.factory
		o.factory = func(t conformance.T, env conformance.Env) store.Store { return committing{inner(t, env)} }
		return o, err
	}
	dir := t.TempDir()
	code, out, _ := runCLI(t, "certify", "--run", "^atomicity/error-rolls-back", "--out", dir)
	if code != exitFailure {
		t.Fatalf("exit code %d, want 1; stdout:\n%s", code, out)
	}
	for _, want := range []string{
		"F\n",
		"  FAIL    error-rolls-back-everything",
		"\nFailures (1):\n\n--- FAIL: atomicity/error-rolls-back-everything (1ms)\n    atomicity.go:",
		"the log changed",
		"\nFAIL: 0 passed, 1 failed, 0 skipped",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	md, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil || !strings.Contains(string(md), "## Failures\n\n### atomicity/error-rolls-back-everything\n\n```text\natomicity.go:") {
		t.Errorf("report.md lacks the failure (%v):\n%s", err, md)
	}
}

// An unreachable database fails the run with exit 1, naming the server but
// never printing the DSN's password.
func TestCertifyPostgresUnreachableRedactsThePassword(t *testing.T) {
	code, out, errOut := runCLI(t, "certify", "--postgres", "postgres://certifier:s3cr3t-pw@127.0.0.1:1/eventspec?connect_timeout=5")
	if code != exitFailure || out != "" {
		t.Fatalf("exit %d, stdout %q; want exit 1 and no table", code, out)
	}
	if !strings.Contains(errOut, "connecting to postgres://certifier:") || !strings.Contains(errOut, "127.0.0.1:1") {
		t.Errorf("stderr %q does not name the server it tried", errOut)
	}
	if strings.Contains(errOut, "s3cr3t-pw") {
		t.Errorf("stderr leaks the password: %q", errOut)
	}
}

// certify --postgres runs the suite on a live database (EVENTSPEC_PG_DSN;
// skipped without one unless EVENTSPEC_REQUIRE_PG=1) and leaves no schema
// behind.
func TestCertifyPostgresPassesOnALiveDatabase(t *testing.T) {
	pool, _ := pgtest.Server(t)
	dsn := os.Getenv(pgtest.EnvDSN)
	if dsn == "" {
		t.Skip("the test server is a container; certify needs a DSN")
	}
	code, out, errOut := runCLI(t, "certify", "--postgres", dsn, "--run", "^(events|dcb)/")
	if code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s\nstdout:\n%s", code, errOut, out)
	}
	for _, want := range []string{"events ", "dcb ", "PASS: "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	var left int
	if err := pool.QueryRow(t.Context(), `SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'eventspec_certify_%'`).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Errorf("%d certify schemas left behind", left)
	}
}

func TestUsage(t *testing.T) {
	for _, c := range []struct {
		args   []string
		code   int
		stdout string // substring; "" means empty
		stderr string
	}{
		{nil, exitUsage, "", "Usage:\n  eventspec certify"},
		{[]string{"help"}, exitOK, "Usage:\n  eventspec certify", ""},
		{[]string{"--help"}, exitOK, "Usage:\n  eventspec certify", ""},
		{[]string{"help", "certify"}, exitOK, "-run REGEXP", ""},
		{[]string{"certify", "-h"}, exitOK, "", "-postgres DSN"},
		{[]string{"frobnicate"}, exitUsage, "", `unknown command "frobnicate"`},
		{[]string{"certify", "extra"}, exitUsage, "", `unexpected arguments ["extra"]`},
		{[]string{"certify", "--run", "("}, exitUsage, "", "--run: error parsing regexp"},
		{[]string{"certify", "--nope"}, exitUsage, "", "flag provided but not defined: -nope"},
	} {
		code, out, errOut := runCLI(t, c.args...)
		if code != c.code {
			t.Errorf("%q: exit code %d, want %d", c.args, code, c.code)
		}
		for _, chk := range []struct{ got, want, name string }{{out, c.stdout, "stdout"}, {errOut, c.stderr, "stderr"}} {
			if (chk.want == "" && chk.got != "") || !strings.Contains(chk.got, chk.want) {
				t.Errorf("%q: %s is %q, want it to contain %q", c.args, chk.name, chk.got, chk.want)
			}
		}
	}
}
