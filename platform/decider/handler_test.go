package decider_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/memstore"
	"github.com/eventspec/eventspec/platform/decider"
	"github.com/eventspec/eventspec/store"
)

type env struct {
	t     *testing.T
	clock *es.VirtualClock
	ids   *es.SequentialIDs
	store *memstore.Store
	ctx   context.Context
}

func newEnv(t *testing.T) *env {
	clock := es.NewVirtualClock(time.Time{})
	return &env{
		t:     t,
		clock: clock,
		ids:   es.NewSequentialIDs(),
		store: memstore.New(memstore.WithClock(clock), memstore.WithIDs(es.NewSeededIDs(7))),
		ctx:   context.Background(),
	}
}

func (e *env) config() decider.Config[account, accountCmd, accountEvent] {
	return decider.Config[account, accountCmd, accountEvent]{
		Name:          "Account",
		StreamType:    "Account",
		SchemaVersion: 2,
		Decider:       accountDecider,
		Codec:         accountCodec,
		StreamID:      accountStream,
		Clock:         e.clock,
		IDs:           e.ids,
	}
}

func (e *env) handler(cfg decider.Config[account, accountCmd, accountEvent], create bool) *decider.Handler[account, accountCmd, accountEvent] {
	e.t.Helper()
	var h *decider.Handler[account, accountCmd, accountEvent]
	var err error
	if create {
		h, err = decider.NewCreateHandler(cfg)
	} else {
		h, err = decider.NewHandler(cfg)
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return h
}

func (e *env) read(stream es.StreamID) []es.Recorded {
	e.t.Helper()
	recs, err := store.ReadStream(e.ctx, e.store, stream, store.StreamRead{})
	if err != nil {
		e.t.Fatal(err)
	}
	return recs
}

func (e *env) head() es.Position {
	e.t.Helper()
	page, err := store.ReadAll(e.ctx, e.store, store.LogRead{})
	if err != nil {
		e.t.Fatal(err)
	}
	return page.Head
}

func (e *env) seed(stream es.StreamID, events ...accountEvent) {
	e.t.Helper()
	var evs []es.Event
	for _, ev := range events {
		enc, err := accountCodec.Encode(ev)
		if err != nil {
			e.t.Fatal(err)
		}
		evs = append(evs, enc)
	}
	if _, err := store.Append(e.ctx, e.store, es.AppendRequest{Stream: stream, Events: evs}); err != nil {
		e.t.Fatal(err)
	}
}

func cmd(id string, payload accountCmd) decider.Command[accountCmd] {
	return decider.Command[accountCmd]{ID: id, Payload: payload}
}

func TestCreateHandlerSuccess(t *testing.T) {
	e := newEnv(t)
	h := e.handler(e.config(), true)
	res, err := h.Execute(e.ctx, e.store, decider.Command[accountCmd]{
		ID: "cmd-1", CorrelationID: "corr-1", Payload: openAccount{ID: "a1", Owner: "ann"},
		Extra: map[string]string{"userId": "u-9"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != decider.StatusSuccess || res.Version != 1 || res.ExpectedVersion != 0 || res.Stream != "account-a1" || len(res.EventIDs) != 1 || len(res.Positions) != 1 {
		t.Fatalf("result = %+v", res)
	}
	recs := e.read("account-a1")
	if len(recs) != 1 {
		t.Fatalf("stream holds %d events", len(recs))
	}
	r := recs[0]
	wantMeta := es.Metadata{
		EventID:       "account_event_00000000-0000-7000-8000-000000000001",
		CorrelationID: "corr-1",
		CausationID:   "cmd-1",
		SchemaVersion: 2,
		Category:      es.DefaultCategory,
		Extra:         map[string]string{"userId": "u-9"},
	}
	if r.Type != "opened" || string(r.Data) != `{"owner":"ann"}` || r.StreamVersion != 1 || !reflect.DeepEqual(r.Metadata, wantMeta) {
		t.Errorf("recorded = %+v", r)
	}
	if res.EventIDs[0] != wantMeta.EventID || res.Events[0].Metadata.EventID != wantMeta.EventID {
		t.Errorf("result ids %v", res.EventIDs)
	}
}

func TestCreateHandlerRejectsExistingThroughDecider(t *testing.T) {
	e := newEnv(t)
	e.seed("account-a1", opened{Owner: "ann"})
	head := e.head()
	res, err := e.handler(e.config(), true).Execute(e.ctx, e.store, cmd("cmd-2", openAccount{ID: "a1", Owner: "bob"}))
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != decider.StatusRejected || res.Code != "ACCOUNT_EXISTS" || res.Message != "account a1 already exists" || res.Version != 1 || res.ExpectedVersion != 0 || res.Events != nil {
		t.Errorf("result = %+v", res)
	}
	if e.head() != head {
		t.Error("a rejection wrote events")
	}
}

func TestCreateHandlerExpectsNoStream(t *testing.T) {
	e := newEnv(t)
	e.seed("account-a1", deposited{Amount: 5}) // a stream the decider does not see as open
	cfg := e.config()
	res, err := e.handler(cfg, true).Execute(e.ctx, e.store, cmd("cmd-3", openAccount{ID: "a1", Owner: "bob"}))
	if !errors.Is(err, es.ErrConcurrency) || es.CodeOf(err) != es.CodeConcurrency {
		t.Fatalf("err = %v, result %+v", err, res)
	}
	var he *decider.HandlerError
	if !errors.As(err, &he) || he.Stage != "append" || he.Stream != "account-a1" || he.Handler != "Account" {
		t.Errorf("handler error = %+v", he)
	}
	var ce *es.ConcurrencyError
	if !errors.As(err, &ce) || ce.Actual != 1 {
		t.Errorf("concurrency error = %+v", ce)
	}
	if n := len(e.read("account-a1")); n != 1 {
		t.Errorf("stream holds %d events, want the seeded 1", n)
	}
}

func TestCreateHandlerFailureRecordsAtVersionZero(t *testing.T) {
	e := newEnv(t)
	res, err := e.handler(e.config(), true).Execute(e.ctx, e.store, cmd("cmd-4", openAccount{ID: "a2", Owner: "blocked"}))
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != decider.StatusFailed || res.Reason != "owner is blocked" || res.ExpectedVersion != 0 || res.Version != 1 || len(res.Events) != 1 || res.Events[0].Type != "openingRefused" {
		t.Errorf("result = %+v", res)
	}
	recs := e.read("account-a2")
	if len(recs) != 1 || recs[0].Type != "openingRefused" || recs[0].Metadata.CausationID != "cmd-4" || recs[0].Metadata.CorrelationID != "cmd-4" {
		t.Errorf("recorded = %+v", recs)
	}
}

func TestHandlerMissingStreamIsNotFound(t *testing.T) {
	e := newEnv(t)
	_, err := e.handler(e.config(), false).Execute(e.ctx, e.store, cmd("cmd-5", deposit{ID: "nope", Amount: 1}))
	var he *decider.HandlerError
	if !errors.Is(err, es.ErrNotFound) || !errors.As(err, &he) || he.Stage != "load" {
		t.Fatalf("err = %v", err)
	}
	if want := `handler Account: load account-nope: NOT_FOUND: stream "account-nope" does not exist`; err.Error() != want {
		t.Errorf("message\n got %s\nwant %s", err, want)
	}
}

func TestHandlerSuccessUsesContextAndVersion(t *testing.T) {
	e := newEnv(t)
	e.seed("account-a1", opened{Owner: "ann"}, deposited{Amount: 10})
	e.clock.Advance(90 * time.Minute)
	var seen decider.Context
	var seenState account
	cfg := e.config()
	cfg.Decider.Decide = func(s account, c accountCmd, ctx decider.Context) decider.Outcome[accountEvent] {
		seen, seenState = ctx, s
		return decideAccount(s, c, ctx)
	}
	res, err := e.handler(cfg, false).Execute(e.ctx, e.store, decider.Command[accountCmd]{ID: "cmd-6", CorrelationID: "corr-6", Payload: deposit{ID: "a1", Amount: 5}})
	if err != nil {
		t.Fatal(err)
	}
	wantCtx := decider.Context{Now: es.DefaultVirtualStart.Add(90 * time.Minute), CommandID: "cmd-6", CorrelationID: "corr-6"}
	if seen != wantCtx {
		t.Errorf("context = %+v, want %+v", seen, wantCtx)
	}
	if seenState != (account{Open: true, Owner: "ann", Balance: 10}) {
		t.Errorf("decider saw %+v", seenState)
	}
	if res.Status != decider.StatusSuccess || res.ExpectedVersion != 2 || res.Version != 3 || res.Data != 15 {
		t.Errorf("result = %+v", res)
	}
	recs := e.read("account-a1")
	if len(recs) != 3 || recs[2].Type != "deposited" || recs[2].StreamVersion != 3 || recs[2].Metadata.CorrelationID != "corr-6" {
		t.Errorf("recorded = %+v", recs)
	}
}

func TestHandlerEventIDsAreUniquePerInvocation(t *testing.T) {
	e := newEnv(t)
	e.seed("account-a1", opened{Owner: "ann"})
	h := e.handler(e.config(), false)
	seen := map[string]bool{}
	for i := range 3 {
		res, err := h.Execute(e.ctx, e.store, cmd("cmd-same", deposit{ID: "a1", Amount: i + 1}))
		if err != nil {
			t.Fatal(err)
		}
		id := res.EventIDs[0]
		if seen[id] || !strings.HasPrefix(id, "account_event_") {
			t.Errorf("event id %q repeated or malformed", id)
		}
		seen[id] = true
	}
}

func TestHandlerRejectionWritesNothing(t *testing.T) {
	e := newEnv(t)
	e.seed("account-a1", opened{Owner: "ann"})
	head := e.head()
	res, err := e.handler(e.config(), false).Execute(e.ctx, e.store, cmd("cmd-7", deposit{ID: "a1", Amount: -3}))
	if err != nil {
		t.Fatal(err)
	}
	want := decider.Result{Status: decider.StatusRejected, Stream: "account-a1", ExpectedVersion: 1, Version: 1,
		Code: "INVALID_AMOUNT", Message: "amount -3 must be positive", Context: map[string]any{"amount": -3}}
	if !reflect.DeepEqual(res, want) {
		t.Errorf("result\n got %+v\nwant %+v", res, want)
	}
	if e.head() != head {
		t.Error("a rejection wrote events")
	}
}

func TestHandlerFailureAppendsFailureEvent(t *testing.T) {
	e := newEnv(t)
	e.seed("account-a1", opened{Owner: "ann"}, deposited{Amount: 4})
	res, err := e.handler(e.config(), false).Execute(e.ctx, e.store, cmd("cmd-8", withdraw{ID: "a1", Amount: 10}))
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != decider.StatusFailed || res.Reason != "insufficient funds" || res.ExpectedVersion != 2 || res.Version != 3 ||
		!reflect.DeepEqual(res.Context, map[string]any{"balance": 4}) || res.Code != "" {
		t.Errorf("result = %+v", res)
	}
	recs := e.read("account-a1")
	if len(recs) != 3 || recs[2].Type != "withdrawalDeclined" || string(recs[2].Data) != `{"amount":10,"balance":4}` || recs[2].Metadata.EventID != res.EventIDs[0] {
		t.Errorf("recorded = %+v", recs[len(recs)-1])
	}
}

func TestHandlerSuccessWithoutEventsWritesNothing(t *testing.T) {
	e := newEnv(t)
	e.seed("account-a1", opened{Owner: "ann"})
	head := e.head()
	res, err := e.handler(e.config(), false).Execute(e.ctx, e.store, cmd("cmd-9", withdraw{ID: "a1", Amount: 0}))
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != decider.StatusSuccess || res.Version != 1 || res.Events != nil || e.head() != head {
		t.Errorf("result = %+v", res)
	}
}

// A concurrent writer between load and append makes the append fail with
// CONCURRENCY_CONFLICT; HandleError can turn it into a result.
func TestHandlerConcurrencyConflictAndHandleError(t *testing.T) {
	for _, handled := range []bool{false, true} {
		e := newEnv(t)
		e.seed("account-a1", opened{Owner: "ann"})
		var tx store.Tx
		cfg := e.config()
		cfg.Decider.Decide = func(s account, c accountCmd, ctx decider.Context) decider.Outcome[accountEvent] {
			// Another writer sneaks in after the load (test-only side effect).
			ev, _ := accountCodec.Encode(deposited{Amount: 100})
			if _, err := tx.Events().Append(context.Background(), es.AppendRequest{Stream: "account-a1", Events: []es.Event{ev}}); err != nil {
				t.Fatal(err)
			}
			return decideAccount(s, c, ctx)
		}
		var hookErr error
		var hookStream es.StreamID
		if handled {
			cfg.HandleError = func(err error, stream es.StreamID) (decider.Result, bool) {
				hookErr, hookStream = err, stream
				return decider.RejectedResult("RETRY_LATER", "the account changed concurrently", nil), true
			}
		}
		h := e.handler(cfg, false)
		var res decider.Result
		err := e.store.Atomic(e.ctx, func(t store.Tx) error {
			tx = t
			var err error
			res, err = h.Handle(e.ctx, t, cmd("cmd-10", deposit{ID: "a1", Amount: 1}))
			if err == nil && handled {
				return errors.New("roll back the sneaked write") // keep the log clean for the check below
			}
			return err
		})
		if !handled {
			if !errors.Is(err, es.ErrConcurrency) {
				t.Fatalf("err = %v", err)
			}
		} else {
			if err == nil || err.Error() != "roll back the sneaked write" {
				t.Fatalf("err = %v", err)
			}
			if res.Status != decider.StatusRejected || res.Code != "RETRY_LATER" {
				t.Errorf("handled result = %+v", res)
			}
			if !errors.Is(hookErr, es.ErrConcurrency) || hookStream != "account-a1" {
				t.Errorf("hook saw %v on %q", hookErr, hookStream)
			}
		}
		if n := len(e.read("account-a1")); n != 1 {
			t.Errorf("handled=%v: stream holds %d events after rollback, want 1", handled, n)
		}
	}
}

func TestHandleErrorDecliningKeepsTheError(t *testing.T) {
	e := newEnv(t)
	var logs bytes.Buffer
	cfg := e.config()
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: dropTime}))
	calls := 0
	cfg.HandleError = func(err error, stream es.StreamID) (decider.Result, bool) { calls++; return decider.Result{}, false }
	_, err := e.handler(cfg, false).Execute(e.ctx, e.store, cmd("cmd-11", deposit{ID: "missing", Amount: 1}))
	if !errors.Is(err, es.ErrNotFound) || calls != 1 {
		t.Fatalf("err = %v, calls %d", err, calls)
	}
	want := `level=DEBUG msg="decider handler: start" handler=Account stream=account-missing commandId=cmd-11 correlationId=cmd-11
level=ERROR msg="decider handler: fault" handler=Account stream=account-missing commandId=cmd-11 code=NOT_FOUND error="handler Account: load account-missing: NOT_FOUND: stream \"account-missing\" does not exist"
`
	if logs.String() != want {
		t.Errorf("logs\n got %s\nwant %s", logs.String(), want)
	}
}

func dropTime(groups []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey && len(groups) == 0 {
		return slog.Attr{}
	}
	return a
}

func TestHandlerLogsOutcomes(t *testing.T) {
	e := newEnv(t)
	e.seed("account-a1", opened{Owner: "ann"})
	var logs bytes.Buffer
	cfg := e.config()
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: dropTime}))
	h := e.handler(cfg, false)
	for _, c := range []accountCmd{deposit{ID: "a1", Amount: 2}, deposit{ID: "a1", Amount: 0}, withdraw{ID: "a1", Amount: 50}} {
		if _, err := h.Execute(e.ctx, e.store, cmd("c", c)); err != nil {
			t.Fatal(err)
		}
	}
	var msgs []string
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		msgs = append(msgs, line[:strings.Index(line, " handler=")])
	}
	want := []string{
		`level=DEBUG msg="decider handler: start"`, `level=DEBUG msg="decider handler: success"`,
		`level=DEBUG msg="decider handler: start"`, `level=DEBUG msg="decider handler: rejected"`,
		`level=DEBUG msg="decider handler: start"`, `level=DEBUG msg="decider handler: business failure recorded"`,
	}
	if !reflect.DeepEqual(msgs, want) {
		t.Errorf("log messages\n got %q\nwant %q", msgs, want)
	}
}

