package orchestrator_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/eventspec/eventspec/memstore"
	"github.com/eventspec/eventspec/platform/command"
	"github.com/eventspec/eventspec/platform/command/registry"
	"github.com/eventspec/eventspec/platform/decider"
	"github.com/eventspec/eventspec/platform/orchestrator"
	"github.com/eventspec/eventspec/store"
)

// tally is a state with a map, so sharing it between commands would show.
type tally struct {
	N map[string]int `json:"n"`
}

type bump struct {
	ID  string `json:"id"`
	Key string `json:"key"`
}

type bumped struct {
	Key string `json:"key"`
}

// tallyFixture runs Bump commands through a decider handler with the state
// cache on, counting how often the stored state is decoded. A Bump with key
// "evil" mutates the state it is given (breaking the decider contract) and
// is rejected; key "abort" makes a hook abort the unit of work after the
// handler ran.
type tallyFixture struct {
	t       *testing.T
	ctx     context.Context
	s       *memstore.Store
	o       *orchestrator.Orchestrator
	decodes int
	// seen and made are the maps Decide was given and Evolve made, in
	// order (identity, not contents).
	seen, made []uintptr
}

func newTallyFixture(t *testing.T, cacheSize int) *tallyFixture {
	return newTallyFixtureWith(t, cacheSize, false)
}

// newTallyFixtureWith is newTallyFixture; shared turns the cache on with
// DeciderConfig.CacheState instead of CloneState.
func newTallyFixtureWith(t *testing.T, cacheSize int, shared bool) *tallyFixture {
	f := &tallyFixture{t: t, ctx: context.Background(), s: memstore.New()}
	codec, err := decider.NewJSONCodec[bumped](bumped{})
	if err != nil {
		t.Fatal(err)
	}
	d := decider.Decider[tally, bump, bumped]{
		Name:    "tally",
		Initial: func() tally { return tally{} },
		Decide: func(s tally, c bump, _ decider.Context) decider.Outcome[bumped] {
			f.seen = append(f.seen, reflect.ValueOf(s.N).Pointer())
			if c.Key == "evil" {
				if s.N != nil {
					s.N["a"] = 1000
				}
				return decider.Rejected[bumped]("EVIL", "mutated the state")
			}
			return decider.Success(bumped{Key: c.Key})
		},
		Evolve: func(s tally, e bumped) tally {
			n := make(map[string]int, len(s.N)+1)
			for k, v := range s.N {
				n[k] = v
			}
			n[e.Key]++
			f.made = append(f.made, reflect.ValueOf(n).Pointer())
			return tally{N: n}
		},
	}
	clone := func(s tally) tally {
		n := make(map[string]int, len(s.N))
		for k, v := range s.N {
			n[k] = v
		}
		return tally{N: n}
	}
	if shared {
		clone = nil
	}
	h, err := orchestrator.DeciderHandler(orchestrator.DeciderConfig[tally, bump, bumped]{
		Decider: d, Codec: codec, StateCacheSize: cacheSize,
		DecodeState: func(raw json.RawMessage, s tally) (tally, error) {
			f.decodes++
			err := json.Unmarshal(raw, &s)
			return s, err
		},
		CloneState: clone,
		CacheState: shared,
	})
	if err != nil {
		t.Fatal(err)
	}
	reg := registry.New(registry.WithClock(f.s.Clock()))
	if _, err := registry.DefineAggregate(reg, registry.AggregateDef{CommandType: "Bump", BoundedContext: "tallies",
		TargetAggregate: "Tally", AggregateIDField: "id", Handler: h}); err != nil {
		t.Fatal(err)
	}
	f.o = orchestrator.New(f.s, reg, orchestrator.WithClock(f.s.Clock()), orchestrator.WithIDs(f.s.IDs()),
		orchestrator.WithHook(func(_ context.Context, _ store.Tx, out orchestrator.Outcome) error {
			var b bump
			if err := out.Command.Decode(&b); err != nil || b.Key == "abort" {
				return errors.New("hook refuses")
			}
			return nil
		}))
	return f
}

