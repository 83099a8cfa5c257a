package conformance

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/eventspec/eventspec/store"
)

// Status is the outcome of one case.
type Status string

// Case outcomes.
const (
	StatusPassed  Status = "passed"
	StatusFailed  Status = "failed"
	StatusSkipped Status = "skipped"
)

// CaseResult is the outcome of one case.
type CaseResult struct {
	Group string `json:"group"`
	Name  string `json:"name"`
	// Status is empty only in the ProgressEvent of a case that is starting.
	Status Status `json:"status"`
	// Requires lists the capabilities the case needs.
	Requires []store.Capability `json:"requires,omitempty"`
	// Duration is the case's time from creating its store to the end of
	// its cleanups.
	Duration time.Duration `json:"durationNs"`
	// Messages are what the case logged and reported, in order, each
	// prefixed with the file:line that reported it; a panic adds its value
	// and stack; a skip gives the reason.
	Messages []string `json:"messages,omitempty"`
}

// Path is "group/name".
func (c CaseResult) Path() string { return c.Group + "/" + c.Name }

// Totals counts outcomes and adds up case durations.
type Totals struct {
	Passed   int           `json:"passed"`
	Failed   int           `json:"failed"`
	Skipped  int           `json:"skipped"`
	Duration time.Duration `json:"durationNs"`
}

func (t *Totals) add(c CaseResult) {
	switch c.Status {
	case StatusPassed:
		t.Passed++
	case StatusFailed:
		t.Failed++
	case StatusSkipped:
		t.Skipped++
	}
	t.Duration += c.Duration
}

// GroupResult totals one group of cases.
type GroupResult struct {
	Group string `json:"group"`
	Totals
}

// Report is the outcome of a Certify run: the adapter, the capabilities it
// claims, and every case, with totals per group (in the order the groups'
// first cases ran) and overall.
type Report struct {
	Adapter      string             `json:"adapter"`
	Capabilities store.Capabilities `json:"capabilities"`
	// Filter is the case filter's regular expression ("" for every case).
	Filter    string    `json:"filter,omitempty"`
	StartedAt time.Time `json:"startedAt"`
	// Interrupted says why the run stopped early ("" when it did not).
	Interrupted string        `json:"interrupted,omitempty"`
	Totals      Totals        `json:"totals"`
	Groups      []GroupResult `json:"groups"`
	Cases       []CaseResult  `json:"cases"`
}

// summarize computes Totals and Groups from Cases.
func (r *Report) summarize() {
	r.Totals = Totals{}
	r.Groups = []GroupResult{}
	index := map[string]int{}
	for _, c := range r.Cases {
		i, ok := index[c.Group]
		if !ok {
			i = len(r.Groups)
			index[c.Group] = i
			r.Groups = append(r.Groups, GroupResult{Group: c.Group})
		}
		r.Groups[i].add(c)
		r.Totals.add(c)
	}
}

// OK reports whether the run certifies the adapter: it ran to the end and
// no case failed.
func (r Report) OK() bool { return r.Totals.Failed == 0 && r.Interrupted == "" }

// Failures lists the failed cases, in order.
func (r Report) Failures() []CaseResult {
	var out []CaseResult
	for _, c := range r.Cases {
		if c.Status == StatusFailed {
			out = append(out, c)
		}
	}
	return out
}

// WriteJSON writes the report as indented JSON. Durations are integer
// nanoseconds (the "durationNs" fields).
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// verdict is the one-line outcome, e.g. "PASS: 12 passed, 0 failed, 1 skipped in 1.2ms".
func (r Report) verdict() string {
	word := "PASS"
	if !r.OK() {
		word = "FAIL"
	}
	return fmt.Sprintf("%s: %d passed, %d failed, %d skipped in %s", word, r.Totals.Passed, r.Totals.Failed, r.Totals.Skipped, formatDuration(r.Totals.Duration))
}

// claims renders the claimed capabilities for humans.
func (r Report) claims(quote string) string {
	if len(r.Capabilities) == 0 {
		return "none"
	}
	parts := make([]string, len(r.Capabilities))
	for i, c := range r.Capabilities {
		parts[i] = quote + string(c) + quote
	}
	return strings.Join(parts, ", ")
}