func TestPreValidateShortCircuits(t *testing.T) {
	e := newEnv(t)
	cfg := e.config()
	decided, initial := 0, 0
	cfg.Decider.Initial = func() account { initial++; return account{} }
	cfg.Decider.Decide = func(s account, c accountCmd, ctx decider.Context) decider.Outcome[accountEvent] {
		decided++
		return decideAccount(s, c, ctx)
	}
	var seenCmd decider.Command[accountCmd]
	cfg.PreValidate = func(ctx context.Context, tx store.Tx, c decider.Command[accountCmd]) (*decider.Result, error) {
		seenCmd = c
		if c.Payload.(openAccount).Owner == "" {
			r := decider.RejectedResult("OWNER_REQUIRED", "owner is required", nil)
			return &r, nil
		}
		return nil, nil
	}
	h := e.handler(cfg, true)
	res, err := h.Execute(e.ctx, e.store, cmd("cmd-12", openAccount{ID: "a3"}))
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != decider.StatusRejected || res.Code != "OWNER_REQUIRED" || res.Stream != "account-a3" || decided != 0 || initial != 0 {
		t.Errorf("result %+v, decided %d, initial %d", res, decided, initial)
	}
	if seenCmd.ID != "cmd-12" || seenCmd.CorrelationID != "cmd-12" {
		t.Errorf("pre-validation saw %+v", seenCmd)
	}
	if e.head() != 0 {
		t.Error("short-circuit wrote events")
	}
	// undefined (nil) continues
	res, err = h.Execute(e.ctx, e.store, cmd("cmd-13", openAccount{ID: "a3", Owner: "cy"}))
	if err != nil || res.Status != decider.StatusSuccess || decided != 1 {
		t.Errorf("result %+v, err %v, decided %d", res, err, decided)
	}
}

