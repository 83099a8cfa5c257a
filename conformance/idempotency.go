package conformance

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/store"
)

// Idempotency cases: a key with the same fingerprint returns the earlier
// result and writes nothing (before any expected-version or condition
// check); a key with another fingerprint is IDEMPOTENCY_CONFLICT, audited,
// and the audit survives the rolled-back unit of work.
func init() {
	register(
		Case{Group: "idempotency", Name: "same-fingerprint-returns-earlier-result", Run: onLog(idemSameFingerprint)},
		Case{Group: "idempotency", Name: "duplicate-despite-stale-expected-version", Run: onLog(idemStaleVersion)},
		Case{Group: "idempotency", Name: "duplicate-despite-failing-condition", Run: onLog(idemFailingCondition)},
		Case{Group: "idempotency", Name: "computed-fingerprint-ignores-ids", Run: onLog(idemIgnoresIDs)},
		Case{Group: "idempotency", Name: "computed-fingerprint-canonical-json", Run: onLog(idemCanonicalJSON)},
		Case{Group: "idempotency", Name: "different-fingerprint-conflicts", Run: onLog(idemConflict)},
		Case{Group: "idempotency", Name: "conflict-checked-before-occ", Run: onLog(idemConflictBeforeOCC)},
		Case{Group: "idempotency", Name: "audit-survives-rollback", Run: onLog(idemAuditSurvivesRollback)},
		Case{Group: "idempotency", Name: "explicit-fingerprint", Run: onLog(idemExplicit)},
		Case{Group: "idempotency", Name: "explicit-vs-computed-fingerprint", Run: onLog(idemExplicitVsComputed)},
		Case{Group: "idempotency", Name: "key-is-global", Run: onLog(idemKeyGlobal)},
		Case{Group: "idempotency", Name: "rolled-back-key-is-free", Run: onLog(idemRolledBackKeyFree)},
		Case{Group: "idempotency", Name: "duplicate-within-unit-of-work", Run: onLog(idemWithinUnit)},
		Case{Group: "idempotency", Name: "distinct-keys-and-no-key-write", Run: onLog(idemDistinctKeys)},
	)
}

// keyed returns req with an idempotency key and fingerprint (empty: computed).
func keyed(req es.AppendRequest, key, fingerprint string) es.AppendRequest {
	req.Idempotency = &es.Idempotency{Key: key, Fingerprint: fingerprint}
	return req
}

// wantDuplicate appends req and requires the result of first with
// Duplicate set, and an unchanged log.
func (c *logCase) wantDuplicate(what string, req es.AppendRequest, first es.AppendResult) {
	c.T.Helper()
	before := c.log()
	res, err := c.append(req)
	if err != nil {
		c.Fatalf("%s: want the earlier result as a duplicate, got error %v", what, err)
	}
	want := first
	want.Duplicate = true
	if !sameResult(res, want) {
		c.Fatalf("%s: got %+v, want the earlier result %+v", what, res, want)
	}
	c.wantLogUnchanged(what, before)
}

// sameResult compares append results field by field.
func sameResult(a, b es.AppendResult) bool {
	return a.Stream == b.Stream && a.Version == b.Version && a.Duplicate == b.Duplicate &&
		slices.Equal(a.EventIDs, b.EventIDs) && slices.Equal(a.Positions, b.Positions)
}

// wantIdemConflict appends req and requires an *es.IdempotencyConflictError
// naming key and both fingerprints, and an unchanged log.
func (c *logCase) wantIdemConflict(what string, req es.AppendRequest, existing, incoming string) {
	c.T.Helper()
	err := c.wantRejected(what, req, es.CodeIdempotencyConflict)
	c.wantIdemConflictErr(what, err, req.Idempotency.Key, existing, incoming)
}

