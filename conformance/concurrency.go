package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/store"
)

// Concurrency cases: racing appends have exactly one winner per round;
// unrelated appends do not conflict; idempotent appends race to one write;
// tail readers never skip a late committer and resume from a checkpoint
// exactly once; contexts are honoured. After every concurrent workload the
// Oracle re-reads the whole log and checks it against what was observed.
func init() {
	register(
		Case{Group: "concurrency", Name: "race-expected-version", Run: onLog(concRaceVersion)},
		Case{Group: "concurrency", Name: "race-any-version-all-win", Run: onLog(concRaceAny)},
		Case{Group: "concurrency", Name: "race-dcb-condition", Run: onLog(concRaceCondition)},
		Case{Group: "concurrency", Name: "race-idempotency-key", Run: onLog(concRaceIdempotency)},
		Case{Group: "concurrency", Name: "unrelated-appends-never-conflict", Run: onLog(concUnrelated)},
		Case{Group: "concurrency", Name: "oracle-mixed-workload", Run: onLog(concMixed)},
		Case{Group: "concurrency", Name: "tail-reader-never-skips", Run: onLog(concTailReader)},
		Case{Group: "concurrency", Name: "late-committer-not-skipped", Requires: []store.Capability{store.InterleavedTransactions}, Run: onLog(concLateCommitter)},
		Case{Group: "concurrency", Name: "condition-vs-open-plain-writer", Requires: []store.Capability{store.InterleavedTransactions}, Run: onLog(concConditionVsOpenWriter)},
		Case{Group: "concurrency", Name: "checkpoint-resumes-exactly-once", Run: onLog(concCheckpoint)},
		Case{Group: "concurrency", Name: "ctx-cancelled-append", Run: onLog(concCancelledAppend)},
		Case{Group: "concurrency", Name: "ctx-cancelled-reads", Run: onLog(concCancelledReads)},
		Case{Group: "concurrency", Name: "ctx-deadline-exceeded", Run: onLog(concDeadline)},
	)
}

// Sizes of the racing workloads: Racers goroutines per round, Rounds rounds.
const (
	Racers = 8
	Rounds = 20
)

// outcome is one racer's answer.
type outcome struct {
	res es.AppendResult
	err error
}

// race runs Racers appends at once (released together) and returns their
// outcomes, recording each in o.
func (c *logCase) race(o *Oracle, reqs []es.AppendRequest) []outcome {
	out := make([]outcome, len(reqs))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, req := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res, err := store.Append(c.ctx, c.s, req)
			o.Append(req, res, err)
			out[i] = outcome{res, err}
		}()
	}
	close(start)
	wg.Wait()
	return out
}

// checkOracle re-reads the log and fails the case on any violation.
func (c *logCase) checkOracle(o *Oracle) {
	c.T.Helper()
	if err := o.Check(c.ctx, c.s, CheckOptions{Gapless: c.gapless()}); err != nil {
		c.Fatalf("%v", err)
	}
}

func concRaceVersion(c *logCase) {
	var o Oracle
	const stream = es.StreamID("contended")
	for round := 0; round < Rounds; round++ {
		v := es.Version(round)
		reqs := make([]es.AppendRequest, Racers)
		for g := range reqs {
			e := c.ev("Claimed")
			e.Metadata.EventID = fmt.Sprintf("r%d-g%d", round, g)
			reqs[g] = es.AppendRequest{Stream: stream, Expected: es.Exact(v), Events: []es.Event{e}}
		}
		winners := 0
		for g, out := range c.race(&o, reqs) {
			if out.err == nil {
				winners++
				if out.res.Version != v+1 {
					c.Fatalf("round %d: winner %d got version %d, want %d", round, g, out.res.Version, v+1)
				}
				continue
			}
			if msg := concurrencyMismatch(out.err, stream, es.Exact(v), v+1); msg != "" {
				c.Fatalf("round %d: loser %d: %s", round, g, msg)
			}
		}
		if winners != 1 {
			c.Fatalf("round %d: %d of %d racers on expected version %d won, want exactly 1", round, winners, Racers, v)
		}
	}
	c.wantVersion(stream, Rounds)
	c.checkOracle(&o)
}