func TestPreValidateErrorGoesThroughHandleError(t *testing.T) {
	e := newEnv(t)
	cfg := e.config()
	cfg.PreValidate = func(context.Context, store.Tx, decider.Command[accountCmd]) (*decider.Result, error) {
		return nil, es.Errorf("LOOKUP_FAILED", "directory unavailable")
	}
	_, err := e.handler(cfg, true).Execute(e.ctx, e.store, cmd("cmd-14", openAccount{ID: "a4", Owner: "x"}))
	var he *decider.HandlerError
	if es.CodeOf(err) != "LOOKUP_FAILED" || !errors.As(err, &he) || he.Stage != "prevalidate" {
		t.Errorf("err = %v", err)
	}
}

func TestHandlerBadCommands(t *testing.T) {
	e := newEnv(t)
	h := e.handler(e.config(), true)
	_, err := h.Execute(e.ctx, e.store, cmd("", openAccount{ID: "a1"}))
	if es.CodeOf(err) != es.CodeInvalidArgument || !strings.Contains(err.Error(), "command id is required") {
		t.Errorf("no command id: %v", err)
	}
	_, err = h.Execute(e.ctx, e.store, cmd("c", openAccount{ID: "bad\x00id"}))
	if es.CodeOf(err) != es.CodeInvalidStreamID {
		t.Errorf("bad stream id: %v", err)
	}
	if e.head() != 0 {
		t.Error("bad commands wrote events")
	}
}

