package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/eventspec/eventspec/engine"
	"github.com/eventspec/eventspec/engine/enginetest"
	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/platform/command"
	"github.com/eventspec/eventspec/platform/commandbus"
	"github.com/eventspec/eventspec/platform/orchestrator"
	"github.com/eventspec/eventspec/store"
)

// Group "commands": the command log (spec §6) and command dispatch through
// the engine, on the adapter under test.
func init() {
	register(
		Case{Group: "commands", Name: "record-new-then-duplicate", Run: cmdRecordThenDuplicate},
		Case{Group: "commands", Name: "record-rejects-bad-input", Run: cmdRecordBadInput},
		Case{Group: "commands", Name: "complete-first-writer-wins", Run: cmdCompleteFirstWriterWins},
		Case{Group: "commands", Name: "concurrent-record-one-new", Run: cmdConcurrentRecord},
		Case{Group: "commands", Name: "by-correlation-paging", Run: cmdByCorrelation},
		Case{Group: "commands", Name: "cleanup-never-deletes-pending", Run: cmdCleanup},
		Case{Group: "commands", Name: "event-correlations", Run: cmdEventCorrelations},
		Case{Group: "commands", Name: "record-rolls-back-with-unit-of-work", Run: cmdRecordRollsBack},
		Case{Group: "commands", Name: "dispatch-idempotent-under-concurrency", Run: cmdDispatchIdempotent},
		Case{Group: "commands", Name: "dispatch-dual-write-atomic", Run: cmdDispatchAtomic},
	)
}

func cmdReq(id, corr string) commandbus.RecordRequest {
	return commandbus.RecordRequest{CommandID: id, CommandType: "CreateOrder", TargetContext: "orders",
		Payload: json.RawMessage(`{"orderId":"` + id + `"}`), CorrelationID: corr, UserID: "u1"}
}

// cmdMust returns a checker that fails the case when err is set, naming
// what was being done, and otherwise returns v.
func cmdMust[V any](v V, err error) func(t T2, what string) V {
	return func(t T2, what string) V {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: unexpected error: %v", what, err)
		}
		return v
	}
}

// T2 is the subset of T the command cases' helpers need.
type T2 interface {
	Helper()
	Fatalf(format string, args ...any)
}

func cmdRecordThenDuplicate(t T, s store.Store, env Env) {
	ctx := t.Context()
	bus := commandbus.New(s, env.Clock)
	start := env.Clock.Now()
	r := cmdMust(bus.Record(ctx, cmdReq("c1", "corr-1")))(t, "first Record")
	if !r.New {
		t.Fatalf("first Record: New = false, want true (result %+v)", r)
	}
	got := cmdMust(bus.Get(ctx, "c1"))(t, "Get")
	if got == nil {
		t.Fatalf("Get after Record: nil, want the pending command")
	}
	wantCursor := fmt.Sprintf("%016d:c1", start.UnixMilli())
	if got.Status != command.StatusPending || got.CommandType != "CreateOrder" || got.TargetContext != "orders" ||
		got.Metadata.CorrelationID != "corr-1" || got.Metadata.UserID != "u1" || !got.Metadata.Timestamp.Equal(start) ||
		got.TTL != commandbus.DefaultTTL || !got.ExpiresAt.Equal(start.Add(7*24*time.Hour)) ||
		got.CorrelationCursor != wantCursor || string(got.Payload) != `{"orderId":"c1"}` || !got.ExecutedAt.IsZero() {
		t.Fatalf("stored command = %+v\nwant pending, ttl 7d, expiresAt %s, cursor %s", got, start.Add(7*24*time.Hour), wantCursor)
	}
	dup := cmdMust(bus.Record(ctx, cmdReq("c1", "corr-other")))(t, "second Record")
	if dup.New || dup.ExistingStatus != command.StatusPending || dup.ExistingResult != nil {
		t.Fatalf("second Record = %+v, want duplicate with status pending and no result", dup)
	}
	env.Clock.Advance(time.Second)
	ok := cmdMust(bus.Complete(ctx, "c1", command.StatusExecuted, json.RawMessage(`{"status":"executed"}`)))(t, "Complete")
	if !ok {
		t.Fatalf("Complete of a pending command = false, want true")
	}
	dup = cmdMust(bus.Record(ctx, cmdReq("c1", "corr-1")))(t, "Record after Complete")
	if dup.New || dup.ExistingStatus != command.StatusExecuted || string(dup.ExistingResult) != `{"status":"executed"}` {
		t.Fatalf("Record after Complete = %+v (result %s), want duplicate executed with the stored result", dup, dup.ExistingResult)
	}
	got = cmdMust(bus.Get(ctx, "c1"))(t, "Get")
	if got.Metadata.CorrelationID != "corr-1" || !got.ExecutedAt.Equal(start.Add(time.Second)) {
		t.Fatalf("duplicate Record changed the stored command, or executedAt wrong: %+v", got)
	}
	if c := cmdMust(bus.Get(ctx, "nope"))(t, "Get unknown"); c != nil {
		t.Fatalf("Get of an unknown command = %+v, want nil", c)
	}
}