// concRaceAny races appends to one stream that expect any version (or only
// that the stream exists): none may fail, and together they take every
// version once.
func concRaceAny(c *logCase) {
	var o Oracle
	const stream = es.StreamID("free-for-all")
	for round := 0; round < Rounds; round++ {
		reqs := make([]es.AppendRequest, Racers)
		for g := range reqs {
			expected := es.Any
			if round > 0 && g%2 == 1 {
				expected = es.StreamExists
			}
			reqs[g] = es.AppendRequest{Stream: stream, Expected: expected, Events: []es.Event{c.ev("Joined")}}
		}
		got := map[es.Version]int{}
		for g, out := range c.race(&o, reqs) {
			if out.err != nil {
				c.Fatalf("round %d: racer %d expecting %s failed: %v; an append expecting any version never conflicts", round, g, reqs[g].Expected, out.err)
			}
			if prev, dup := got[out.res.Version]; dup {
				c.Fatalf("round %d: racers %d and %d both got version %d", round, prev, g, out.res.Version)
			}
			got[out.res.Version] = g
		}
		for v := es.Version(round*Racers + 1); v <= es.Version((round+1)*Racers); v++ {
			if _, ok := got[v]; !ok {
				c.Fatalf("round %d: no racer got version %d (versions %v)", round, v, got)
			}
		}
	}
	c.wantVersion(stream, es.Version(Rounds*Racers))
	c.checkOracle(&o)
}

func concRaceCondition(c *logCase) {
	var o Oracle
	q := es.Tags("seat:1A")
	for round := 0; round < Rounds; round++ {
		read := c.readQuery(q, store.QueryRead{})
		o.QueryRead(q, store.QueryRead{}, read)
		cnd := cond(q, read.Head)
		reqs := make([]es.AppendRequest, Racers)
		for g := range reqs {
			e := c.ev("SeatReserved", "seat:1A", es.Tag(fmt.Sprintf("guest:%d", g)))
			e.Metadata.EventID = fmt.Sprintf("r%d-g%d", round, g)
			reqs[g] = es.AppendRequest{Condition: cnd, Events: []es.Event{e}}
		}
		winners := 0
		for g, out := range c.race(&o, reqs) {
			if out.err == nil {
				winners++
				continue
			}
			var cf *es.ConditionFailedError
			if !errors.As(out.err, &cf) || es.CodeOf(out.err) != es.CodeAppendCondition {
				c.Fatalf("round %d: loser %d got %v, want a *es.ConditionFailedError (APPEND_CONDITION_FAILED)", round, g, out.err)
			}
			if got := condString(&cf.Condition); got != condString(cnd) {
				c.Fatalf("round %d: loser %d: error carries condition %s, want %s", round, g, got, condString(cnd))
			}
		}
		if winners != 1 {
			c.Fatalf("round %d: %d of %d racers on condition %s won, want exactly 1", round, winners, Racers, condString(cnd))
		}
	}
	if got := c.readQuery(q, store.QueryRead{}); len(got.Events) != Rounds {
		c.Fatalf("after %d rounds %d SeatReserved events exist, want %d", Rounds, len(got.Events), Rounds)
	}
	c.checkOracle(&o)
}

func concRaceIdempotency(c *logCase) {
	var o Oracle
	for round := 0; round < Rounds; round++ {
		req := keyed(es.AppendRequest{Stream: es.StreamID(fmt.Sprintf("pay-%d", round)), Expected: es.NoStream,
			Events: []es.Event{c.ev("PaymentTaken"), c.ev("ReceiptIssued")}}, fmt.Sprintf("pay:%d", round), "")
		reqs := make([]es.AppendRequest, Racers)
		for g := range reqs {
			reqs[g] = req
		}
		outs := c.race(&o, reqs)
		var first *es.AppendResult
		for g, out := range outs {
			if out.err != nil {
				c.Fatalf("round %d: racer %d with the shared idempotency key failed: %v (want a write or a duplicate)", round, g, out.err)
			}
			if !out.res.Duplicate {
				if first != nil {
					c.Fatalf("round %d: two racers wrote with the same key: %+v and %+v", round, *first, out.res)
				}
				first = &outs[g].res
			}
		}
		if first == nil {
			c.Fatalf("round %d: every racer got a duplicate; want exactly one write", round)
		}
		for g, out := range outs {
			want := *first
			want.Duplicate = true
			if out.res.Duplicate && !sameResult(out.res, want) {
				c.Fatalf("round %d: racer %d's duplicate %+v differs from the write %+v", round, g, out.res, *first)
			}
		}
	}
	if n := len(c.log()); n != 2*Rounds {
		c.Fatalf("log holds %d events after %d rounds of 2-event idempotent races, want %d", n, Rounds, 2*Rounds)
	}
	c.checkOracle(&o)
}

