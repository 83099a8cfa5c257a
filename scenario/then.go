package scenario

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/eventspec/eventspec/platform/decider"
	"github.com/eventspec/eventspec/scenario/internal/report"
)

// Then asserts that the decision succeeded with exactly events, in order
// (no events means a success that records nothing). It reports to t and
// returns dc for further assertions.
func (dc *Decision[S, C, E]) Then(t T, events ...E) *Decision[S, C, E] {
	t.Helper()
	return dc.then(t, "Then events", dc.eventsMismatch(exact, events))
}

// ThenUnordered is Then with the order of events ignored (the same
// events, as a multiset). Use it only where order does not matter.
func (dc *Decision[S, C, E]) ThenUnordered(t T, events ...E) *Decision[S, C, E] {
	t.Helper()
	return dc.then(t, "Then events (unordered)", dc.eventsMismatch(unordered, events))
}

// ThenContains asserts that the decision succeeded and recorded at least
// events, in any order, possibly among others.
func (dc *Decision[S, C, E]) ThenContains(t T, events ...E) *Decision[S, C, E] {
	t.Helper()
	return dc.then(t, "Then events contain", dc.eventsMismatch(contains, events))
}

// ThenRejected asserts that the decision was rejected with code.
func (dc *Decision[S, C, E]) ThenRejected(t T, code string) *Decision[S, C, E] {
	t.Helper()
	return dc.then(t, "Then rejected", dc.rejectedMismatch(code))
}

// ThenFailed asserts that the decision was a business failure with
// exactly reason; when a failure event is given, the recorded failure
// event must equal it.
func (dc *Decision[S, C, E]) ThenFailed(t T, reason string, event ...E) *Decision[S, C, E] {
	t.Helper()
	return dc.then(t, "Then failed", dc.failedMismatch(reason, event))
}

// ThenState asserts the state after the decision's events (the fold of
// the given and the new events).
func (dc *Decision[S, C, E]) ThenState(t T, state S) *Decision[S, C, E] {
	t.Helper()
	return dc.then(t, "Then state", dc.stateMismatch(state))
}

// ThenNothing asserts that the decision succeeded without recording any
// event (an accepted no-op; a rejection is not "nothing").
func (dc *Decision[S, C, E]) ThenNothing(t T) *Decision[S, C, E] {
	t.Helper()
	return dc.then(t, "Then nothing", dc.eventsMismatch(exact, nil))
}

// ThenStatus asserts only the outcome's status.
func (dc *Decision[S, C, E]) ThenStatus(t T, status decider.Status) *Decision[S, C, E] {
	t.Helper()
	return dc.then(t, "Then status", dc.statusMismatch(status))
}

// ThenData asserts that the decision succeeded and returned data.
func (dc *Decision[S, C, E]) ThenData(t T, data any) *Decision[S, C, E] {
	t.Helper()
	return dc.then(t, "Then data", dc.dataMismatch(data))
}

// CheckEvents is Then returning an error instead of reporting to a T.
func (dc *Decision[S, C, E]) CheckEvents(events ...E) error {
	return dc.check("Then events", dc.eventsMismatch(exact, events))
}

// CheckEventsUnordered is ThenUnordered returning an error.
func (dc *Decision[S, C, E]) CheckEventsUnordered(events ...E) error {
	return dc.check("Then events (unordered)", dc.eventsMismatch(unordered, events))
}

// CheckEventsContain is ThenContains returning an error.
func (dc *Decision[S, C, E]) CheckEventsContain(events ...E) error {
	return dc.check("Then events contain", dc.eventsMismatch(contains, events))
}

// CheckRejected is ThenRejected returning an error.
func (dc *Decision[S, C, E]) CheckRejected(code string) error {
	return dc.check("Then rejected", dc.rejectedMismatch(code))
}

// CheckFailed is ThenFailed returning an error.
func (dc *Decision[S, C, E]) CheckFailed(reason string, event ...E) error {
	return dc.check("Then failed", dc.failedMismatch(reason, event))
}

// CheckState is ThenState returning an error.
func (dc *Decision[S, C, E]) CheckState(state S) error {
	return dc.check("Then state", dc.stateMismatch(state))
}

// CheckNothing is ThenNothing returning an error.
func (dc *Decision[S, C, E]) CheckNothing() error {
	return dc.check("Then nothing", dc.eventsMismatch(exact, nil))
}

// CheckStatus is ThenStatus returning an error.
func (dc *Decision[S, C, E]) CheckStatus(status decider.Status) error {
	return dc.check("Then status", dc.statusMismatch(status))
}