func cmdRecordBadInput(t T, s store.Store, env Env) {
	ctx := t.Context()
	bus := commandbus.New(s, env.Clock)
	big := cmdReq("big", "corr")
	big.Payload = json.RawMessage(`"` + strings.Repeat("x", es.MaxPayloadBytes) + `"`)
	cases := []struct {
		name string
		req  commandbus.RecordRequest
		code es.Code
	}{
		{"payload over 64 KiB", big, es.CodePayloadTooLarge},
		{"empty command id", cmdReq("", "corr"), es.CodeInvalidArgument},
		{"empty correlation id", cmdReq("c2", ""), es.CodeInvalidArgument},
		{"invalid JSON payload", commandbus.RecordRequest{CommandID: "c3", CommandType: "X", CorrelationID: "corr", Payload: json.RawMessage(`{`)}, es.CodeInvalidArgument},
		{"negative ttl", commandbus.RecordRequest{CommandID: "c4", CommandType: "X", CorrelationID: "corr", TTL: -time.Second}, es.CodeInvalidArgument},
	}
	for _, c := range cases {
		_, err := bus.Record(ctx, c.req)
		if es.CodeOf(err) != c.code {
			t.Fatalf("Record with %s: error %v, want code %s", c.name, err, c.code)
		}
		if c.req.CommandID != "" {
			if got := cmdMust(bus.Get(ctx, c.req.CommandID))(t, "Get"); got != nil {
				t.Fatalf("Record with %s wrote a command: %+v", c.name, got)
			}
		}
	}
	if _, err := bus.Complete(ctx, "x", command.StatusPending, nil); es.CodeOf(err) != es.CodeInvalidArgument {
		t.Fatalf("Complete with status pending: %v, want INVALID_ARGUMENT", err)
	}
	if _, err := bus.Complete(ctx, "x", command.StatusExecuted, json.RawMessage(`"`+strings.Repeat("y", es.MaxPayloadBytes)+`"`)); es.CodeOf(err) != es.CodePayloadTooLarge {
		t.Fatalf("Complete with a 64 KiB+ result: %v, want PAYLOAD_TOO_LARGE", err)
	}
}

