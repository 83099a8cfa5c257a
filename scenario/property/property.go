// Package property explores a decider with generated command sequences on
// pgregory.net/rapid:
//
//	func TestOrderProperties(t *testing.T) {
//		property.Check(t, property.Model[Order, Command, Event]{
//			Decider:    order.Decider,
//			Commands:   property.Always[Order](commandGen),
//			Invariants: order.Invariants,
//		})
//	}
//
// Each run draws a number of steps and, per step, a command (from a
// generator that may depend on the current state), decides it on the state
// carried along, records the outcome's events and then checks:
//
//   - everything a scenario checks (package scenario): Decide does not
//     mutate its state, Evolve does not mutate its input, deciding twice on
//     the folded history gives the same outcome, folding history + new
//     events equals evolving the state the decision saw, nothing panics;
//   - replay equivalence: the state carried along equals the fold of every
//     event recorded so far;
//   - deciding on the carried state and on the folded history give the same
//     outcome;
//   - the user's invariants hold after the step (every violation is listed);
//   - the user's per-step Check, if any, passes.
//
// A failing run is shrunk by rapid and reported as a minimal Gherkin
// scenario: the recorded events before the failing command as "Given the
// events:", the failing command as "When I decide to …", and the broken
// expectation as "Then …" with details in comments.
package property

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/platform/decider"
	"github.com/eventspec/eventspec/platform/invariant"
	"github.com/eventspec/eventspec/scenario"
	"github.com/eventspec/eventspec/scenario/internal/clone"
	"github.com/eventspec/eventspec/scenario/internal/report"
	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// Default bounds on the number of commands per run.
const (
	DefaultMinSteps = 1
	DefaultMaxSteps = 30
)

// Model is what to explore.
type Model[S, C, E any] struct {
	// Decider is the decider under test. Required.
	Decider decider.Decider[S, C, E]
	// Commands returns the generator of the next command given the current
	// state. Required; wrap a state-independent generator with Always.
	Commands func(state S) *rapid.Generator[C]
	// Invariants must hold after every step.
	Invariants invariant.Set[S]
	// Check, optional, inspects every step and returns an error for a
	// broken postcondition (for example "a rejection never changes the
	// state").
	Check func(step Step[S, C, E]) error
	// MinSteps and MaxSteps bound the commands per run (defaults 1 and 30).
	MinSteps, MaxSteps int
	// Context returns the decision context of step i (0-based). The
	// default is DefaultContext.
	Context func(i int) decider.Context
	// Codec, optional, names events and renders their data in the Gherkin
	// counterexample; without it the Go type name and JSON are used.
	Codec decider.Codec[E]
	// CmpOptions are added to every comparison (see scenario.WithCmpOptions).
	CmpOptions []cmp.Option
}

// Step is one explored command, as the per-step Check sees it.
type Step[S, C, E any] struct {
	// Index is the step's position, 0-based.
	Index int
	// History holds the events recorded before the step.
	History []E
	// Before is the state the command was decided on.
	Before S
	// Command is the command decided.
	Command C
	// Outcome is the decision.
	Outcome decider.Outcome[E]
	// After is the state after the outcome's events.
	After S
}

// Always turns a state-independent command generator into a Model's
// Commands function.
func Always[S, C any](g *rapid.Generator[C]) func(S) *rapid.Generator[C] {
	return func(S) *rapid.Generator[C] { return g }
}

// DefaultContext is the default decision context of step i: the virtual
// clock's start plus i minutes, command id "cmd_<i+1>" (zero-padded to four
// digits) and correlation id "corr_property".
func DefaultContext(i int) decider.Context {
	return decider.Context{
		Now:           es.DefaultVirtualStart.Add(time.Duration(i) * time.Minute),
		CommandID:     fmt.Sprintf("cmd_%04d", i+1),
		CorrelationID: "corr_property",
	}
}

// Check runs the property with rapid.Check: many random runs, shrinking
// the first failure to a minimal one. t is usually a *testing.T.
func Check[S, C, E any](t rapid.TB, m Model[S, C, E]) {
	t.Helper()
	rapid.Check(t, func(rt *rapid.T) { Run(rt, m) })
}