func concUnrelated(c *logCase) {
	const perRacer = 20
	var o Oracle
	type tally struct{ stream, dcb, streamFail, dcbFail int }
	tallies := make([]tally, Racers)
	failures := make([][]string, Racers)
	oddCodes := make([][]string, Racers) // DCB failures that are not condition failures
	start := make(chan struct{})
	var wg sync.WaitGroup
	for g := 0; g < Racers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			stream := es.StreamID(fmt.Sprintf("own-%d", g))
			tag := es.Tag(fmt.Sprintf("owner:%d", g))
			var version es.Version
			var lastOwn *es.Position
			for i := 0; i < perRacer; i++ {
				data, _ := json.Marshal(map[string]int{"g": g, "i": i})
				if i%2 == 0 {
					req := es.AppendRequest{Stream: stream, Expected: es.Exact(version), Events: []es.Event{{Type: "Own", Data: data, Tags: []es.Tag{tag}}}}
					res, err := store.Append(c.ctx, c.s, req)
					o.Append(req, res, err)
					tallies[g].stream++
					if err != nil {
						tallies[g].streamFail++
						failures[g] = append(failures[g], fmt.Sprintf("stream append %d: %v", i, err))
						if err := c.ctx.Err(); err != nil {
							return
						}
						continue
					}
					version = res.Version
					p := res.LastPosition()
					lastOwn = &p
					continue
				}
				cnd := es.FailIfMatch(es.Tags(tag))
				if lastOwn != nil {
					cnd = cnd.WithAfter(*lastOwn)
				}
				req := es.AppendRequest{Condition: &cnd, Events: []es.Event{{Type: "Own", Data: data, Tags: []es.Tag{tag}}}}
				res, err := store.Append(c.ctx, c.s, req)
				o.Append(req, res, err)
				tallies[g].dcb++
				if err != nil {
					tallies[g].dcbFail++
					failures[g] = append(failures[g], fmt.Sprintf("DCB append %d: %v", i, err))
					if es.CodeOf(err) != es.CodeAppendCondition {
						oddCodes[g] = append(oddCodes[g], fmt.Sprintf("racer %d DCB append %d: %v", g, i, err))
					}
					if err := c.ctx.Err(); err != nil {
						return
					}
					// A false conflict leaves lastOwn as is; the racer's own
					// events are still the only ones carrying its tag.
					continue
				}
				p := res.LastPosition()
				lastOwn = &p
			}
		}()
	}
	close(start)
	wg.Wait()
	var total tally
	var msgs, unexpected []string
	for g, t := range tallies {
		unexpected = append(unexpected, oddCodes[g]...)
		total.stream += t.stream
		total.dcb += t.dcb
		total.streamFail += t.streamFail
		total.dcbFail += t.dcbFail
		for _, m := range failures[g] {
			msgs = append(msgs, fmt.Sprintf("racer %d: %s", g, m))
		}
	}
	rate := float64(total.dcbFail) / float64(max(total.dcb, 1))
	c.Logf("unrelated concurrent appends: %d racers; stream appends %d, failed %d; DCB appends %d, false conflicts %d (rate %.4f)",
		Racers, total.stream, total.streamFail, total.dcb, total.dcbFail, rate)
	// Each stream has one writer that always expects the version it last
	// wrote: a failure there is never a legitimate conflict.
	if total.streamFail > 0 {
		c.Fatalf("%d of %d appends to single-writer streams failed; want 0: %v", total.streamFail, total.stream, firstN(msgs, 5))
	}
	// DCB false conflicts are allowed by the spec, but an adapter that
	// serialises appends (gapless positions) has no reason for any.
	if c.gapless() && total.dcbFail > 0 {
		c.Fatalf("%d of %d DCB appends with disjoint tags failed on a gapless store; want 0: %v", total.dcbFail, total.dcb, firstN(msgs, 5))
	}
	if len(unexpected) > 0 {
		c.Fatalf("DCB appends with disjoint tags failed with errors other than APPEND_CONDITION_FAILED: %v", firstN(unexpected, 5))
	}
	c.checkOracle(&o)
}

func firstN(xs []string, n int) []string {
	if len(xs) > n {
		return append(slices.Clone(xs[:n]), fmt.Sprintf("… and %d more", len(xs)-n))
	}
	return xs
}