func cmdCompleteFirstWriterWins(t T, s store.Store, env Env) {
	ctx := t.Context()
	bus := commandbus.New(s, env.Clock)
	if ok := cmdMust(bus.Complete(ctx, "nope", command.StatusExecuted, nil))(t, "Complete unknown"); ok {
		t.Fatalf("Complete of an unknown command = true, want false")
	}
	cmdMust(bus.Record(ctx, cmdReq("c1", "corr")))(t, "Record")
	if ok := cmdMust(bus.Complete(ctx, "c1", command.StatusRejected, json.RawMessage(`{"code":"NOPE"}`)))(t, "first Complete"); !ok {
		t.Fatalf("first Complete = false, want true")
	}
	env.Clock.Advance(time.Minute)
	if ok := cmdMust(bus.Complete(ctx, "c1", command.StatusExecuted, json.RawMessage(`{"x":1}`)))(t, "second Complete"); ok {
		t.Fatalf("second Complete = true, want false (first writer wins)")
	}
	got := cmdMust(bus.Get(ctx, "c1"))(t, "Get")
	if got.Status != command.StatusRejected || string(got.Result) != `{"code":"NOPE"}` || !got.ExecutedAt.Equal(env.Clock.Now().Add(-time.Minute)) {
		t.Fatalf("after two completions: %+v (result %s), want the first: rejected {\"code\":\"NOPE\"}", got, got.Result)
	}
}

func cmdConcurrentRecord(t T, s store.Store, env Env) {
	ctx := t.Context()
	bus := commandbus.New(s, env.Clock)
	const n = 16
	results := make([]commandbus.RecordResult, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	startGate := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-startGate
			results[i], errs[i] = bus.Record(ctx, cmdReq("race", "corr"))
		}()
	}
	close(startGate)
	wg.Wait()
	news := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("racer %d: unexpected error %v", i, errs[i])
		}
		if results[i].New {
			news++
		} else if results[i].ExistingStatus != command.StatusPending {
			t.Fatalf("racer %d: duplicate with status %q, want pending", i, results[i].ExistingStatus)
		}
	}
	if news != 1 {
		t.Fatalf("%d of %d racers saw New, want exactly 1", news, n)
	}
	page := cmdMust(bus.ByCorrelation(ctx, "corr", 0, ""))(t, "ByCorrelation")
	if len(page.Commands) != 1 || page.Commands[0].CommandID != "race" {
		t.Fatalf("records after the race: %+v, want exactly one", page.Commands)
	}
}

