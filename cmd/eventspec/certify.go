package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/eventspec/eventspec/conformance"
)

// certifyOptions are the flags of `eventspec certify`.
type certifyOptions struct {
	postgres string
	out      string
	run      string
	verbose  bool
}

// certifyFlags declares the flags of `eventspec certify`, writing errors
// and usage to w.
func certifyFlags(w io.Writer) (*flag.FlagSet, *certifyOptions) {
	o := &certifyOptions{}
	fs := flag.NewFlagSet("certify", flag.ContinueOnError)
	fs.SetOutput(w)
	fs.StringVar(&o.postgres, "postgres", "", "certify the PostgreSQL adapter on this `DSN` instead of the in-memory store")
	fs.StringVar(&o.out, "out", "", "write report.json and report.md into `DIR` (created if missing)")
	fs.StringVar(&o.run, "run", "", "run only the cases whose group/name matches this `REGEXP`")
	fs.BoolVar(&o.verbose, "v", false, "print a line per case instead of a dot")
	fs.Usage = func() {
		fmt.Fprintf(w, "Usage: eventspec certify [--postgres DSN] [--out DIR] [--run REGEXP] [-v]\n\n")
		fs.PrintDefaults()
	}
	return fs, o
}

// certify implements `eventspec certify`.
func (c cli) certify(ctx context.Context, args []string) int {
	fs, o := certifyFlags(c.stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(c.stderr, "eventspec certify: unexpected arguments %q\n", fs.Args())
		fs.Usage()
		return exitUsage
	}
	opts := conformance.CertifyOptions{Adapter: "memstore", Clock: c.clock}
	if o.run != "" {
		re, err := regexp.Compile(o.run)
		if err != nil {
			fmt.Fprintf(c.stderr, "eventspec certify: --run: %v\n", err)
			return exitUsage
		}
		opts.Match = re
	}
	target := ""
	if o.postgres != "" {
		opts.Adapter, target = "postgres", o.postgres
	}
	ad, err := adapters[opts.Adapter](ctx, target)
	if err != nil {
		fmt.Fprintf(c.stderr, "eventspec certify: %s: %v\n", opts.Adapter, err)
		return exitFailure
	}
	if ad.close != nil {
		defer func() {
			if err := ad.close(); err != nil {
				fmt.Fprintf(c.stderr, "eventspec certify: closing %s: %v\n", opts.Adapter, err)
			}
		}()
	}

	p := &progress{w: c.stdout, verbose: o.verbose}
	opts.Progress = p.event
	rep := conformance.Certify(ctx, ad.factory, ad.caps, opts)
	p.end()

	fmt.Fprintln(c.stdout)
	if err := rep.WriteTable(c.stdout); err != nil {
		fmt.Fprintf(c.stderr, "eventspec certify: %v\n", err)
		return exitFailure
	}
	if fs := rep.Failures(); len(fs) > 0 {
		fmt.Fprintf(c.stdout, "\nFailures (%d):\n", len(fs))
		for _, f := range fs {
			fmt.Fprintf(c.stdout, "\n--- FAIL: %s (%s)\n", f.Path(), f.Duration.Round(time.Microsecond))
			for _, m := range f.Messages {
				fmt.Fprintf(c.stdout, "    %s\n", strings.ReplaceAll(m, "\n", "\n    "))
			}
		}
	}
	if o.out != "" {
		if err := writeReports(o.out, rep); err != nil {
			fmt.Fprintf(c.stderr, "eventspec certify: --out: %v\n", err)
			return exitFailure
		}
		fmt.Fprintf(c.stdout, "\nWrote %s and %s\n", filepath.Join(o.out, "report.json"), filepath.Join(o.out, "report.md"))
	}
	if !rep.OK() {
		return exitFailure
	}
	return exitOK
}

// writeReports writes report.json and report.md into dir.
func writeReports(dir string, rep conformance.Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, write := range map[string]func(io.Writer) error{
		"report.json": rep.WriteJSON,
		"report.md":   rep.WriteMarkdown,
	} {
		var b bytes.Buffer
		if err := write(&b); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// progress shows a line per finished case (verbose) or a character per
// case: "." passed, "F" failed, "s" skipped, 50 to a line.
type progress struct {
	w       io.Writer
	verbose bool
	n       int
}

func (p *progress) event(ev conformance.ProgressEvent) {
	if !ev.Finished {
		return
	}
	c := ev.Case
	if p.verbose {
		line := fmt.Sprintf("%-4s %s (%s)", map[conformance.Status]string{
			conformance.StatusPassed: "ok", conformance.StatusFailed: "FAIL", conformance.StatusSkipped: "skip",
		}[c.Status], c.Path(), c.Duration.Round(time.Microsecond))
		if c.Status == conformance.StatusSkipped && len(c.Messages) > 0 {
			line += ": " + c.Messages[0]
		}
		fmt.Fprintf(p.w, "[%d/%d] %s\n", ev.Index, ev.Total, line)
		return
	}
	mark := map[conformance.Status]string{conformance.StatusPassed: ".", conformance.StatusFailed: "F", conformance.StatusSkipped: "s"}[c.Status]
	fmt.Fprint(p.w, mark)
	if p.n++; p.n%50 == 0 {
		fmt.Fprintln(p.w)
	}
}

// end finishes the dots line.
func (p *progress) end() {
	if !p.verbose && p.n%50 != 0 {
		fmt.Fprintln(p.w)
	}
}