func TestHandlerRecoversPanics(t *testing.T) {
	e := newEnv(t)
	e.seed("account-a1", opened{Owner: "ann"})
	cases := map[string]func(*decider.Config[account, accountCmd, accountEvent]){
		"Decide panicked": func(c *decider.Config[account, accountCmd, accountEvent]) {
			c.Decider.Decide = func(account, accountCmd, decider.Context) decider.Outcome[accountEvent] { panic("boom") }
		},
		"Decider.Evolve panicked": func(c *decider.Config[account, accountCmd, accountEvent]) {
			c.Decider.Evolve = func(account, accountEvent) account { panic("boom") }
		},
		"StreamID panicked": func(c *decider.Config[account, accountCmd, accountEvent]) {
			c.StreamID = func(accountCmd) es.StreamID { panic("boom") }
		},
	}
	for want, mutate := range cases {
		cfg := e.config()
		mutate(&cfg)
		_, err := e.handler(cfg, false).Execute(e.ctx, e.store, cmd("c", deposit{ID: "a1", Amount: 1}))
		if es.CodeOf(err) != decider.CodePanic || !strings.Contains(err.Error(), want+": boom") {
			t.Errorf("%s: err = %v", want, err)
		}
	}
	if n := len(e.read("account-a1")); n != 1 {
		t.Errorf("panics wrote events: %d", n)
	}
}