func cmdByCorrelation(t T, s store.Store, env Env) {
	ctx := t.Context()
	bus := commandbus.New(s, env.Clock)
	// Five commands of corr-a, one per millisecond, recorded out of id order;
	// two of corr-b and one of corr-a/x (a correlation id that extends corr-a).
	for _, id := range []string{"a3", "a1", "a5", "a2", "a4"} {
		cmdMust(bus.Record(ctx, cmdReq(id, "corr-a")))(t, "Record")
		env.Clock.Advance(time.Millisecond)
	}
	cmdMust(bus.Record(ctx, cmdReq("b1", "corr-b")))(t, "Record")
	cmdMust(bus.Record(ctx, cmdReq("x1", "corr-a/x")))(t, "Record")
	// Two commands in the same millisecond order by command id.
	cmdMust(bus.Record(ctx, cmdReq("a7", "corr-a")))(t, "Record")
	cmdMust(bus.Record(ctx, cmdReq("a6", "corr-a")))(t, "Record")
	cmdMust(bus.Complete(ctx, "a1", command.StatusExecuted, nil))(t, "Complete")

	var all []string
	cursor := ""
	pages := 0
	for {
		p := cmdMust(bus.ByCorrelation(ctx, "corr-a", 3, cursor))(t, "ByCorrelation")
		pages++
		for _, c := range p.Commands {
			all = append(all, c.CommandID)
		}
		if !p.HasMore {
			if p.NextCursor != "" {
				t.Fatalf("last page: nextCursor %q, want empty", p.NextCursor)
			}
			break
		}
		if p.NextCursor == "" || len(p.Commands) != 3 {
			t.Fatalf("page %d: %d commands, nextCursor %q; want 3 and a cursor", pages, len(p.Commands), p.NextCursor)
		}
		cursor = p.NextCursor
		if pages > 10 {
			t.Fatalf("paging does not end")
		}
	}
	want := []string{"a3", "a1", "a5", "a2", "a4", "a6", "a7"}
	if !slices.Equal(all, want) || pages != 3 {
		t.Fatalf("commands of corr-a over %d pages: %v, want %v over 3 pages", pages, all, want)
	}
	p := cmdMust(bus.ByCorrelation(ctx, "corr-a", 0, ""))(t, "ByCorrelation")
	if len(p.Commands) != 7 || p.Commands[1].Status != command.StatusExecuted || p.Commands[1].ExecutedAt.IsZero() ||
		!p.Commands[0].Timestamp.Equal(es.DefaultVirtualStart) || p.Commands[0].CommandType != "CreateOrder" || p.Commands[0].TargetContext != "orders" {
		t.Fatalf("summaries: %+v", p.Commands)
	}
	if p := cmdMust(bus.ByCorrelation(ctx, "corr-none", 0, ""))(t, "ByCorrelation none"); len(p.Commands) != 0 || p.Commands == nil || p.HasMore {
		t.Fatalf("unknown correlation: %+v, want an empty page", p)
	}
	if _, err := bus.ByCorrelation(ctx, "corr-a", -1, ""); es.CodeOf(err) != es.CodeInvalidArgument {
		t.Fatalf("negative limit: %v, want INVALID_ARGUMENT", err)
	}
	// Pages of the largest size still tell whether more follow.
	log := commandbus.NewLog(env.Clock)
	err := s.Atomic(ctx, func(tx store.Tx) error {
		for i := range commandbus.MaxPageSize + 1 {
			if _, err := log.Record(ctx, tx, cmdReq(fmt.Sprintf("big%04d", i), "corr-big")); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("recording %d commands: %v", commandbus.MaxPageSize+1, err)
	}
	full := cmdMust(bus.ByCorrelation(ctx, "corr-big", commandbus.MaxPageSize+500, ""))(t, "ByCorrelation capped")
	if len(full.Commands) != commandbus.MaxPageSize || !full.HasMore || full.NextCursor != commandbus.Cursor(env.Clock.Now(), "big0999") {
		t.Fatalf("largest page: %d commands, hasMore %v, next %q; want %d, true and big0999's cursor",
			len(full.Commands), full.HasMore, full.NextCursor, commandbus.MaxPageSize)
	}
	rest := cmdMust(bus.ByCorrelation(ctx, "corr-big", commandbus.MaxPageSize, full.NextCursor))(t, "ByCorrelation rest")
	if len(rest.Commands) != 1 || rest.Commands[0].CommandID != "big1000" || rest.HasMore || rest.NextCursor != "" {
		t.Fatalf("page after the largest: %+v, want big1000 alone and no more", rest)
	}
}

func cmdCleanup(t T, s store.Store, env Env) {
	ctx := t.Context()
	bus := commandbus.New(s, env.Clock)
	for _, id := range []string{"done1", "pending", "done2", "done3"} {
		r := cmdReq(id, "corr")
		r.TTL = time.Hour
		cmdMust(bus.Record(ctx, r))(t, "Record")
	}
	long := cmdReq("long", "corr") // default TTL: 7 days
	cmdMust(bus.Record(ctx, long))(t, "Record")
	for _, id := range []string{"done1", "done2", "done3", "long"} {
		cmdMust(bus.Complete(ctx, id, command.StatusExecuted, nil))(t, "Complete")
	}
	if r := cmdMust(bus.CleanupExpired(ctx, 0))(t, "early cleanup"); r != (commandbus.CleanupResult{}) {
		t.Fatalf("cleanup before expiry deleted %+v", r)
	}
	env.Clock.Advance(2 * time.Hour)
	r := cmdMust(bus.CleanupExpired(ctx, 2))(t, "cleanup batch 2")
	if r.Commands != 2 || !r.HasMore {
		t.Fatalf("cleanup with batch 2: %+v, want 2 commands and hasMore", r)
	}
	r = cmdMust(bus.CleanupExpired(ctx, 2))(t, "cleanup batch 2 again")
	if r.Commands != 1 || r.HasMore {
		t.Fatalf("second cleanup: %+v, want 1 command and no more", r)
	}
	for id, want := range map[string]bool{"done1": false, "done2": false, "done3": false, "pending": true, "long": true} {
		got := cmdMust(bus.Get(ctx, id))(t, "Get")
		if (got != nil) != want {
			t.Fatalf("after cleanup, command %s present = %v, want %v", id, got != nil, want)
		}
	}
	page := cmdMust(bus.ByCorrelation(ctx, "corr", 0, ""))(t, "ByCorrelation")
	var ids []string
	for _, c := range page.Commands {
		ids = append(ids, c.CommandID)
	}
	if !slices.Equal(ids, []string{"long", "pending"}) { // same millisecond: command id order
		t.Fatalf("correlation index after cleanup: %v, want [long pending]", ids)
	}
	if r := cmdMust(bus.CleanupExpired(ctx, 0))(t, "cleanup of pending only"); r != (commandbus.CleanupResult{}) {
		t.Fatalf("cleanup with only a pending expired command: %+v, want nothing deleted", r)
	}
	if _, err := bus.CleanupExpired(ctx, -1); es.CodeOf(err) != es.CodeInvalidArgument {
		t.Fatalf("negative batch: %v", err)
	}
}

func cmdEventCorrelations(t T, s store.Store, env Env) {
	ctx := t.Context()
	bus := commandbus.New(s, env.Clock)
	t0 := env.Clock.Now()
	req := commandbus.CorrelationRequest{CommandID: "c1", EventIDs: []string{"e1", "e2"}, CommandType: "CreateOrder", BoundedContext: "orders", TTL: time.Hour}
	if err := bus.RecordEventCorrelation(ctx, req); err != nil {
		t.Fatalf("RecordEventCorrelation: %v", err)
	}
	env.Clock.Advance(time.Millisecond)
	req.EventIDs = []string{"e2", "e3", "e3"}
	if err := bus.RecordEventCorrelation(ctx, req); err != nil {
		t.Fatalf("RecordEventCorrelation merge: %v", err)
	}
	c := cmdMust(bus.EventsByCommand(ctx, "c1"))(t, "EventsByCommand")
	if c == nil || !slices.Equal(c.EventIDs, []string{"e1", "e2", "e3"}) || !c.CreatedAt.Equal(t0) || !c.ExpiresAt.Equal(t0.Add(time.Hour)) || c.BoundedContext != "orders" {
		t.Fatalf("correlation after merge: %+v, want events [e1 e2 e3] created at %s", c, t0)
	}
	for i, id := range []string{"c2", "c3"} {
		env.Clock.Advance(time.Millisecond)
		if err := bus.RecordEventCorrelation(ctx, commandbus.CorrelationRequest{CommandID: id, EventIDs: []string{fmt.Sprint("f", i)}, CommandType: "X", BoundedContext: "orders"}); err != nil {
			t.Fatalf("RecordEventCorrelation: %v", err)
		}
	}
	if err := bus.RecordEventCorrelation(ctx, commandbus.CorrelationRequest{CommandID: "d1", EventIDs: []string{"g"}, CommandType: "X", BoundedContext: "billing"}); err != nil {
		t.Fatalf("RecordEventCorrelation: %v", err)
	}
	ids := func(cs []commandbus.Correlation) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.CommandID)
		}
		return out
	}
	all := cmdMust(bus.CorrelationsByContext(ctx, "orders", 0, nil))(t, "CorrelationsByContext")
	if !slices.Equal(ids(all), []string{"c1", "c2", "c3"}) {
		t.Fatalf("orders correlations: %v, want [c1 c2 c3]", ids(all))
	}
	after := t0
	if got := ids(cmdMust(bus.CorrelationsByContext(ctx, "orders", 0, &after))(t, "after")); !slices.Equal(got, []string{"c2", "c3"}) {
		t.Fatalf("orders correlations after t0: %v, want [c2 c3]", got)
	}
	if got := ids(cmdMust(bus.CorrelationsByContext(ctx, "orders", 1, nil))(t, "limit")); !slices.Equal(got, []string{"c1"}) {
		t.Fatalf("limit 1: %v", got)
	}
	if c := cmdMust(bus.EventsByCommand(ctx, "nope"))(t, "unknown"); c != nil {
		t.Fatalf("EventsByCommand(unknown) = %+v, want nil", c)
	}
	env.Clock.Advance(2 * time.Hour)
	r := cmdMust(bus.CleanupExpired(ctx, 0))(t, "cleanup")
	if r.Correlations != 1 || r.Commands != 0 {
		t.Fatalf("cleanup: %+v, want exactly the 1-hour correlation deleted", r)
	}
	if got := ids(cmdMust(bus.CorrelationsByContext(ctx, "orders", 0, nil))(t, "after cleanup")); !slices.Equal(got, []string{"c2", "c3"}) {
		t.Fatalf("after cleanup: %v", got)
	}

	// InsertCompleted with events (the orchestrator's path) writes the
	// command and its correlation in one write; a correlation that exists
	// already is merged like RecordEventCorrelation; a taken command id
	// conflicts and writes neither.
	log := commandbus.NewLog(env.Clock)
	insert := func(id string, events commandbus.CorrelationRequest) error {
		t.Helper()
		return s.Atomic(ctx, func(tx store.Tx) error {
			return log.InsertCompleted(ctx, tx, cmdReq(id, "corr-i"), command.StatusExecuted, json.RawMessage(`{"ok":true}`), &events)
		})
	}
	if err := insert("i1", commandbus.CorrelationRequest{CommandID: "i1", EventIDs: []string{"h1", "h2", "h1"}, CommandType: "X", BoundedContext: "shipping"}); err != nil {
		t.Fatalf("InsertCompleted i1: %v", err)
	}
	if err := insert("c2", commandbus.CorrelationRequest{CommandID: "c2", EventIDs: []string{"f0", "f9"}, CommandType: "X", BoundedContext: "orders"}); err != nil {
		t.Fatalf("InsertCompleted c2: %v", err)
	}
	err := insert("i1", commandbus.CorrelationRequest{CommandID: "i1", EventIDs: []string{"h3"}, CommandType: "X", BoundedContext: "shipping"})
	if es.CodeOf(err) != es.CodeVersionConflict {
		t.Fatalf("InsertCompleted of a recorded command id: %v, want VERSION_CONFLICT", err)
	}
	if c := cmdMust(bus.Get(ctx, "i1"))(t, "Get i1"); c == nil || c.Status != command.StatusExecuted || string(c.Result) != `{"ok":true}` {
		t.Fatalf("command inserted with its correlation: %+v, want executed with result {\"ok\":true}", c)
	}
	if c := cmdMust(bus.EventsByCommand(ctx, "i1"))(t, "i1"); c == nil || !slices.Equal(c.EventIDs, []string{"h1", "h2"}) || c.BoundedContext != "shipping" {
		t.Fatalf("inserted correlation: %+v, want events [h1 h2] in shipping (the conflicting insert adds nothing)", c)
	}
	if c := cmdMust(bus.EventsByCommand(ctx, "c2"))(t, "c2"); c == nil || !slices.Equal(c.EventIDs, []string{"f0", "f9"}) {
		t.Fatalf("correlation merged by InsertCompleted: %+v, want events [f0 f9]", c)
	}
	if got := ids(cmdMust(bus.CorrelationsByContext(ctx, "shipping", 0, nil))(t, "shipping")); !slices.Equal(got, []string{"i1"}) {
		t.Fatalf("shipping correlations: %v, want [i1]", got)
	}
	if got := ids(cmdMust(bus.CorrelationsByContext(ctx, "orders", 0, nil))(t, "orders after insert")); !slices.Equal(got, []string{"c2", "c3"}) {
		t.Fatalf("orders correlations after merging c2: %v, want [c2 c3] (no second entry)", got)
	}
}