// CheckData is ThenData returning an error.
func (dc *Decision[S, C, E]) CheckData(data any) error {
	return dc.check("Then data", dc.dataMismatch(data))
}

// check turns a mismatch (empty when the expectation held) plus the
// integrity problems into an error.
func (dc *Decision[S, C, E]) check(what, mismatch string) error {
	return dc.result(what, mismatch, true)
}

func (dc *Decision[S, C, E]) result(what, mismatch string, withIntegrity bool) error {
	hasIntegrity := withIntegrity && len(dc.integrity) > 0
	switch {
	case mismatch != "":
		return dc.failure(what, mismatch, withIntegrity)
	case hasIntegrity:
		return dc.failure(what, "the expectation held, but the decider's integrity checks failed:\n"+indent(dc.integrity), false)
	}
	return nil
}

// then reports to t; integrity problems are reported once per decision.
func (dc *Decision[S, C, E]) then(t T, what, mismatch string) *Decision[S, C, E] {
	t.Helper()
	first := !dc.reported
	if err := dc.result(what, mismatch, first); err != nil {
		if first && len(dc.integrity) > 0 {
			dc.reported = true
		}
		t.Errorf("%v", err)
	}
	return dc
}

type matchMode int

const (
	exact matchMode = iota
	unordered
	contains
)

func (m matchMode) String() string {
	switch m {
	case unordered:
		return "same events in any order"
	case contains:
		return "at least these events, in any order"
	}
	return "exactly these events, in this order"
}

// eventsMismatch compares the decision's events with want under mode and
// describes the difference ("" when they match and the decision
// succeeded).
func (dc *Decision[S, C, E]) eventsMismatch(mode matchMode, want []E) string {
	got := dc.emitted()
	var b strings.Builder
	if !dc.decided || !dc.out.IsSuccess() {
		fmt.Fprintf(&b, "expected success with %s (%d), got %s\n", mode, len(want), dc.outcomeLine())
		b.WriteString(dc.eventTable(want, got))
		return b.String()
	}
	switch mode {
	case exact:
		if len(want) == 0 && len(got) == 0 {
			return ""
		}
		if eq, err := report.Equal(want, got, dc.sc.opts); err != nil {
			return err.Error()
		} else if eq {
			return ""
		}
		fmt.Fprintf(&b, "expected %s: %d event(s), got %d\n", mode, len(want), len(got))
		b.WriteString(dc.eventTable(want, got))
		b.WriteString("field-path diff (expected → actual):\n")
		b.WriteString(indent(report.EventPaths(want, got, dc.sc.opts)))
		return b.String()
	}
	return dc.multisetMismatch(mode, want, got)
}

// multisetMismatch matches want against got ignoring order.
func (dc *Decision[S, C, E]) multisetMismatch(mode matchMode, want, got []E) string {
	used := make([]bool, len(got))
	pair := make([]int, len(want))
	var missing []int
	for i, w := range want {
		pair[i] = -1
		for j, g := range got {
			if used[j] {
				continue
			}
			if eq, _ := report.Equal(w, g, dc.sc.opts); eq {
				used[j], pair[i] = true, j
				break
			}
		}
		if pair[i] < 0 {
			missing = append(missing, i)
		}
	}
	var extra []int
	for j := range got {
		if !used[j] {
			extra = append(extra, j)
		}
	}
	if len(missing) == 0 && (mode == contains || len(extra) == 0) {
		return ""
	}
	var rows [][]string
	var marks []bool
	for i, w := range want {
		if pair[i] >= 0 {
			rows = append(rows, []string{strconv.Itoa(i+1) + "↔" + strconv.Itoa(pair[i]+1), report.Value(w), report.Value(got[pair[i]])})
			marks = append(marks, false)
		} else {
			rows = append(rows, []string{strconv.Itoa(i+1) + "↔-", report.Value(w), "(missing)"})
			marks = append(marks, true)
		}
	}
	for _, j := range extra {
		rows = append(rows, []string{"-↔" + strconv.Itoa(j+1), "(not expected)", report.Value(got[j])})
		marks = append(marks, mode != contains)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "expected %s: %d event(s), got %d; %d expected event(s) not found", mode, len(want), len(got), len(missing))
	if mode == unordered {
		fmt.Fprintf(&b, ", %d unexpected", len(extra))
	}
	b.WriteString("\n")
	b.WriteString(report.Table([]string{"#", "expected", "actual"}, rows, marks))
	if pairs := pairUnmatched(want, got, missing, extra); len(pairs) > 0 {
		b.WriteString("field-path diff of unmatched events, paired by type then order (expected → actual):\n")
		for _, p := range pairs {
			fmt.Fprintf(&b, "    expected #%d vs actual #%d:\n", p[0]+1, p[1]+1)
			b.WriteString(indent(indentLines(report.Paths(want[p[0]], got[p[1]], dc.sc.opts))))
		}
	}
	return b.String()
}