func (c *logCase) wantIdemConflictErr(what string, err error, key, existing, incoming string) {
	c.T.Helper()
	c.wantCode(err, es.CodeIdempotencyConflict, what)
	var ic *es.IdempotencyConflictError
	if !errors.As(err, &ic) {
		c.Fatalf("%s: error %v is not a *es.IdempotencyConflictError", what, err)
	}
	if ic.Key != key || ic.ExistingFingerprint != existing || ic.IncomingFingerprint != incoming {
		c.Fatalf("%s: got IdempotencyConflictError{Key: %q, Existing: %q, Incoming: %q}, want {%q, %q, %q}",
			what, ic.Key, ic.ExistingFingerprint, ic.IncomingFingerprint, key, existing, incoming)
	}
}

// fingerprint computes es.Fingerprint and fails the case on error.
func (c *logCase) fingerprint(req es.AppendRequest) string {
	c.T.Helper()
	fp, err := es.Fingerprint(req)
	if err != nil {
		c.Fatalf("es.Fingerprint: %v", err)
	}
	return fp
}

// audits lists the audits of key.
func (c *logCase) audits(key string) []store.IdempotencyAudit {
	c.T.Helper()
	var out []store.IdempotencyAudit
	err := c.s.Atomic(c.ctx, func(tx store.Tx) error {
		var err error
		out, err = tx.Events().IdempotencyAudits(c.ctx, key)
		return err
	})
	if err != nil {
		c.Fatalf("IdempotencyAudits(%q): %v", key, err)
	}
	return out
}

// wantAudit requires audit to record a rejected reuse of key on stream.
func (c *logCase) wantAudit(what string, a store.IdempotencyAudit, key string, stream es.StreamID, existing, incoming string, at time.Time) {
	c.T.Helper()
	if a.ID == "" || a.Key != key || a.Stream != stream || a.ExistingFingerprint != existing || a.IncomingFingerprint != incoming || !a.At.Equal(at) {
		c.Fatalf("%s: got audit %+v, want {ID: <non-empty>, Key: %q, Stream: %q, ExistingFingerprint: %q, IncomingFingerprint: %q, At: %v}",
			what, a, key, stream, existing, incoming, at)
	}
}

func idemSameFingerprint(c *logCase) {
	req := keyed(es.AppendRequest{Stream: "order-1", Expected: es.NoStream, Events: []es.Event{c.ev("OrderPlaced"), c.ev("OrderPriced")}}, "place:order-1:cmd-1", "")
	first := c.mustAppend("first keyed append", req)
	if first.Duplicate {
		c.Fatalf("the first append with a key is marked Duplicate")
	}
	c.wantDuplicate("identical retry", req, first)
	c.wantDuplicate("second identical retry", req, first)
	c.wantVersion("order-1", 2)
	if a := c.audits(req.Idempotency.Key); len(a) != 0 {
		c.Fatalf("duplicates are not conflicts, yet %d audit(s) were written", len(a))
	}
}

func idemStaleVersion(c *logCase) {
	req := keyed(es.AppendRequest{Stream: "s", Expected: es.NoStream, Events: []es.Event{c.ev("A")}}, "k", "")
	first := c.mustAppend("first keyed append", req)
	c.mustAppendTo("s", es.Exact(1), c.evs(2, "B")...)
	// The retry's NoStream is stale (the stream is at 3): idempotency is
	// decided before the expected version, and the earlier result (version 1)
	// comes back, not the stream's current version.
	c.wantDuplicate("retry with a stale expected version", req, first)
	stale := req
	stale.Expected = es.Exact(7)
	c.wantDuplicate("retry with an Exact version the stream never had", stale, first)
}

func idemFailingCondition(c *logCase) {
	cnd := cond(es.Tags("username:alice"))
	req := keyed(es.AppendRequest{Condition: cnd, Events: []es.Event{c.ev("UserRegistered", "username:alice")}}, "register:alice", "")
	first := c.mustAppend("first keyed conditional append", req)
	// Re-evaluating the condition now would conflict with the append's own
	// event; the duplicate is recognised first.
	c.wantDuplicate("retry whose condition would now fail", req, first)
	c.wantConflict("the same condition without the key", cnd)
}