func concMixed(c *logCase) {
	const workers, perWorker = 6, 30
	var o Oracle
	seats := []es.Tag{"seat:1", "seat:2", "seat:3"}
	accounts := []es.StreamID{"acct-1", "acct-2"}
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, workers)
	for g := 0; g < workers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			cursor := es.Position(0)
			for i := 0; i < perWorker; i++ {
				data, _ := json.Marshal(map[string]int{"g": g, "i": i})
				id := fmt.Sprintf("w%d-%d", g, i)
				k := (g*7 + i) % len(seats)
				var req es.AppendRequest
				switch (g + i) % 4 {
				case 0: // single-item decision on one seat
					q := es.Tags(seats[k])
					read, err := store.ReadQuery(c.ctx, c.s, q, store.QueryRead{})
					if err != nil {
						errs[g] = fmt.Errorf("worker %d op %d: ReadQuery: %w", g, i, err)
						return
					}
					o.QueryRead(q, store.QueryRead{}, read)
					cnd := es.FailIfMatch(q).WithAfter(read.Head)
					req = es.AppendRequest{Condition: &cnd, Events: []es.Event{{Type: "Booked", Data: data, Tags: []es.Tag{seats[k]}, Metadata: es.Metadata{EventID: id}}}}
				case 1: // stream append at the version just read
					acct := accounts[i%len(accounts)]
					var v es.Version
					err := c.s.Atomic(c.ctx, func(tx store.Tx) error {
						var err error
						v, err = tx.Events().StreamVersion(c.ctx, acct)
						return err
					})
					if err != nil {
						errs[g] = fmt.Errorf("worker %d op %d: StreamVersion: %w", g, i, err)
						return
					}
					req = es.AppendRequest{Stream: acct, Expected: es.Exact(v), Events: []es.Event{{Type: "Posted", Data: data, Tags: []es.Tag{seats[k]}, Metadata: es.Metadata{EventID: id}}}}
				case 2: // multi-item decision, limited backwards read
					q := es.Items(es.QueryItem{Types: []string{"Booked"}, Tags: []es.Tag{seats[k]}}, es.QueryItem{Tags: []es.Tag{seats[(k+1)%len(seats)]}})
					opts := store.QueryRead{Backwards: i%3 == 0, Limit: i % 3}
					read, err := store.ReadQuery(c.ctx, c.s, q, opts)
					if err != nil {
						errs[g] = fmt.Errorf("worker %d op %d: ReadQuery: %w", g, i, err)
						return
					}
					o.QueryRead(q, opts, read)
					cnd := es.FailIfMatch(q).WithAfter(read.Head)
					if !read.Complete {
						cnd = es.FailIfMatch(q) // an incomplete read cannot vouch for a head
					}
					req = es.AppendRequest{Condition: &cnd, Events: []es.Event{{Type: "Booked", Data: data, Tags: []es.Tag{seats[k], seats[(k+1)%len(seats)]}, Metadata: es.Metadata{EventID: id}}}}
				default: // tail the log, then append an unconditional event
					opts := store.LogRead{After: cursor, Limit: 5}
					page, err := store.ReadAll(c.ctx, c.s, opts)
					if err != nil {
						errs[g] = fmt.Errorf("worker %d op %d: ReadAll: %w", g, i, err)
						return
					}
					o.LogRead(opts, page)
					cursor = page.Next
					req = es.AppendRequest{Events: []es.Event{{Type: "Noted", Data: data, Metadata: es.Metadata{EventID: id}}}}
				}
				res, err := store.Append(c.ctx, c.s, req)
				o.Append(req, res, err)
				if err != nil {
					code := es.CodeOf(err)
					if code != es.CodeAppendCondition && code != es.CodeConcurrency {
						errs[g] = fmt.Errorf("worker %d op %d: append failed with %v, want success or a conflict", g, i, err)
						return
					}
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		c.Fatalf("%v", err)
	}
	obs := o.Observations()
	ok, conflicts := 0, 0
	for _, a := range obs.Appends {
		if a.Err == nil {
			ok++
		} else {
			conflicts++
		}
	}
	c.Logf("mixed workload: %d appends succeeded, %d conflicted; %d query reads, %d log reads checked", ok, conflicts, len(obs.QueryReads), len(obs.LogReads))
	if ok == 0 {
		c.Fatalf("mixed workload: no append succeeded out of %d", len(obs.Appends))
	}
	c.checkOracle(&o)
}