func (f *tallyFixture) bump(id, key string) (command.Result, error) {
	return f.o.Execute(f.ctx, command.MustNew("Bump", bump{ID: id, Key: key}))
}

func (f *tallyFixture) mustBump(id, key string, wantStatus command.Status) {
	f.t.Helper()
	r, err := f.bump(id, key)
	if err != nil || r.Status != wantStatus {
		f.t.Fatalf("Bump %s %s = %+v, %v; want %s", id, key, r, err, wantStatus)
	}
}

// state is the stored CMS state and version of tally id.
func (f *tallyFixture) state(id string) (string, int64, int64) {
	f.t.Helper()
	var doc store.Document
	if err := f.s.Atomic(f.ctx, func(tx store.Tx) error {
		var err error
		doc, err = tx.Documents().Get(f.ctx, orchestrator.CMSCollectionPrefix+"Tally", id)
		return err
	}); err != nil {
		f.t.Fatal(err)
	}
	var c orchestrator.CMSDocument
	if err := json.Unmarshal(doc.Data, &c); err != nil {
		f.t.Fatal(err)
	}
	return string(c.State), c.Version, doc.Version
}

func (f *tallyFixture) wantState(id, state string, version int64, decodes int) {
	f.t.Helper()
	got, v, _ := f.state(id)
	if got != state || v != version || f.decodes != decodes {
		f.t.Fatalf("tally %s: state %s v%d after %d decodes; want %s v%d after %d", id, got, v, f.decodes, state, version, decodes)
	}
}