func TestHandlerRejectsInvalidOutcomes(t *testing.T) {
	cases := map[string]decider.Outcome[accountEvent]{
		"rejection without a code":       decider.Rejected[accountEvent]("", "no code"),
		"exactly one event, got 0":       {Status: decider.StatusFailed, Reason: "r"},
		"exactly one event, got 2":       {Status: decider.StatusFailed, Reason: "r", Events: []accountEvent{deposited{}, deposited{}}},
		`unknown outcome status "maybe"`: {Status: "maybe"},
		`unknown outcome status ""`:      {},
	}
	for want, out := range cases {
		e := newEnv(t)
		e.seed("account-a1", opened{Owner: "ann"})
		cfg := e.config()
		cfg.Decider.Decide = func(account, accountCmd, decider.Context) decider.Outcome[accountEvent] { return out }
		_, err := e.handler(cfg, false).Execute(e.ctx, e.store, cmd("c", deposit{ID: "a1", Amount: 1}))
		if es.CodeOf(err) != decider.CodeInvalidOutcome || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v", want, err)
		}
		if n := len(e.read("account-a1")); n != 1 {
			t.Errorf("%s: wrote events", want)
		}
	}
}

type strangeEvent struct{}

func (strangeEvent) accountEvent() {}

func TestHandlerCodecFaults(t *testing.T) {
	e := newEnv(t)
	if _, err := store.Append(e.ctx, e.store, es.AppendRequest{Stream: "account-a1", Events: []es.Event{es.MustEvent("mystery", map[string]int{"x": 1})}}); err != nil {
		t.Fatal(err)
	}
	_, err := e.handler(e.config(), false).Execute(e.ctx, e.store, cmd("c", deposit{ID: "a1", Amount: 1}))
	var he *decider.HandlerError
	if es.CodeOf(err) != decider.CodeUnknownEventType || !errors.As(err, &he) || he.Stage != "load" || !strings.Contains(err.Error(), "version 1") {
		t.Errorf("decode fault: %v", err)
	}

	e = newEnv(t)
	e.seed("account-a1", opened{Owner: "ann"})
	cfg := e.config()
	cfg.Decider.Decide = func(account, accountCmd, decider.Context) decider.Outcome[accountEvent] {
		return decider.Success[accountEvent](strangeEvent{})
	}
	_, err = e.handler(cfg, false).Execute(e.ctx, e.store, cmd("c", deposit{ID: "a1", Amount: 1}))
	if es.CodeOf(err) != decider.CodeUnknownEventType || !errors.As(err, &he) || he.Stage != "encode" {
		t.Errorf("encode fault: %v", err)
	}
}