func concTailReader(c *logCase) {
	const writers, perWriter, backlog = 4, 25, 10
	var o Oracle
	// The reader starts behind: a backlog of events is already there.
	for i := 0; i < backlog; i++ {
		req := es.AppendRequest{Events: []es.Event{c.ev("Backlog")}}
		o.Append(req, c.mustAppend("backlog", req), nil)
	}
	done := make(chan struct{})
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for g := 0; g < writers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perWriter; i++ {
				data, _ := json.Marshal(map[string]int{"g": g, "i": i})
				req := es.AppendRequest{Events: []es.Event{{Type: "Tick", Data: data}}}
				if i%3 == 0 {
					req.Stream = es.StreamID(fmt.Sprintf("w-%d", g))
				}
				res, err := store.Append(c.ctx, c.s, req)
				o.Append(req, res, err)
				if err != nil {
					errs[g] = fmt.Errorf("writer %d append %d: %w", g, i, err)
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(done) }()

	var seen []es.Recorded
	after := es.Position(0)
	for {
		finished := false
		select {
		case <-done:
			finished = true
		default:
		}
		opts := store.LogRead{After: after, Limit: 7}
		page, err := store.ReadAll(c.ctx, c.s, opts)
		if err != nil {
			<-done
			c.Fatalf("tail read after %d: %v", after, err)
		}
		o.LogRead(opts, page)
		if msg := pageProgress(after, page); msg != "" {
			<-done
			c.Fatalf("tail read after %d: %s", after, msg)
		}
		seen = append(seen, page.Events...)
		after = page.Next
		if finished && len(page.Events) == 0 && !page.HasMore {
			break
		}
	}
	if err := errors.Join(errs...); err != nil {
		c.Fatalf("%v", err)
	}
	final := c.log()
	if len(final) != backlog+writers*perWriter {
		c.Fatalf("log holds %d events, want %d", len(final), backlog+writers*perWriter)
	}
	if got, want := idsOf(seen), idsOf(final); !slices.Equal(got, want) {
		c.Fatalf("the tail reader saw %d events (positions %v), the log holds %d (positions %v): events skipped or repeated",
			len(got), positionsOf(seen), len(want), positionsOf(final))
	}
	c.checkOracle(&o)
}

func concLateCommitter(c *logCase) {
	var o Oracle
	reqA := es.AppendRequest{Stream: "a", Events: []es.Event{c.ev("LateA")}}
	reqB := es.AppendRequest{Stream: "b", Events: []es.Event{c.ev("EarlyB")}}
	a := c.holdOpenAppend(reqA)
	defer a.close()
	resA := a.res

	// B commits while A, which has appended, is still open. The watchdog
	// only bounds a hang: an adapter that claims interleaved transactions
	// must let B commit here.
	bctx, cancel := context.WithTimeout(c.ctx, 30*time.Second)
	resB, err := store.Append(bctx, c.s, reqB)
	cancel()
	o.Append(reqB, resB, err)
	if err != nil {
		c.Fatalf("B could not commit while A was open (%v); an adapter that serialises appends until commit has no late committers and must not claim %s", err, store.InterleavedTransactions)
	}

	// The tail reader reads now: it may see B only if A cannot later land
	// before B.
	page1 := c.readAll(store.LogRead{})
	o.LogRead(store.LogRead{}, page1)
	q1 := c.readQuery(es.All(), store.QueryRead{})
	o.QueryRead(es.All(), store.QueryRead{}, q1)
	for _, e := range append(slices.Clone(page1.Events), q1.Events...) {
		if e.Type == "LateA" {
			c.Fatalf("a read outside A's unit of work saw A's uncommitted event at position %d", e.Position)
		}
	}

	if err := a.commit(); err != nil {
		c.Fatalf("unit of work A failed to commit: %v", err)
	}
	final := c.log()
	var committedA es.AppendResult
	for _, e := range final {
		if e.Type == "LateA" {
			committedA = es.AppendResult{Stream: "a", EventIDs: []string{e.Metadata.EventID}, Positions: []es.Position{e.Position}, Version: e.StreamVersion}
		}
	}
	if len(committedA.Positions) == 0 {
		c.Fatalf("A committed but its event is not in the log (A's append returned %+v)", resA)
	}
	o.Append(reqA, committedA, nil)

	// Resuming from the cursor of the first read sees what it missed.
	opts2 := store.LogRead{After: page1.Next}
	page2 := c.readAll(opts2)
	o.LogRead(opts2, page2)
	seen := append(slices.Clone(page1.Events), page2.Events...)
	if got, want := idsOf(seen), idsOf(final); !slices.Equal(got, want) {
		c.Fatalf("tail reader: first read (Next %d, Head %d) saw positions %v, the read after %d saw %v; the log holds %v: the late committer was skipped or repeated",
			page1.Next, page1.Head, positionsOf(page1.Events), page1.Next, positionsOf(page2.Events), positionsOf(final))
	}
	c.checkOracle(&o)
}

// concConditionVsOpenWriter holds open a unit of work that has appended,
// without a condition, an event matching a condition; a conditional append
// runs meanwhile. Whatever the adapter does — wait for the open writer,
// reject the condition, or order the conditional append first — the final
// log must not hold the matching event between the condition's After and
// the conditional append's position (the oracle checks it). An adapter
// that checks the condition without regard to the open writer, and lets
// the writer's earlier position stand, fails here.
func concConditionVsOpenWriter(c *logCase) {
	var o Oracle
	q := es.Tags("seat:9Z")
	read := c.readQuery(q, store.QueryRead{})
	o.QueryRead(q, store.QueryRead{}, read)
	cnd := cond(q, read.Head)
	reqA := es.AppendRequest{Events: []es.Event{c.ev("SeatReserved", "seat:9Z", "guest:a")}}
	reqB := es.AppendRequest{Condition: cnd, Events: []es.Event{c.ev("SeatReserved", "seat:9Z", "guest:b")}}
	a := c.holdOpenAppend(reqA)
	defer a.close()

	type outcome struct {
		res es.AppendResult
		err error
	}
	bDone := make(chan outcome, 1)
	go func() {
		r, err := store.Append(c.ctx, c.s, reqB)
		bDone <- outcome{r, err}
	}()
	// Give B the chance to decide while A is open; an adapter may also
	// make B wait for A, which the bound only cuts short.
	var b outcome
	decided := false
	select {
	case b = <-bDone:
		decided = true
	case <-time.After(500 * time.Millisecond):
	}
	if err := a.commit(); err != nil {
		c.Fatalf("unit of work A failed to commit: %v", err)
	}
	if !decided {
		b = <-bDone
	}
	if b.err != nil && es.CodeOf(b.err) != es.CodeAppendCondition {
		c.Fatalf("conditional append B failed with %v; want success or APPEND_CONDITION_FAILED", b.err)
	}
	o.Append(reqB, b.res, b.err)
	var committedA es.AppendResult
	for _, e := range c.log() {
		if e.Metadata.EventID != "" && slices.Contains(e.Tags, "guest:a") {
			committedA = es.AppendResult{EventIDs: []string{e.Metadata.EventID}, Positions: []es.Position{e.Position}}
		}
	}
	if len(committedA.Positions) == 0 {
		c.Fatalf("A committed but its event is not in the log")
	}
	o.Append(reqA, committedA, nil)
	c.checkOracle(&o)
}

// openAppend is a unit of work that has appended and stays open until
// commit (or close) lets it commit.
type openAppend struct {
	res     es.AppendResult
	done    chan error
	release func()
}

// holdOpenAppend starts a unit of work that appends req and then waits,
// open; it returns once the append is done, failing the case when the
// unit ends before appending.
func (c *logCase) holdOpenAppend(req es.AppendRequest) *openAppend {
	appended := make(chan es.AppendResult, 1)
	commit := make(chan struct{})
	u := &openAppend{done: make(chan error, 1)}
	var once sync.Once
	u.release = func() { once.Do(func() { close(commit) }) }
	go func() {
		u.done <- c.s.Atomic(c.ctx, func(tx store.Tx) error {
			r, err := tx.Events().Append(c.ctx, req)
			if err != nil {
				return err
			}
			appended <- r
			<-commit
			return nil
		})
	}()
	select {
	case u.res = <-appended:
	case err := <-u.done:
		c.Fatalf("unit of work A ended before appending: %v", err)
	}
	return u
}

// commit lets the unit commit and returns how it ended.
func (u *openAppend) commit() error {
	u.release()
	err := <-u.done
	u.done <- err
	return err
}

// close lets the unit end if it is still open (for defer).
func (u *openAppend) close() { _ = u.commit() }

// checkpointState is what the checkpointing reader persists in one
// document, in the same unit of work as its work: the cursor and the ids
// it has handled, in order.
type checkpointState struct {
	After   es.Position `json:"after"`
	Handled []string    `json:"handled"`
}

func concCheckpoint(c *logCase) {
	const writers, perWriter, backlog = 3, 20, 10
	const coll, key = "conformance-checkpoints", "tail-reader"
	// The reader starts behind: a backlog of events is already there.
	for i := 0; i < backlog; i++ {
		c.mustAppendIf(nil, c.ev("Backlog"))
	}
	done := make(chan struct{})
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for g := 0; g < writers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perWriter; i++ {
				data, _ := json.Marshal(map[string]int{"g": g, "i": i})
				if _, err := store.Append(c.ctx, c.s, es.AppendRequest{Events: []es.Event{{Type: "Work", Data: data}}}); err != nil {
					errs[g] = fmt.Errorf("writer %d append %d: %w", g, i, err)
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(done) }()

	crash := errors.New("reader crashed after handling, before commit")
	batches, crashes, nonEmpty := 0, 0, 0
	for {
		finished := false
		select {
		case <-done:
			finished = true
		default:
		}
		batches++
		var handled int
		var more bool
		// Each batch is a fresh "process": it knows nothing but the
		// checkpoint document.
		err := c.s.Atomic(c.ctx, func(tx store.Tx) error {
			var st checkpointState
			version := int64(0)
			doc, err := tx.Documents().Get(c.ctx, coll, key)
			switch {
			case err == nil:
				if err := json.Unmarshal(doc.Data, &st); err != nil {
					return fmt.Errorf("checkpoint document: %w", err)
				}
				version = doc.Version
			case es.CodeOf(err) != es.CodeNotFound:
				return err
			}
			page, err := tx.Events().ReadAll(c.ctx, store.LogRead{After: st.After, Limit: 4})
			if err != nil {
				return err
			}
			if msg := pageProgress(st.After, page); msg != "" {
				return fmt.Errorf("%w: read after %d: %s", errNoProgress, st.After, msg)
			}
			for _, e := range page.Events {
				st.Handled = append(st.Handled, e.Metadata.EventID)
			}
			st.After = page.Next
			handled, more = len(page.Events), page.HasMore
			data, _ := json.Marshal(st)
			if version == 0 {
				_, err = tx.Documents().Insert(c.ctx, coll, key, data)
			} else {
				_, err = tx.Documents().Update(c.ctx, coll, key, version, data)
			}
			if err != nil {
				return err
			}
			if handled > 0 {
				nonEmpty++
				if nonEmpty%3 == 0 {
					return crash // the work and the checkpoint roll back together
				}
			}
			return nil
		})
		switch {
		case errors.Is(err, crash):
			crashes++
			continue
		case err != nil:
			<-done
			c.Fatalf("checkpointing reader batch %d: %v", batches, err)
		}
		if finished && handled == 0 && !more {
			break
		}
	}
	if err := errors.Join(errs...); err != nil {
		c.Fatalf("%v", err)
	}
	var st checkpointState
	err := c.s.Atomic(c.ctx, func(tx store.Tx) error {
		doc, err := tx.Documents().Get(c.ctx, coll, key)
		if err != nil {
			return err
		}
		return json.Unmarshal(doc.Data, &st)
	})
	if err != nil {
		c.Fatalf("reading the final checkpoint: %v", err)
	}
	final := c.log()
	if len(final) != backlog+writers*perWriter {
		c.Fatalf("log holds %d events, want %d", len(final), backlog+writers*perWriter)
	}
	if want := idsOf(final); !slices.Equal(st.Handled, want) {
		c.Fatalf("after %d batches (%d crashed) the reader handled %d events, the log holds %d: not every event exactly once, in order (handled %v, log %v)",
			batches, crashes, len(st.Handled), len(want), firstN(st.Handled, 10), firstN(want, 10))
	}
	if st.After != final[len(final)-1].Position {
		c.Fatalf("final checkpoint %d, want the last position %d", st.After, final[len(final)-1].Position)
	}
	if crashes == 0 {
		c.Fatalf("the reader never crashed; the case did not exercise resuming")
	}
}

// errNoProgress marks a reader that cannot move on.
var errNoProgress = errors.New("the tail reader cannot make progress")

// pageProgress describes why a ReadAll page after cursor after cannot
// move a tail reader forward ("" when it can): events at or before the
// cursor, a Next that does not advance past them, or an empty page that
// claims more.
func pageProgress(after es.Position, page store.LogPage) string {
	for _, e := range page.Events {
		if e.Position <= after {
			return fmt.Sprintf("returned position %d, not after the cursor", e.Position)
		}
	}
	if len(page.Events) > 0 && page.Next <= after {
		return fmt.Sprintf("returned %d events but Next %d does not advance", len(page.Events), page.Next)
	}
	if len(page.Events) == 0 && page.HasMore {
		return "returned an empty page with HasMore"
	}
	return ""
}

// cancelled returns a context that is already cancelled.
func (c *logCase) cancelled() context.Context {
	ctx, cancel := context.WithCancel(c.ctx)
	cancel()
	return ctx
}

func concCancelledAppend(c *logCase) {
	c.mustAppendTo("s", es.NoStream, c.ev("A"))
	before := c.log()
	ctx := c.cancelled()
	_, err := store.Append(ctx, c.s, es.AppendRequest{Stream: "s", Expected: es.Exact(1), Events: []es.Event{c.ev("B")}})
	if !errors.Is(err, context.Canceled) {
		c.Fatalf("append with a cancelled context: got %v, want an error that is context.Canceled", err)
	}
	c.wantLogUnchanged("append with a cancelled context", before)
	// A cancelled context handed to Append inside a live unit of work.
	var inner error
	err = c.s.Atomic(c.ctx, func(tx store.Tx) error {
		_, inner = tx.Events().Append(ctx, es.AppendRequest{Condition: cond(es.Types("Z")), Events: []es.Event{c.ev("C")}})
		return inner
	})
	if !errors.Is(inner, context.Canceled) {
		c.Fatalf("tx.Events().Append with a cancelled context: got %v, want an error that is context.Canceled", inner)
	}
	if !errors.Is(err, context.Canceled) {
		c.Fatalf("Atomic returning that error: got %v, want context.Canceled", err)
	}
	c.wantLogUnchanged("conditional append with a cancelled context inside a unit of work", before)
	c.wantVersion("s", 1)
}

// readCalls are the event-log reads, each run with ctx inside tx.
func readCalls() []struct {
	what string
	call func(ctx context.Context, ev store.EventLog) error
} {
	return []struct {
		what string
		call func(ctx context.Context, ev store.EventLog) error
	}{
		{"ReadStream", func(ctx context.Context, ev store.EventLog) error {
			_, err := ev.ReadStream(ctx, "s", store.StreamRead{})
			return err
		}},
		{"backwards ReadStream", func(ctx context.Context, ev store.EventLog) error {
			_, err := ev.ReadStream(ctx, "s", store.StreamRead{Backwards: true})
			return err
		}},
		{"StreamVersion", func(ctx context.Context, ev store.EventLog) error {
			_, err := ev.StreamVersion(ctx, "s")
			return err
		}},
		{"ReadAll", func(ctx context.Context, ev store.EventLog) error {
			_, err := ev.ReadAll(ctx, store.LogRead{})
			return err
		}},
		{"ReadQuery", func(ctx context.Context, ev store.EventLog) error {
			_, err := ev.ReadQuery(ctx, es.Tags("k:1"), store.QueryRead{})
			return err
		}},
		{"IdempotencyAudits", func(ctx context.Context, ev store.EventLog) error {
			_, err := ev.IdempotencyAudits(ctx, "key")
			return err
		}},
	}
}

func concCancelledReads(c *logCase) {
	c.mustAppendTo("s", es.NoStream, c.ev("A", "k:1"))
	ctx := c.cancelled()
	for _, rc := range readCalls() {
		var inner error
		_ = c.s.Atomic(c.ctx, func(tx store.Tx) error {
			inner = rc.call(ctx, tx.Events())
			return nil
		})
		if !errors.Is(inner, context.Canceled) {
			c.Fatalf("%s with a cancelled context inside a live unit of work: got %v, want an error that is context.Canceled", rc.what, inner)
		}
		err := c.s.Atomic(ctx, func(tx store.Tx) error { return rc.call(ctx, tx.Events()) })
		if !errors.Is(err, context.Canceled) {
			c.Fatalf("%s in a unit of work with a cancelled context: got %v, want an error that is context.Canceled", rc.what, err)
		}
	}
	_, err := store.ReadAll(ctx, c.s, store.LogRead{})
	if !errors.Is(err, context.Canceled) {
		c.Fatalf("store.ReadAll with a cancelled context: got %v, want context.Canceled", err)
	}
}

func concDeadline(c *logCase) {
	c.mustAppendTo("s", es.NoStream, c.ev("A", "k:1"))
	before := c.log()
	ctx, cancel := context.WithDeadline(c.ctx, time.Unix(0, 0)) // long past
	defer cancel()
	_, err := store.Append(ctx, c.s, es.AppendRequest{Stream: "s", Expected: es.Exact(1), Events: []es.Event{c.ev("B")}})
	if !errors.Is(err, context.DeadlineExceeded) {
		c.Fatalf("append past its deadline: got %v, want an error that is context.DeadlineExceeded", err)
	}
	var inner error
	_ = c.s.Atomic(c.ctx, func(tx store.Tx) error {
		_, inner = tx.Events().Append(ctx, es.AppendRequest{Events: []es.Event{c.ev("C")}})
		return inner
	})
	if !errors.Is(inner, context.DeadlineExceeded) {
		c.Fatalf("tx.Events().Append past its deadline: got %v, want context.DeadlineExceeded", inner)
	}
	c.wantLogUnchanged("appends past their deadline", before)
	for _, rc := range readCalls() {
		var inner error
		_ = c.s.Atomic(c.ctx, func(tx store.Tx) error {
			inner = rc.call(ctx, tx.Events())
			return nil
		})
		if !errors.Is(inner, context.DeadlineExceeded) {
			c.Fatalf("%s past its deadline: got %v, want an error that is context.DeadlineExceeded", rc.what, inner)
		}
	}
}