// Run explores one generated command sequence; call it inside your own
// rapid property to combine it with other draws. It fails t (Fatalf) with
// a Gherkin counterexample when a check breaks.
func Run[S, C, E any](t *rapid.T, m Model[S, C, E]) {
	t.Helper()
	if err := m.validate(); err != nil {
		t.Fatalf("property model: %v", err)
	}
	ctxOf := m.Context
	if ctxOf == nil {
		ctxOf = DefaultContext
	}
	lo, hi := m.MinSteps, m.MaxSteps
	if hi == 0 {
		hi = DefaultMaxSteps
	}
	if lo == 0 {
		lo = min(DefaultMinSteps, hi)
	}
	opts := report.Options(m.CmpOptions...)
	base := scenario.Decider(m.Decider, scenario.WithCmpOptions(m.CmpOptions...))

	var carried S
	if err := report.Guard("Initial", func() { carried = m.Decider.Initial() }); err != nil {
		t.Fatalf("%v", err)
	}
	var history []E
	steps := rapid.IntRange(lo, hi).Draw(t, "steps")
	for i := range steps {
		var gen *rapid.Generator[C]
		if err := report.Guard("Commands", func() { gen = m.Commands(clone.Of(carried)) }); err != nil || gen == nil {
			t.Fatalf("property model: Commands returned no generator for state %s: %v", report.Value(carried), err)
		}
		cmd := gen.Draw(t, fmt.Sprintf("command #%d", i+1))
		ctx := ctxOf(i)
		fail := func(then string, details ...string) {
			t.Helper()
			t.Fatalf("%s", m.gherkin(history, cmd, then, details))
		}

		dc := base.WithContext(ctx).Given(history...).When(cmd)
		if err := dc.Err(); err != nil {
			var f *scenario.Failure
			details := err.Error()
			if errors.As(err, &f) {
				details = f.Details
			}
			fail("the decider should pass its integrity checks", details, "outcome: "+outcomeLine(dc.Outcome()))
		}
		out := dc.Outcome()

		// Deciding on the carried state must agree with deciding on the fold.
		before := clone.Of(carried)
		var onCarried decider.Outcome[E]
		if err := report.Guard("Decide", func() { onCarried = m.Decider.Decide(clone.Of(carried), clone.Of(cmd), ctx) }); err != nil {
			fail("deciding on the carried state should not panic", err.Error())
		}
		if eq, _ := report.Equal(out, onCarried, opts); !eq {
			fail("deciding on the carried state should give the same outcome as on the replayed events",
				append([]string{"replayed → carried:"}, report.Paths(out, onCarried, opts)...)...)
		}

		newEvents := dc.Events()
		for _, e := range newEvents {
			if err := report.Guard("Evolve", func() { carried = m.Decider.Evolve(carried, e) }); err != nil {
				fail("evolving the carried state should not panic", err.Error())
			}
		}
		replayed := dc.StateAfter()
		if eq, _ := report.Equal(replayed, carried, opts); !eq {
			fail("the state replayed from all events should equal the state carried along",
				append([]string{"replayed → carried:"}, report.Paths(replayed, carried, opts)...)...)
		}

		if res := m.Invariants.ValidateAll(carried); !res.Valid {
			var details []string
			var names []string
			for _, v := range res.Violations {
				names = append(names, fmt.Sprintf("%q", v.Name))
				line := fmt.Sprintf("violated %s (%s): %s", v.Name, v.Code, v.Message)
				if v.Context != nil {
					line += " " + report.Value(v.Context)
				}
				details = append(details, line)
			}
			details = append(details, "outcome: "+outcomeLine(out), "state after: "+report.Value(carried))
			fail("the invariants "+strings.Join(names, ", ")+" should hold", details...)
		}

		if m.Check != nil {
			step := Step[S, C, E]{Index: i, History: append([]E(nil), history...), Before: before, Command: cmd, Outcome: out, After: clone.Of(carried)}
			var err error
			if perr := report.Guard("Check", func() { err = m.Check(step) }); perr != nil {
				err = perr
			}
			if err != nil {
				fail("the step check should pass", err.Error(), "outcome: "+outcomeLine(out), "state after: "+report.Value(carried))
			}
		}
		history = append(history, newEvents...)
	}
}

func (m Model[S, C, E]) validate() error {
	var missing []string
	if m.Decider.Initial == nil {
		missing = append(missing, "Decider.Initial")
	}
	if m.Decider.Decide == nil {
		missing = append(missing, "Decider.Decide")
	}
	if m.Decider.Evolve == nil {
		missing = append(missing, "Decider.Evolve")
	}
	if m.Commands == nil {
		missing = append(missing, "Commands")
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing %s", strings.Join(missing, ", "))
	}
	if m.MinSteps < 0 || m.MaxSteps < 0 || (m.MaxSteps > 0 && m.MinSteps > m.MaxSteps) {
		return fmt.Errorf("steps bounds [%d, %d] are invalid", m.MinSteps, m.MaxSteps)
	}
	return nil
}

func outcomeLine[E any](o decider.Outcome[E]) string {
	switch o.Status {
	case decider.StatusRejected:
		return fmt.Sprintf("rejected: code %s, message %q", o.Code, o.Message)
	case decider.StatusFailed:
		return fmt.Sprintf("failed: reason %q, event %s", o.Reason, report.Value(o.Events))
	case decider.StatusSuccess:
		parts := make([]string, len(o.Events))
		for i, e := range o.Events {
			parts[i] = report.Value(e)
		}
		return fmt.Sprintf("success with %d event(s) [%s]", len(o.Events), strings.Join(parts, ", "))
	}
	return fmt.Sprintf("status %q", o.Status)
}