func idemIgnoresIDs(c *logCase) {
	e := c.ev("A", "t:1")
	req := keyed(es.AppendRequest{Stream: "s", Events: []es.Event{e}}, "k", "")
	first := c.mustAppend("first keyed append", req)
	retry := e
	retry.Metadata = es.Metadata{EventID: "fresh-id", CorrelationID: "corr-2", CausationID: "cause-2"}
	c.wantDuplicate("retry with new event, correlation and causation ids", keyed(es.AppendRequest{Stream: "s", Events: []es.Event{retry}}, "k", ""), first)
	c.wantDuplicate("retry with the default category and schema version spelled out",
		keyed(es.AppendRequest{Stream: "s", Events: []es.Event{{Type: e.Type, Data: e.Data, Tags: e.Tags, Metadata: es.Metadata{Category: es.DefaultCategory, SchemaVersion: es.DefaultSchemaVersion}}}}, "k", ""), first)
}

func idemCanonicalJSON(c *logCase) {
	e := es.Event{Type: "A", Data: []byte(`{"b":1,"a":{"y":2,"x":[1,2]}}`), Tags: []es.Tag{"t:1", "t:2"}}
	first := c.mustAppend("first keyed append", keyed(es.AppendRequest{Stream: "s", Events: []es.Event{e}}, "k", ""))
	same := es.Event{Type: "A", Data: []byte("{ \"a\" : { \"x\" : [1, 2], \"y\":2 },\n \"b\" : 1 }"), Tags: []es.Tag{"t:2", "t:1"}}
	c.wantDuplicate("retry with keys reordered, whitespace and tags in another order", keyed(es.AppendRequest{Stream: "s", Events: []es.Event{same}}, "k", ""), first)
	// The stored data stays as first written.
	got := c.readStream("s", store.StreamRead{})
	if len(got) != 1 || string(got[0].Data) != string(e.Data) {
		c.Fatalf("after the duplicate the stream holds %d event(s), first data %q; want 1 with %q", len(got), dataOf(got), e.Data)
	}
}

func dataOf(rs []es.Recorded) string {
	if len(rs) == 0 {
		return ""
	}
	return string(rs[0].Data)
}

func idemConflict(c *logCase) {
	first := keyed(es.AppendRequest{Stream: "s", Events: []es.Event{{Type: "A", Data: []byte(`{"amount":10}`)}}}, "pay:1", "")
	c.mustAppend("first keyed append", first)
	at := c.env.Clock.Advance(time.Minute)
	second := keyed(es.AppendRequest{Stream: "s", Events: []es.Event{{Type: "A", Data: []byte(`{"amount":11}`)}}}, "pay:1", "")
	c.wantIdemConflict("same key, different data", second, c.fingerprint(first), c.fingerprint(second))
	c.env.Clock.Advance(time.Minute)
	third := keyed(es.AppendRequest{Stream: "s", Events: []es.Event{{Type: "B", Data: []byte(`{"amount":10}`)}}}, "pay:1", "")
	at3 := c.env.Clock.Now()
	c.wantIdemConflict("same key, different type", third, c.fingerprint(first), c.fingerprint(third))
	fourth := keyed(es.AppendRequest{Stream: "s", Events: append(slices.Clone(first.Events), c.ev("C"))}, "pay:1", "")
	c.wantIdemConflict("same key, one event more", fourth, c.fingerprint(first), c.fingerprint(fourth))
	audits := c.audits("pay:1")
	if len(audits) != 3 {
		c.Fatalf("IdempotencyAudits(pay:1) after three conflicting reuses: %d audits, want 3", len(audits))
	}
	c.wantAudit("first audit", audits[0], "pay:1", "s", c.fingerprint(first), c.fingerprint(second), at)
	c.wantAudit("second audit", audits[1], "pay:1", "s", c.fingerprint(first), c.fingerprint(third), at3)
	if audits[0].ID == audits[1].ID || audits[1].ID == audits[2].ID {
		c.Fatalf("audit ids are not distinct: %q, %q, %q", audits[0].ID, audits[1].ID, audits[2].ID)
	}
	if a := c.audits("pay:unknown"); len(a) != 0 {
		c.Fatalf("IdempotencyAudits of an unused key: %d audits, want 0", len(a))
	}
	c.wantVersion("s", 1)
}