func TestHandlerReadsLongStreams(t *testing.T) {
	e := newEnv(t)
	e.seed("account-a1", opened{Owner: "ann"})
	const n = store.MaxStreamLimit + 50
	for i := 0; i < n; i += es.MaxEventsPerAppend {
		batch := make([]accountEvent, min(es.MaxEventsPerAppend, n-i))
		for j := range batch {
			batch[j] = deposited{Amount: 1}
		}
		e.seed("account-a1", batch...)
	}
	res, err := e.handler(e.config(), false).Execute(e.ctx, e.store, cmd("c", deposit{ID: "a1", Amount: 1}))
	if err != nil {
		t.Fatal(err)
	}
	if res.ExpectedVersion != n+1 || res.Version != n+2 || res.Data != n+1 {
		t.Errorf("result = %+v", res)
	}
}

func TestHandlerCategoryAndCodecMetadata(t *testing.T) {
	e := newEnv(t)
	cfg := e.config()
	cfg.SchemaVersion = 0
	cfg.Category = "integration"
	res, err := e.handler(cfg, true).Execute(e.ctx, e.store, cmd("c", openAccount{ID: "a1", Owner: "ann"}))
	if err != nil {
		t.Fatal(err)
	}
	m := e.read("account-a1")[0].Metadata
	if m.Category != "integration" || m.SchemaVersion != es.DefaultSchemaVersion || res.Events[0].Metadata.Category != "integration" {
		t.Errorf("metadata = %+v", m)
	}
}