// WriteTable writes a plain-text table per group — each case with its
// status, time and, for failed or skipped cases, the first line of its
// first message — then a summary table with a row per group.
func (r Report) WriteTable(w io.Writer) error {
	ew := &errWriter{w: w}
	ew.printf("Conformance of %s (claims: %s)\n", r.Adapter, r.claims(""))
	if r.Filter != "" {
		ew.printf("Cases matching %s\n", r.Filter)
	}
	for _, g := range r.Groups {
		ew.printf("\n%s: %d passed, %d failed, %d skipped (%s)\n", g.Group, g.Passed, g.Failed, g.Skipped, formatDuration(g.Duration))
		rows := []string{"  STATUS\tCASE\tTIME\tNOTE"}
		for _, c := range r.Cases {
			if c.Group == g.Group {
				rows = append(rows, fmt.Sprintf("  %s\t%s\t%s\t%s", tableStatus(c.Status), c.Name, formatDuration(c.Duration), note(c)))
			}
		}
		ew.printf("%s", aligned(rows))
	}
	rows := []string{"GROUP\tPASSED\tFAILED\tSKIPPED\tTIME"}
	for _, g := range r.Groups {
		rows = append(rows, fmt.Sprintf("%s\t%d\t%d\t%d\t%s", g.Group, g.Passed, g.Failed, g.Skipped, formatDuration(g.Duration)))
	}
	t := r.Totals
	rows = append(rows, fmt.Sprintf("TOTAL\t%d\t%d\t%d\t%s", t.Passed, t.Failed, t.Skipped, formatDuration(t.Duration)))
	ew.printf("\n%s", aligned(rows))
	if r.Interrupted != "" {
		ew.printf("\nINTERRUPTED: %s\n", r.Interrupted)
	}
	ew.printf("\n%s\n", r.verdict())
	return ew.err
}

// aligned lays out tab-separated rows in columns two spaces apart, without
// trailing spaces.
func aligned(rows []string) string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, r := range rows {
		fmt.Fprintln(tw, r)
	}
	tw.Flush() // writes to a strings.Builder cannot fail
	lines := strings.SplitAfter(b.String(), "\n")
	for i, l := range lines {
		if strings.HasSuffix(l, "\n") {
			lines[i] = strings.TrimRight(strings.TrimSuffix(l, "\n"), " ") + "\n"
		}
	}
	return strings.Join(lines, "")
}

func tableStatus(s Status) string {
	switch s {
	case StatusPassed:
		return "PASS"
	case StatusFailed:
		return "FAIL"
	case StatusSkipped:
		return "SKIP"
	}
	return string(s)
}

// note is the first line of a failed or skipped case's first message.
func note(c CaseResult) string {
	if c.Status == StatusPassed || len(c.Messages) == 0 {
		return ""
	}
	first, _, _ := strings.Cut(c.Messages[0], "\n")
	const max = 100
	if len(first) > max {
		first = first[:max] + "…"
	}
	return first
}

// WriteMarkdown writes the report as a Markdown document: the verdict, the
// adapter and its claims, a summary table per group, every failure with
// its messages, and a table of cases per group.
func (r Report) WriteMarkdown(w io.Writer) error {
	ew := &errWriter{w: w}
	ew.printf("# Conformance report: %s\n\n", mdEscape(r.Adapter))
	ew.printf("**%s**\n\n", r.verdict())
	ew.printf("- Adapter: `%s`\n", r.Adapter)
	ew.printf("- Claimed capabilities: %s\n", r.claims("`"))
	if r.Filter != "" {
		ew.printf("- Case filter: `%s`\n", r.Filter)
	}
	ew.printf("- Started: %s\n", r.StartedAt.UTC().Format(time.RFC3339Nano))
	if r.Interrupted != "" {
		ew.printf("- Interrupted: %s\n", mdEscape(r.Interrupted))
	}
	ew.printf("\n## Summary\n\n| Group | Passed | Failed | Skipped | Time |\n|---|---:|---:|---:|---:|\n")
	for _, g := range r.Groups {
		ew.printf("| %s | %d | %d | %d | %s |\n", mdEscape(g.Group), g.Passed, g.Failed, g.Skipped, formatDuration(g.Duration))
	}
	t := r.Totals
	ew.printf("| **Total** | **%d** | **%d** | **%d** | **%s** |\n", t.Passed, t.Failed, t.Skipped, formatDuration(t.Duration))
	if fs := r.Failures(); len(fs) > 0 {
		ew.printf("\n## Failures\n")
		for _, c := range fs {
			body := strings.Join(c.Messages, "\n")
			fence := "```"
			for strings.Contains(body, fence) {
				fence += "`"
			}
			ew.printf("\n### %s\n\n%stext\n%s\n%s\n", mdEscape(c.Path()), fence, body, fence)
		}
	}
	ew.printf("\n## Cases\n")
	for _, g := range r.Groups {
		ew.printf("\n### %s\n\n| Case | Status | Time | Note |\n|---|---|---:|---|\n", mdEscape(g.Group))
		for _, c := range r.Cases {
			if c.Group == g.Group {
				status := string(c.Status)
				if c.Status == StatusFailed {
					status = "**failed**"
				}
				ew.printf("| %s | %s | %s | %s |\n", mdEscape(c.Name), status, formatDuration(c.Duration), mdEscape(note(c)))
			}
		}
	}
	return ew.err
}

// mdEscape makes s safe inside a Markdown table cell or heading.
func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ", "*", `\*`, "_", `\_`, "`", "\\`", "<", "&lt;", ">", "&gt;").Replace(s)
}

// formatDuration rounds d for reading: to the microsecond below a second,
// to the millisecond above.
func formatDuration(d time.Duration) string {
	if d >= time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(time.Microsecond).String()
}

// errWriter remembers the first write error so the writers can report it once.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *errWriter) printf(format string, args ...any) { fmt.Fprintf(e, format, args...) }