// gherkin renders the counterexample in the step vocabulary of package
// steps: a horizontal "Given the events:" table (a type column, then one
// column per top-level data field), "When I decide to <Command> with:" and
// a vertical field | value table, then the broken expectation.
func (m Model[S, C, E]) gherkin(history []E, cmd C, then string, details []string) string {
	name := m.Decider.Name
	if name == "" {
		name = "decider"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "property of the %s decider failed; minimal counterexample:\n\n", name)
	fmt.Fprintf(&b, "  Scenario: counterexample found by rapid\n")
	if len(history) == 0 {
		b.WriteString("    Given no events\n")
	} else {
		b.WriteString("    Given the events:\n")
		b.WriteString(gherkinTable(m.eventRows(history), "      "))
	}
	cmdName, fields := dataFields(cmd)
	if len(fields) == 0 {
		fmt.Fprintf(&b, "    When I decide to %s\n", cmdName)
	} else {
		rows := [][]string{{"field", "value"}}
		for _, f := range fields {
			rows = append(rows, []string{f.name, f.value})
		}
		fmt.Fprintf(&b, "    When I decide to %s with:\n", cmdName)
		b.WriteString(gherkinTable(rows, "      "))
	}
	fmt.Fprintf(&b, "    Then %s\n", then)
	for _, d := range details {
		for _, line := range strings.Split(strings.TrimRight(d, "\n"), "\n") {
			b.WriteString("    # " + strings.TrimLeft(line, " ") + "\n")
		}
	}
	return b.String()
}

// eventRows renders events as a horizontal table: "type" then the union of
// their top-level fields in order of first appearance (empty cells where
// an event lacks a field). Events whose data is not a JSON object fall
// back to a "type | data" table of raw JSON.
func (m Model[S, C, E]) eventRows(events []E) [][]string {
	type row struct {
		typ    string
		raw    string
		fields []field
		object bool
	}
	rows := make([]row, len(events))
	allObjects := true
	for i, e := range events {
		typ, raw := m.eventText(e)
		fields, ok := objectFields(raw)
		rows[i] = row{typ: typ, raw: raw, fields: fields, object: ok}
		allObjects = allObjects && ok
	}
	if !allObjects {
		out := [][]string{{"type", "data"}}
		for _, r := range rows {
			out = append(out, []string{r.typ, r.raw})
		}
		return out
	}
	var cols []string
	index := map[string]int{}
	for _, r := range rows {
		for _, f := range r.fields {
			if _, ok := index[f.name]; !ok {
				index[f.name] = len(cols)
				cols = append(cols, f.name)
			}
		}
	}
	out := [][]string{append([]string{"type"}, cols...)}
	for _, r := range rows {
		cells := make([]string, len(cols)+1)
		cells[0] = r.typ
		for _, f := range r.fields {
			cells[index[f.name]+1] = f.value
		}
		out = append(out, cells)
	}
	return out
}

// eventText names an event and renders its data as JSON.
func (m Model[S, C, E]) eventText(e E) (string, string) {
	if m.Codec != nil {
		if ev, err := m.Codec.Encode(e); err == nil {
			return ev.Type, string(ev.Data)
		}
	}
	raw, err := json.Marshal(e)
	if err != nil {
		raw = []byte(fmt.Sprintf("%+v", e))
	}
	return decider.TypeName(e), string(raw)
}

type field struct{ name, value string }

// dataFields names a value by its Go type and lists its top-level JSON
// fields; a value that is not a JSON object becomes one "value" field.
func dataFields(v any) (string, []field) {
	name := decider.TypeName(v)
	raw, err := json.Marshal(v)
	if err != nil {
		return name, []field{{"value", fmt.Sprintf("%+v", v)}}
	}
	fields, ok := objectFields(string(raw))
	if !ok {
		return name, []field{{"value", string(raw)}}
	}
	return name, fields
}

// objectFields lists the top-level fields of a JSON object in order,
// string values unquoted and other values as JSON. ok is false when raw is
// not an object.
func objectFields(raw string) (fields []field, ok bool) {
	dec := json.NewDecoder(strings.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, false
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return nil, false
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, false
		}
		val := string(v)
		var s string
		if json.Unmarshal(v, &s) == nil {
			val = s
		}
		fields = append(fields, field{fmt.Sprint(k), val})
	}
	return fields, true
}

// gherkinTable renders rows as an aligned Gherkin data table, escaping
// pipes and backslashes in cells.
func gherkinTable(rows [][]string, prefix string) string {
	widths := map[int]int{}
	esc := make([][]string, len(rows))
	for r, row := range rows {
		esc[r] = make([]string, len(row))
		for i, c := range row {
			c = strings.NewReplacer(`\`, `\\`, `|`, `\|`, "\n", `\n`).Replace(c)
			esc[r][i] = c
			widths[i] = max(widths[i], len([]rune(c)))
		}
	}
	var b strings.Builder
	for _, row := range esc {
		b.WriteString(prefix + "|")
		for i, c := range row {
			b.WriteString(" " + c + strings.Repeat(" ", widths[i]-len([]rune(c))) + " |")
		}
		b.WriteString("\n")
	}
	return b.String()
}