// pairUnmatched pairs each unmatched expected event with an unmatched
// actual one for a field diff: the first of the same Go type, else the
// first left.
func pairUnmatched[E any](want, got []E, missing, extra []int) [][2]int {
	used := map[int]bool{}
	var pairs [][2]int
	for _, i := range missing {
		pick := -1
		for _, j := range extra {
			if !used[j] && reflect.TypeOf(any(want[i])) == reflect.TypeOf(any(got[j])) {
				pick = j
				break
			}
		}
		if pick < 0 {
			for _, j := range extra {
				if !used[j] {
					pick = j
					break
				}
			}
		}
		if pick < 0 {
			break
		}
		used[pick] = true
		pairs = append(pairs, [2]int{i, pick})
	}
	return pairs
}

func indentLines(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = "  " + l
	}
	return out
}

// eventTable renders want and got side by side, marking rows that differ.
func (dc *Decision[S, C, E]) eventTable(want, got []E) string {
	n := max(len(want), len(got))
	if n == 0 {
		return "  (no events expected, none recorded)\n"
	}
	rows := make([][]string, n)
	marks := make([]bool, n)
	for i := range n {
		w, g := "(none)", "(none)"
		switch {
		case i < len(want) && i < len(got):
			w, g = report.Value(want[i]), report.Value(got[i])
			eq, _ := report.Equal(want[i], got[i], dc.sc.opts)
			marks[i] = !eq
		case i < len(want):
			w, marks[i] = report.Value(want[i]), true
		default:
			g, marks[i] = report.Value(got[i]), true
		}
		rows[i] = []string{strconv.Itoa(i + 1), w, g}
	}
	return report.Table([]string{"#", "expected", "actual"}, rows, marks)
}

func (dc *Decision[S, C, E]) rejectedMismatch(code string) string {
	o := dc.out
	switch {
	case !dc.decided || !o.IsRejected():
		s := fmt.Sprintf("expected rejected with code %s, got %s\n", code, dc.outcomeLine())
		if got := dc.emitted(); len(got) > 0 {
			s += dc.eventTable(nil, got)
		}
		return s
	case o.Code != code:
		return fmt.Sprintf("expected rejection code %s, got %s (message %q)\n", code, o.Code, o.Message)
	}
	return ""
}

func (dc *Decision[S, C, E]) failedMismatch(reason string, event []E) string {
	o := dc.out
	switch {
	case !dc.decided || !o.IsFailed():
		return fmt.Sprintf("expected failed with reason %q, got %s\n", reason, dc.outcomeLine()) + dc.eventTable(event, dc.emitted())
	case o.Reason != reason:
		return fmt.Sprintf("expected failure reason %q, got %q\n", reason, o.Reason)
	case len(event) == 0:
		return ""
	}
	if eq, _ := report.Equal(event, o.Events, dc.sc.opts); eq {
		return ""
	}
	return "the failure event differs\n" + dc.eventTable(event, o.Events) +
		"field-path diff (expected → actual):\n" + indent(report.EventPaths(event, o.Events, dc.sc.opts))
}

func (dc *Decision[S, C, E]) stateMismatch(want S) string {
	if eq, err := report.Equal(want, dc.after, dc.sc.opts); err != nil {
		return err.Error()
	} else if eq {
		return ""
	}
	return fmt.Sprintf("the state after the decision differs\n    expected %s\n    actual   %s\nfield-path diff (expected → actual):\n%s",
		report.Value(want), report.Value(dc.after), indent(report.Paths(want, dc.after, dc.sc.opts)))
}

func (dc *Decision[S, C, E]) statusMismatch(status decider.Status) string {
	if dc.decided && dc.out.Status == status {
		return ""
	}
	return fmt.Sprintf("expected status %s, got %s\n", status, dc.outcomeLine())
}

func (dc *Decision[S, C, E]) dataMismatch(want any) string {
	if !dc.decided || !dc.out.IsSuccess() {
		return fmt.Sprintf("expected success with data %s, got %s\n", report.Value(want), dc.outcomeLine())
	}
	if eq, err := report.Equal(want, dc.out.Data, dc.sc.opts); err != nil {
		return err.Error()
	} else if eq {
		return ""
	}
	return fmt.Sprintf("the success data differs\n    expected %s\n    actual   %s\nfield-path diff (expected → actual):\n%s",
		report.Value(want), report.Value(dc.out.Data), indent(report.Paths(want, dc.out.Data, dc.sc.opts)))
}