func idemConflictBeforeOCC(c *logCase) {
	first := keyed(es.AppendRequest{Stream: "s", Expected: es.NoStream, Events: []es.Event{c.ev("A")}}, "k", "")
	c.mustAppend("first keyed append", first)
	// Stale version and a different payload: the key decides first.
	other := keyed(es.AppendRequest{Stream: "s", Expected: es.NoStream, Events: []es.Event{c.ev("A")}}, "k", "")
	c.wantIdemConflict("same key, different data, stale expected version", other, c.fingerprint(first), c.fingerprint(other))
	if n := len(c.audits("k")); n != 1 {
		c.Fatalf("audits after the conflict: %d, want 1", n)
	}
}

func idemAuditSurvivesRollback(c *logCase) {
	first := keyed(es.AppendRequest{Stream: "s", Events: []es.Event{c.ev("A")}}, "k", "")
	c.mustAppend("first keyed append", first)
	before := c.log()
	conflicting := keyed(es.AppendRequest{Stream: "s", Events: []es.Event{c.ev("A")}}, "k", "")
	at := c.env.Clock.Advance(time.Second)
	var inner error
	err := c.s.Atomic(c.ctx, func(tx store.Tx) error {
		if _, err := tx.Events().Append(c.ctx, es.AppendRequest{Stream: "t", Events: []es.Event{c.ev("Side")}}); err != nil {
			return err
		}
		_, inner = tx.Events().Append(c.ctx, conflicting)
		return inner
	})
	c.wantIdemConflictErr("conflicting append inside a unit of work", inner, "k", c.fingerprint(first), c.fingerprint(conflicting))
	if !errors.Is(err, es.ErrIdempotencyConflict) {
		c.Fatalf("Atomic returned %v, want the IDEMPOTENCY_CONFLICT its function returned", err)
	}
	c.wantLogUnchanged("rolled-back unit of work with an idempotency conflict", before)
	audits := c.audits("k")
	if len(audits) != 1 {
		c.Fatalf("after the unit of work rolled back: %d audits, want 1 (audits survive rollback)", len(audits))
	}
	c.wantAudit("audit of the rolled-back attempt", audits[0], "k", "s", c.fingerprint(first), c.fingerprint(conflicting), at)
}

func idemExplicit(c *logCase) {
	first := keyed(es.AppendRequest{Stream: "s", Events: []es.Event{c.ev("A")}}, "k", "order-1:v1")
	r := c.mustAppend("first append with an explicit fingerprint", first)
	// The explicit fingerprint is what counts, not the events.
	c.wantDuplicate("same explicit fingerprint, different events", keyed(es.AppendRequest{Stream: "s", Events: []es.Event{c.ev("B"), c.ev("C")}}, "k", "order-1:v1"), r)
	c.wantIdemConflict("different explicit fingerprint, same events", keyed(es.AppendRequest{Stream: "s", Events: first.Events}, "k", "order-1:v2"), "order-1:v1", "order-1:v2")
	audits := c.audits("k")
	if len(audits) != 1 {
		c.Fatalf("audits: %d, want 1", len(audits))
	}
	c.wantAudit("explicit fingerprints", audits[0], "k", "s", "order-1:v1", "order-1:v2", c.env.Clock.Now())
}

func idemExplicitVsComputed(c *logCase) {
	base := es.AppendRequest{Stream: "s", Events: []es.Event{c.ev("A")}}
	r := c.mustAppend("first append with explicit fingerprint fp-x", keyed(base, "k1", "fp-x"))
	// A retry that leaves the fingerprint empty gets the computed one, which
	// differs from fp-x.
	c.wantIdemConflict("retry with a computed fingerprint", keyed(base, "k1", ""), "fp-x", c.fingerprint(base))
	// Conversely, a computed first fingerprint equals an explicit one that
	// spells out the same value.
	base2 := es.AppendRequest{Stream: "s", Events: []es.Event{c.ev("B")}}
	r2 := c.mustAppend("first append with a computed fingerprint", keyed(base2, "k2", ""))
	c.wantDuplicate("retry spelling out es.Fingerprint", keyed(base2, "k2", c.fingerprint(base2)), r2)
	c.wantDuplicate("retry of k1 with fp-x", keyed(base, "k1", "fp-x"), r)
}

