package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/store"
)

// ReadLog reads the whole global log, page by page, each page in its own
// unit of work. It fails when a page does not continue where the previous
// one stopped.
func ReadLog(ctx context.Context, s store.Store) ([]es.Recorded, error) {
	var all []es.Recorded
	after := es.Position(0)
	for {
		page, err := store.ReadAll(ctx, s, store.LogRead{After: after, Limit: store.MaxLogLimit})
		if err != nil {
			return all, err
		}
		for _, e := range page.Events {
			if e.Position <= after {
				return all, fmt.Errorf("ReadAll after %d returned position %d, which is not after the cursor", after, e.Position)
			}
		}
		all = append(all, page.Events...)
		if len(page.Events) == 0 {
			if page.HasMore {
				return all, fmt.Errorf("ReadAll after %d returned an empty page with HasMore", after)
			}
			return all, nil
		}
		if last := page.Events[len(page.Events)-1].Position; page.Next != last {
			return all, fmt.Errorf("ReadAll after %d: Next is %d, want the last event's position %d", after, page.Next, last)
		}
		if !page.HasMore {
			return all, nil
		}
		after = page.Next
	}
}

// ObservedAppend is one append a workload attempted, and what the store
// answered.
type ObservedAppend struct {
	Request es.AppendRequest
	Result  es.AppendResult
	Err     error
}

// ObservedLogRead is one ReadAll a workload made and the page it got.
type ObservedLogRead struct {
	Opts store.LogRead
	Page store.LogPage
}

// ObservedQueryRead is one DCB read a workload made and its result.
type ObservedQueryRead struct {
	Query  es.Query
	Opts   store.QueryRead
	Result store.QueryResult
}

// Observations is what a workload saw: every append attempt and read, in
// any order.
type Observations struct {
	Appends    []ObservedAppend
	LogReads   []ObservedLogRead
	QueryReads []ObservedQueryRead
}

// Oracle collects the observations of concurrent workers and checks them
// against the log once they are done. It is safe for concurrent use. An
// adapter author can drive their own workloads through it:
//
//	var o conformance.Oracle
//	res, err := store.Append(ctx, s, req)
//	o.Append(req, res, err)
//	...
//	if err := o.Check(ctx, s, conformance.CheckOptions{}); err != nil { t.Fatal(err) }
type Oracle struct {
	mu  sync.Mutex
	obs Observations
}

// Append records one append attempt and its outcome.
func (o *Oracle) Append(req es.AppendRequest, res es.AppendResult, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.obs.Appends = append(o.obs.Appends, ObservedAppend{Request: req, Result: res, Err: err})
}

// LogRead records a successful ReadAll.
func (o *Oracle) LogRead(opts store.LogRead, page store.LogPage) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.obs.LogReads = append(o.obs.LogReads, ObservedLogRead{Opts: opts, Page: page})
}

// QueryRead records a successful DCB read.
func (o *Oracle) QueryRead(q es.Query, opts store.QueryRead, res store.QueryResult) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.obs.QueryReads = append(o.obs.QueryReads, ObservedQueryRead{Query: q, Opts: opts, Result: res})
}

// Observations returns a copy of what was recorded so far.
func (o *Oracle) Observations() Observations {
	o.mu.Lock()
	defer o.mu.Unlock()
	return Observations{
		Appends:    slices.Clone(o.obs.Appends),
		LogReads:   slices.Clone(o.obs.LogReads),
		QueryReads: slices.Clone(o.obs.QueryReads),
	}
}

// Check re-reads the whole log of s and checks the observations against it
// with CheckLog.
func (o *Oracle) Check(ctx context.Context, s store.Store, opts CheckOptions) error {
	log, err := ReadLog(ctx, s)
	if err != nil {
		return fmt.Errorf("oracle: reading the log: %w", err)
	}
	return CheckLog(log, o.Observations(), opts)
}

// CheckOptions tunes CheckLog.
type CheckOptions struct {
	// Gapless requires positions 1, 2, 3, … (set it when the adapter claims
	// store.GaplessPositions).
	Gapless bool
	// MaxViolations caps the violations reported (0: 20).
	MaxViolations int
}