func TestDeciderStateCache(t *testing.T) {
	f := newTallyFixture(t, 0)
	f.mustBump("t1", "a", command.StatusExecuted) // no CMS yet: nothing to decode
	f.mustBump("t1", "a", command.StatusExecuted) // the state the first command stored: cached
	f.mustBump("t1", "b", command.StatusExecuted)
	f.wantState("t1", `{"n":{"a":2,"b":1}}`, 3, 0)

	// A decider that mutates its state only spoils its own copy.
	f.mustBump("t1", "evil", command.StatusRejected)
	f.mustBump("t1", "a", command.StatusExecuted)
	f.wantState("t1", `{"n":{"a":3,"b":1}}`, 4, 0)

	// The unit of work aborts after the handler cached the state it meant
	// to store: the next command must not start from it.
	if _, err := f.bump("t1", "abort"); !command.IsAbort(err) {
		t.Fatalf("abort: %v", err)
	}
	f.wantState("t1", `{"n":{"a":3,"b":1}}`, 4, 0)
	f.mustBump("t1", "b", command.StatusExecuted)
	f.wantState("t1", `{"n":{"a":3,"b":2}}`, 5, 1)

	// Someone else rewrites the CMS at the same aggregate version: the
	// stored bytes win.
	_, _, docVersion := f.state("t1")
	if err := f.s.Atomic(f.ctx, func(tx store.Tx) error {
		_, err := tx.Documents().Update(f.ctx, orchestrator.CMSCollectionPrefix+"Tally", "t1", docVersion,
			json.RawMessage(`{"stateVersion":1,"version":5,"state":{"n":{"z":7}}}`))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	f.mustBump("t1", "a", command.StatusExecuted)
	f.wantState("t1", `{"n":{"a":1,"z":7}}`, 6, 2)
	f.mustBump("t1", "a", command.StatusExecuted)
	f.wantState("t1", `{"n":{"a":2,"z":7}}`, 7, 2)
}

// TestDeciderStateCacheShared checks CacheState: the cache works as with
// CloneState (same states, same decodes), and the next command's Decide
// gets the very map the last command's Evolve made — where CloneState hands
// out a copy.
func TestDeciderStateCacheShared(t *testing.T) {
	for _, shared := range []bool{false, true} {
		f := newTallyFixtureWith(t, 0, shared)
		f.mustBump("t1", "a", command.StatusExecuted)
		f.mustBump("t1", "a", command.StatusExecuted)
		f.mustBump("t1", "b", command.StatusExecuted)
		f.wantState("t1", `{"n":{"a":2,"b":1}}`, 3, 0)
		if len(f.seen) != 3 || len(f.made) != 3 {
			t.Fatalf("shared %v: %d decisions and %d evolutions, want 3 and 3", shared, len(f.seen), len(f.made))
		}
		for i := 1; i < 3; i++ {
			if same := f.seen[i] == f.made[i-1]; same != shared {
				t.Errorf("shared %v: command %d decided on the map command %d made: %v, want %v", shared, i+1, i, same, shared)
			}
		}
		// An aborted unit of work still never leaks its state.
		if _, err := f.bump("t1", "abort"); !command.IsAbort(err) {
			t.Fatalf("abort: %v", err)
		}
		f.mustBump("t1", "b", command.StatusExecuted)
		f.wantState("t1", `{"n":{"a":2,"b":2}}`, 4, 1)
	}
}

func TestDeciderStateCacheEvictsOldest(t *testing.T) {
	f := newTallyFixture(t, 2)
	for _, id := range []string{"t1", "t2", "t3"} {
		f.mustBump(id, "a", command.StatusExecuted)
	}
	f.mustBump("t3", "a", command.StatusExecuted) // cached
	f.mustBump("t2", "a", command.StatusExecuted) // cached
	f.wantState("t2", `{"n":{"a":2}}`, 2, 0)
	f.mustBump("t1", "a", command.StatusExecuted) // evicted by t3: decoded
	f.wantState("t1", `{"n":{"a":2}}`, 2, 1)
	f.mustBump("t3", "a", command.StatusExecuted) // t1's return evicted t2, not t3
	f.wantState("t3", `{"n":{"a":3}}`, 3, 1)
	f.mustBump("t2", "a", command.StatusExecuted)
	f.wantState("t2", `{"n":{"a":3}}`, 3, 2)
}

// TestHandlerGetsDecodedArgs checks a registration's Decode reaches the
// handler as HandlerContext.Args, and that a payload replaced by middleware
// is not paired with arguments decoded from the original.
func TestHandlerGetsDecodedArgs(t *testing.T) {
	type args struct {
		ID string `json:"id"`
		N  int    `json:"n"`
	}
	var seen []any
	pipe := orchestrator.PipelineFunc(func(ctx context.Context, info command.Info, next orchestrator.Next) (command.Result, error) {
		if info.Command.Metadata.UserID == "rewriter" {
			info.Command.Payload = json.RawMessage(`{"id":"t1","n":9}`)
		}
		return next(ctx, info)
	})
	s := memstore.New()
	reg := registry.New(registry.WithClock(s.Clock()))
	if _, err := registry.DefineAggregate(reg, registry.AggregateDef{CommandType: "DoThing", BoundedContext: "things",
		TargetAggregate: "Thing", AggregateIDField: "id", Decode: registry.SchemaDecoder[args](),
		Handler: func(ctx context.Context, hc *command.HandlerContext) (command.HandlerResult, error) {
			seen = append(seen, hc.Args)
			return command.Success(nil, 0), nil
		}}); err != nil {
		t.Fatal(err)
	}
	o := orchestrator.New(s, reg, orchestrator.WithClock(s.Clock()), orchestrator.WithIDs(s.IDs()), orchestrator.WithPipeline(pipe))
	ctx := context.Background()
	for _, c := range []command.Command{
		command.MustNew("DoThing", args{ID: "t1", N: 1}),
		command.MustNew("DoThing", args{ID: "t1", N: 2}).WithUser("rewriter"),
	} {
		if r, err := o.Execute(ctx, c); err != nil || r.Status != command.StatusExecuted {
			t.Fatalf("Execute: %+v, %v", r, err)
		}
	}
	if len(seen) != 2 || seen[0] != (args{ID: "t1", N: 1}) || seen[1] != nil {
		t.Fatalf("handler saw args %#v; want the decoded arguments, then nil for a payload middleware replaced", seen)
	}
	if r, err := o.Execute(ctx, command.MustNew("DoThing", map[string]any{"id": "t1", "n": "x"})); err != nil || r.Status != command.StatusRejected || len(seen) != 2 {
		t.Fatalf("invalid arguments: %+v, %v (handler calls %d)", r, err, len(seen))
	}
}