func cmdRecordRollsBack(t T, s store.Store, env Env) {
	ctx := t.Context()
	log := commandbus.NewLog(env.Clock)
	boom := es.Errorf(es.CodeInjectedFault, "roll back")
	err := s.Atomic(ctx, func(tx store.Tx) error {
		if _, err := log.Record(ctx, tx, cmdReq("c1", "corr")); err != nil {
			return err
		}
		if err := log.RecordEventCorrelation(ctx, tx, commandbus.CorrelationRequest{CommandID: "c1", EventIDs: []string{"e"}, BoundedContext: "orders"}); err != nil {
			return err
		}
		return boom
	})
	if err != boom {
		t.Fatalf("Atomic = %v, want the function's error", err)
	}
	bus := commandbus.New(s, env.Clock)
	if c := cmdMust(bus.Get(ctx, "c1"))(t, "Get"); c != nil {
		t.Fatalf("rolled-back Record left %+v", c)
	}
	if c := cmdMust(bus.EventsByCommand(ctx, "c1"))(t, "EventsByCommand"); c != nil {
		t.Fatalf("rolled-back correlation left %+v", c)
	}
	if p := cmdMust(bus.ByCorrelation(ctx, "corr", 0, ""))(t, "ByCorrelation"); len(p.Commands) != 0 {
		t.Fatalf("rolled-back Record left index rows: %+v", p)
	}
	r := cmdMust(bus.Record(ctx, cmdReq("c1", "corr")))(t, "Record again")
	if !r.New {
		t.Fatalf("Record after a rolled-back Record: %+v, want New", r)
	}
}