// Handlers are safe for concurrent use; the store serialises the units of
// work, so every deposit lands exactly once.
func TestHandlerConcurrentExecutions(t *testing.T) {
	e := newEnv(t)
	e.seed("account-a1", opened{Owner: "ann"})
	h := e.handler(e.config(), false)
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := h.Execute(e.ctx, e.store, cmd(fmt.Sprintf("cmd-%d", i), deposit{ID: "a1", Amount: 1}))
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	recs := e.read("account-a1")
	ids := map[string]bool{}
	for _, r := range recs[1:] {
		ids[r.Metadata.EventID] = true
	}
	if len(recs) != n+1 || len(ids) != n {
		t.Errorf("%d events with %d distinct ids, want %d", len(recs)-1, len(ids), n)
	}
}

func TestConfigValidation(t *testing.T) {
	e := newEnv(t)
	_, err := decider.NewHandler(decider.Config[account, accountCmd, accountEvent]{})
	want := `DECIDER_INVALID_CONFIG: decider handler "": missing Name, StreamType, Decider.Initial, Decider.Decide, Decider.Evolve, Codec, StreamID, Clock, IDs`
	if err == nil || err.Error() != want {
		t.Errorf("empty config\n got %v\nwant %s", err, want)
	}
	cfg := e.config()
	cfg.StreamType = "Order-Item"
	if _, err := decider.NewCreateHandler(cfg); es.CodeOf(err) != decider.CodeInvalidConfig || !strings.Contains(err.Error(), `stream type "Order-Item"`) {
		t.Errorf("bad stream type: %v", err)
	}
	cfg = e.config()
	cfg.SchemaVersion = -1
	if _, err := decider.NewHandler(cfg); es.CodeOf(err) != decider.CodeInvalidConfig {
		t.Errorf("negative schema version: %v", err)
	}
	if h := e.handler(e.config(), false); h.Name() != "Account" {
		t.Errorf("Name = %q", h.Name())
	}
}