// CheckLog checks a whole log, read after a workload finished, against
// what the workload observed. It returns nil or an error listing every
// violation found (up to opts.MaxViolations):
//
//   - positions are positive and strictly increasing (1, 2, 3, … with
//     opts.Gapless); event ids are unique; every stream's versions are 1..n
//     in position order;
//   - every successful append that was not a duplicate wrote exactly its
//     events, at the positions and with the ids and versions it returned,
//     and satisfied its expected version;
//   - no successful conditional append has an event matching its
//     condition after the condition's After (anywhere when absent) and
//     before its first position — a missed conflict;
//   - every idempotency key was written at most once, and every duplicate
//     result repeats that write's result;
//   - a failed append wrote none of its events that carry an explicit
//     event id;
//   - every ReadAll page holds exactly the log's events between its After
//     and its Next (through its Head when it is the last page): a tail
//     reader skipped nothing that committed later;
//   - every complete DCB read holds exactly the log's matching events
//     between its After and its Head, and a limited one every matching
//     event between its bounds: the Head came from the read's snapshot.
func CheckLog(log []es.Recorded, obs Observations, opts CheckOptions) error {
	max := opts.MaxViolations
	if max <= 0 {
		max = 20
	}
	var errs []error
	violate := func(format string, args ...any) {
		if len(errs) < max {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}

	byPos := make(map[es.Position]int, len(log))
	byID := make(map[string]int, len(log))
	lastVersion := map[es.StreamID]es.Version{}
	for i, e := range log {
		if e.Position <= 0 {
			violate("log[%d]: position %d is not positive", i, e.Position)
		}
		if i > 0 && e.Position <= log[i-1].Position {
			violate("log[%d]: position %d does not exceed the previous position %d", i, e.Position, log[i-1].Position)
		}
		if opts.Gapless && e.Position != es.Position(i+1) {
			violate("log[%d]: position %d, want %d (gapless positions claimed)", i, e.Position, i+1)
		}
		byPos[e.Position] = i
		if j, dup := byID[e.Metadata.EventID]; dup {
			violate("event id %q appears at positions %d and %d", e.Metadata.EventID, log[j].Position, e.Position)
		}
		byID[e.Metadata.EventID] = i
		if e.StreamID != "" {
			if want := lastVersion[e.StreamID] + 1; e.StreamVersion != want {
				violate("position %d: stream %q version %d, want %d (versions must run 1..n in position order)", e.Position, e.StreamID, e.StreamVersion, want)
			}
			lastVersion[e.StreamID] = e.StreamVersion
		} else if e.StreamVersion != 0 {
			violate("position %d: event without a stream has stream version %d", e.Position, e.StreamVersion)
		}
	}

	written := map[string]es.AppendResult{} // idempotency key -> the one write
	for _, a := range obs.Appends {
		if a.Err != nil || a.Result.Duplicate || a.Request.Idempotency == nil {
			continue
		}
		k := a.Request.Idempotency.Key
		if prev, ok := written[k]; ok {
			violate("idempotency key %q was written twice: positions %v and %v", k, prev.Positions, a.Result.Positions)
			continue
		}
		written[k] = a.Result
	}

	for n, a := range obs.Appends {
		req, res := a.Request, a.Result
		what := fmt.Sprintf("append #%d (%s)", n, describeRequest(req))
		if a.Err != nil {
			for i, e := range req.Events {
				if id := e.Metadata.EventID; id != "" {
					if j, ok := byID[id]; ok {
						violate("%s failed (%v) but its event %d (id %q) is in the log at position %d", what, a.Err, i, id, log[j].Position)
					}
				}
			}
			continue
		}
		if res.Duplicate {
			if req.Idempotency == nil {
				violate("%s: result is a duplicate but the request has no idempotency key", what)
				continue
			}
			w, ok := written[req.Idempotency.Key]
			if !ok {
				continue // the first write may predate the workload
			}
			if !slices.Equal(w.EventIDs, res.EventIDs) || !slices.Equal(w.Positions, res.Positions) || w.Version != res.Version || w.Stream != res.Stream {
				violate("%s: duplicate result %+v differs from the write it repeats %+v", what, res, w)
			}
			continue
		}
		checkWrite(log, byPos, req, res, what, violate)
	}

	for n, r := range obs.LogReads {
		checkLogRead(log, r, n, violate)
	}
	for n, r := range obs.QueryReads {
		checkQueryRead(log, r, n, violate)
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("oracle found %d violation(s) (capped at %d):\n%w", len(errs), max, errors.Join(errs...))
}

// checkWrite checks one successful, non-duplicate append against the log.
func checkWrite(log []es.Recorded, byPos map[es.Position]int, req es.AppendRequest, res es.AppendResult, what string, violate func(string, ...any)) {
	if len(res.Positions) != len(req.Events) || len(res.EventIDs) != len(req.Events) {
		violate("%s: %d events but %d positions and %d ids returned", what, len(req.Events), len(res.Positions), len(res.EventIDs))
		return
	}
	if res.Stream != req.Stream {
		violate("%s: result names stream %q, want %q", what, res.Stream, req.Stream)
	}
	for i, p := range res.Positions {
		if i > 0 && p <= res.Positions[i-1] {
			violate("%s: returned positions %v are not strictly increasing", what, res.Positions)
			return
		}
	}
	for i, p := range res.Positions {
		j, ok := byPos[p]
		if !ok {
			violate("%s: returned position %d for event %d but the log has no event there", what, p, i)
			continue
		}
		got, want := log[j], req.Events[i]
		if got.Metadata.EventID != res.EventIDs[i] {
			violate("%s: position %d holds event id %q, the append returned %q", what, p, got.Metadata.EventID, res.EventIDs[i])
		}
		if id := want.Metadata.EventID; id != "" && id != res.EventIDs[i] {
			violate("%s: event %d asked for id %q, the append returned %q", what, i, id, res.EventIDs[i])
		}
		if got.Type != want.Type || !bytes.Equal(got.Data, want.Data) || !sameTags(got.Tags, want.Tags) {
			violate("%s: position %d holds %s %s %v, the append wrote %s %s %v", what, p, got.Type, got.Data, got.Tags, want.Type, want.Data, want.Tags)
		}
		wantVersion := es.Version(0)
		if req.Stream != "" {
			wantVersion = res.Version - es.Version(len(req.Events)-1-i)
		}
		if got.StreamID != req.Stream || got.StreamVersion != wantVersion {
			violate("%s: position %d is in stream %q at version %d, want %q at %d", what, p, got.StreamID, got.StreamVersion, req.Stream, wantVersion)
		}
	}
	if req.Stream != "" {
		first := res.Version - es.Version(len(req.Events)) // version before the append
		if !req.Expected.Allows(first) {
			violate("%s: succeeded with the stream at version %d, which does not satisfy expected %s", what, first, req.Expected)
		}
	}
	if c := req.Condition; c != nil {
		firstPos := res.Positions[0]
		for _, e := range log {
			if e.Position >= firstPos {
				break
			}
			if c.ConflictsWith(e.Event, e.Position) {
				violate("%s: missed conflict: the event at position %d (%s %v) matches the condition %s and precedes the append's first position %d",
					what, e.Position, e.Type, e.Tags, condString(c), firstPos)
				break
			}
		}
	}
}

// checkLogRead checks that a ReadAll page is exactly the log between its
// bounds.
func checkLogRead(log []es.Recorded, r ObservedLogRead, n int, violate func(string, ...any)) {
	page := r.Page
	what := fmt.Sprintf("ReadAll #%d (after %d, limit %d)", n, r.Opts.After, r.Opts.Limit)
	upTo := page.Next
	if len(page.Events) == 0 && page.Next != r.Opts.After {
		violate("%s: empty page has Next %d, want the request's After %d", what, page.Next, r.Opts.After)
	}
	if len(page.Events) > 0 && page.Next != page.Events[len(page.Events)-1].Position {
		violate("%s: Next %d is not the last event's position %d", what, page.Next, page.Events[len(page.Events)-1].Position)
	}
	if page.Head < page.Next {
		violate("%s: Head %d is below Next %d: the page holds events the reader may not consider consumed", what, page.Head, page.Next)
	}
	if !page.HasMore && page.Head > upTo {
		upTo = page.Head
	}
	want := between(log, r.Opts.After, upTo, nil)
	if !slices.Equal(idsOf(want), idsOf(page.Events)) {
		violate("%s: page holds positions %v but the final log has %v in (%d, %d]: an event committed later landed inside a range a reader already consumed",
			what, positionsOf(page.Events), positionsOf(want), r.Opts.After, upTo)
	}
}

// checkQueryRead checks that a DCB read is exactly the log's matching
// events between its bounds.
func checkQueryRead(log []es.Recorded, r ObservedQueryRead, n int, violate func(string, ...any)) {
	res := r.Result
	what := fmt.Sprintf("ReadQuery #%d (%s, %+v)", n, r.Query, r.Opts)
	for _, e := range res.Events {
		if e.Position > res.Head {
			violate("%s: returned position %d above its Head %d", what, e.Position, res.Head)
			return
		}
	}
	lo, hi := r.Opts.After, res.Head
	if !res.Complete && len(res.Events) > 0 {
		last := res.Events[len(res.Events)-1].Position
		if r.Opts.Backwards {
			lo = last - 1 // the oldest returned event; newer ones up to Head are all in
		} else {
			hi = last
		}
	}
	want := between(log, lo, hi, &r.Query)
	if r.Opts.Backwards {
		slices.Reverse(want)
	}
	if !slices.Equal(idsOf(want), idsOf(res.Events)) {
		violate("%s: returned positions %v but the final log has matching events at %v in (%d, %d]: the Head does not come from the read's snapshot",
			what, positionsOf(res.Events), positionsOf(want), lo, hi)
	}
}

// between returns the log's events with lo < position <= hi that match q
// (all when q is nil), in position order.
func between(log []es.Recorded, lo, hi es.Position, q *es.Query) []es.Recorded {
	var out []es.Recorded
	for _, e := range log {
		if e.Position <= lo || e.Position > hi {
			continue
		}
		if q == nil || q.Matches(e.Event) {
			out = append(out, e)
		}
	}
	return out
}

// describeRequest renders an append request for oracle messages.
func describeRequest(r es.AppendRequest) string {
	s := fmt.Sprintf("%d event(s)", len(r.Events))
	if r.Stream != "" {
		s += fmt.Sprintf(" to %q expecting %s", r.Stream, r.Expected)
	}
	if r.Condition != nil {
		s += " if " + condString(r.Condition)
	}
	if r.Idempotency != nil {
		s += fmt.Sprintf(" key %q", r.Idempotency.Key)
	}
	return s
}