// cmdEngine returns an engine on s with the order domain registered.
func cmdEngine(t T, s store.Store, env Env) *engine.Engine {
	t.Helper()
	e := engine.New(s, engine.WithClock(env.Clock), engine.WithIDs(env.IDs))
	if err := enginetest.Register(e.Registry()); err != nil {
		t.Fatalf("registering the order domain: %v", err)
	}
	return e
}

// cmdDispatchIdempotent: 16 goroutines dispatch the same command id; the
// command executes once, every caller gets the same result (exactly one
// without the duplicate flag), and the store holds one event, one command
// record and one follow-up job.
func cmdDispatchIdempotent(t T, s store.Store, env Env) {
	ctx := t.Context()
	e := cmdEngine(t, s, env)
	cmd := command.MustNew("CreateOrder", enginetest.CreateOrder{OrderID: "o1", CustomerID: "c1"}).WithID("create-o1")
	const n = 16
	results := make([]command.Result, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			results[i], errs[i] = e.Dispatch(ctx, cmd)
		}()
	}
	close(gate)
	wg.Wait()
	firsts := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("dispatcher %d: unexpected error %v", i, errs[i])
		}
		if !results[i].Duplicate {
			firsts++
		}
	}
	if firsts != 1 {
		t.Fatalf("%d of %d dispatchers executed the command, want exactly 1", firsts, n)
	}
	want := results[0]
	want.Duplicate = false
	if want.Status != command.StatusExecuted || want.Version != 1 || len(want.EventIDs) != 1 || want.Stream != "Order-o1" {
		t.Fatalf("result = %+v, want executed at version 1 with one event on Order-o1", want)
	}
	for i := 1; i < n; i++ {
		got := results[i]
		got.Duplicate = false
		if d := cmp.Diff(want, got); d != "" {
			t.Fatalf("dispatcher %d got a different result (-first +this):\n%s", i, d)
		}
	}
	events := cmdMust(store.ReadStream(ctx, s, "Order-o1", store.StreamRead{}))(t, "ReadStream")
	if len(events) != 1 || events[0].Metadata.EventID != want.EventIDs[0] {
		t.Fatalf("stream Order-o1 holds %d events, want exactly the one of the result", len(events))
	}
	page := cmdMust(commandbus.New(s, env.Clock).ByCorrelation(ctx, want.CorrelationID, 0, ""))(t, "ByCorrelation")
	if len(page.Commands) != 1 || page.Commands[0].Status != command.StatusExecuted {
		t.Fatalf("command log: %+v, want one executed command", page.Commands)
	}
	var jobs int
	err := s.Atomic(ctx, func(tx store.Tx) error {
		cl, err := tx.Jobs().Claim(ctx, 100, 0)
		jobs = len(cl)
		return err
	})
	if err != nil || jobs != 1 {
		t.Fatalf("follow-up jobs: %d (%v), want exactly 1", jobs, err)
	}
}