func idemKeyGlobal(c *logCase) {
	e := c.ev("A")
	a := keyed(es.AppendRequest{Stream: "a", Events: []es.Event{e}}, "k", "")
	c.mustAppend("keyed append to a", a)
	b := keyed(es.AppendRequest{Stream: "b", Events: []es.Event{e}}, "k", "")
	c.wantIdemConflict("same key and events on another stream", b, c.fingerprint(a), c.fingerprint(b))
	d := keyed(es.AppendRequest{Events: []es.Event{e}}, "k", "")
	c.wantIdemConflict("same key and events without a stream", d, c.fingerprint(a), c.fingerprint(d))
	audits := c.audits("k")
	if len(audits) != 2 || audits[0].Stream != "b" || audits[1].Stream != "" {
		c.Fatalf("audits name the incoming streams: got %+v, want streams \"b\" then \"\"", audits)
	}
	c.wantVersion("b", 0)
}

func idemRolledBackKeyFree(c *logCase) {
	err := c.s.Atomic(c.ctx, func(tx store.Tx) error {
		if _, err := tx.Events().Append(c.ctx, keyed(es.AppendRequest{Stream: "s", Events: []es.Event{c.ev("A")}}, "k", "")); err != nil {
			return err
		}
		return errors.New("roll back")
	})
	if err == nil || err.Error() != "roll back" {
		c.Fatalf("Atomic: got %v, want the function's error", err)
	}
	// The key was rolled back with its events: another payload may use it.
	r := c.mustAppend("append reusing the rolled-back key with other data", keyed(es.AppendRequest{Stream: "s", Events: []es.Event{c.ev("B")}}, "k", ""))
	if r.Duplicate || r.Version != 1 {
		c.Fatalf("append reusing a rolled-back key: got %+v, want a fresh write at version 1", r)
	}
	if n := len(c.audits("k")); n != 0 {
		c.Fatalf("audits of a key whose first use rolled back: %d, want 0", n)
	}
}

func idemWithinUnit(c *logCase) {
	req := keyed(es.AppendRequest{Stream: "s", Expected: es.NoStream, Events: []es.Event{c.ev("A")}}, "k", "")
	var first, second es.AppendResult
	err := c.s.Atomic(c.ctx, func(tx store.Tx) error {
		var err error
		if first, err = tx.Events().Append(c.ctx, req); err != nil {
			return err
		}
		if second, err = tx.Events().Append(c.ctx, req); err != nil {
			return fmt.Errorf("retry in the same unit of work: %w", err)
		}
		return nil
	})
	if err != nil {
		c.Fatalf("%v", err)
	}
	want := first
	want.Duplicate = true
	if !sameResult(second, want) {
		c.Fatalf("retry in the same unit of work: got %+v, want %+v", second, want)
	}
	if n := len(c.log()); n != 1 {
		c.Fatalf("log holds %d events, want 1", n)
	}
}

func idemDistinctKeys(c *logCase) {
	e := c.ev("A")
	r1 := c.mustAppend("key k1", keyed(es.AppendRequest{Stream: "s", Events: []es.Event{e}}, "k1", ""))
	r2 := c.mustAppend("key k2, same events", keyed(es.AppendRequest{Stream: "s", Events: []es.Event{e}}, "k2", ""))
	r3 := c.mustAppend("no key, same events", es.AppendRequest{Stream: "s", Events: []es.Event{e}})
	r4 := c.mustAppend("no key again", es.AppendRequest{Stream: "s", Events: []es.Event{e}})
	for i, r := range []es.AppendResult{r1, r2, r3, r4} {
		if r.Duplicate || r.Version != es.Version(i+1) {
			c.Fatalf("append %d: got %+v, want a fresh write at version %d", i+1, r, i+1)
		}
	}
}