// cmdDispatchAtomic: a command whose append conflicts writes nothing — no
// event, no CMS change, no command record, no job — and its retry with the
// same command id starts fresh.
func cmdDispatchAtomic(t T, s store.Store, env Env) {
	ctx := t.Context()
	e := cmdEngine(t, s, env)
	r := cmdMust(e.Dispatch(ctx, command.MustNew("CreateOrder", enginetest.CreateOrder{OrderID: "o1", CustomerID: "c1"})))(t, "CreateOrder")
	if r.Status != command.StatusExecuted {
		t.Fatalf("CreateOrder: %+v", r)
	}
	// Make the next append conflict: a hook appends to the order's stream
	// inside the command's unit of work, after the CMS was written.
	stray, _ := enginetest.Codec.Encode(enginetest.ItemAdded{OrderID: "o1", SKU: "stray", Qty: 1})
	conflicting := engine.New(s, engine.WithClock(env.Clock), engine.WithIDs(env.IDs), engine.WithRegistry(e.Registry()),
		engine.WithOrchestratorOptions(orchestrator.WithHook(func(ctx context.Context, tx store.Tx, out orchestrator.Outcome) error {
			_, err := tx.Events().Append(ctx, es.AppendRequest{Stream: "Order-o1", Expected: es.Exact(1), Events: []es.Event{stray}})
			return err
		})))
	cmd := command.MustNew("AddItem", enginetest.AddItem{OrderID: "o1", SKU: "a", Qty: 1}).WithID("add-1")
	_, err := conflicting.Dispatch(ctx, cmd)
	var ae *command.AbortError
	if !errors.As(err, &ae) || ae.ErrCode != command.CodePostAppendAbort {
		t.Fatalf("conflicting follow-up: error %v, want EVENT_STORE_POST_APPEND_ABORT", err)
	}
	events := cmdMust(store.ReadStream(ctx, s, "Order-o1", store.StreamRead{}))(t, "ReadStream")
	if len(events) != 1 {
		t.Fatalf("after the abort the stream holds %d events, want 1", len(events))
	}
	if c := cmdMust(commandbus.New(s, env.Clock).Get(ctx, "add-1"))(t, "Get"); c != nil {
		t.Fatalf("after the abort the command is recorded: %+v", c)
	}
	var cms orchestrator.CMSDocument
	err = s.Atomic(ctx, func(tx store.Tx) error {
		d, err := tx.Documents().Get(ctx, "cms.Order", "o1")
		if err != nil {
			return err
		}
		return json.Unmarshal(d.Data, &cms)
	})
	if err != nil || cms.Version != 1 {
		t.Fatalf("CMS after the abort: %+v (%v), want version 1", cms, err)
	}
	r = cmdMust(e.Dispatch(ctx, cmd))(t, "retry")
	if r.Duplicate || r.Status != command.StatusExecuted || r.Version != 2 {
		t.Fatalf("retry after the abort: %+v, want a fresh execution at version 2", r)
	}
}
