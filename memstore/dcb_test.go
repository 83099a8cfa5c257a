package memstore_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/memstore"
	"github.com/eventspec/eventspec/store"
)

var (
	genType = rapid.SampledFrom([]string{"A", "B", "C"})
	genTag  = rapid.SampledFrom([]es.Tag{"t:1", "t:2", "t:3", "u:1"})
)

func genTags(t *rapid.T, label string) []es.Tag {
	return rapid.SliceOfNDistinct(genTag, 0, 3, func(x es.Tag) es.Tag { return x }).Draw(t, label)
}

func genQuery(t *rapid.T) es.Query {
	if rapid.IntRange(0, 9).Draw(t, "all?") == 0 {
		return es.All()
	}
	n := rapid.IntRange(1, 3).Draw(t, "items")
	items := make([]es.QueryItem, n)
	for i := range items {
		types := rapid.SliceOfNDistinct(genType, 0, 2, func(x string) string { return x }).Draw(t, "types")
		tags := genTags(t, "qtags")
		if len(types) == 0 && len(tags) == 0 {
			types = []string{genType.Draw(t, "type")}
		}
		items[i] = es.QueryItem{Types: types, Tags: tags}
	}
	return es.Items(items...)
}

// TestDCBAgreesWithReference builds random logs (with rolled-back units of
// work in between, so the indexes are truncated too) and checks every
// query read and every condition against es.Query.Matches and
// es.AppendCondition.ConflictsWith over the whole log.
func TestDCBAgreesWithReference(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		ctx := context.Background()
		s := memstore.New()
		var model []es.Recorded
		steps := rapid.IntRange(1, 40).Draw(rt, "steps")
		for range steps {
			switch rapid.IntRange(0, 4).Draw(rt, "op") {
			case 0, 1: // append, maybe conditional
				e := ev(genType.Draw(rt, "etype"), genTags(rt, "etags")...)
				req := es.AppendRequest{Events: []es.Event{e}}
				var cond *es.AppendCondition
				if rapid.Bool().Draw(rt, "conditional") {
					c := es.FailIfMatch(genQuery(rt))
					if rapid.Bool().Draw(rt, "after?") {
						c = c.WithAfter(es.Position(rapid.IntRange(0, len(model)+2).Draw(rt, "after")))
					}
					cond = &c
					req.Condition = cond
				}
				want := false
				if cond != nil {
					for _, r := range model {
						if cond.ConflictsWith(r.Event, r.Position) {
							want = true
						}
					}
				}
				res, err := store.Append(ctx, s, req)
				if want {
					if !errors.Is(err, es.ErrAppendCondition) {
						rt.Fatalf("condition %v: append = %v, want APPEND_CONDITION_FAILED", cond, err)
					}
					continue
				}
				if err != nil {
					rt.Fatalf("condition %v: append failed: %v", cond, err)
				}
				model = append(model, es.Recorded{Event: e, Position: res.Positions[0]})
			case 2: // a unit of work that appends and rolls back
				_ = s.Atomic(ctx, func(tx store.Tx) error {
					for range rapid.IntRange(1, 3).Draw(rt, "rolled") {
						e := ev(genType.Draw(rt, "rtype"), genTags(rt, "rtags")...)
						if _, err := tx.Events().Append(ctx, es.AppendRequest{Stream: "r", Events: []es.Event{e}}); err != nil {
							rt.Fatalf("append in rolled-back unit: %v", err)
						}
					}
					return errors.New("roll back")
				})
			default: // read
				q := genQuery(rt)
				opts := store.QueryRead{
					After:     es.Position(rapid.IntRange(0, len(model)+1).Draw(rt, "rafter")),
					Limit:     rapid.IntRange(0, 4).Draw(rt, "limit"),
					Backwards: rapid.Bool().Draw(rt, "backwards"),
				}
				var want []es.Position
				for _, r := range model {
					if r.Position > opts.After && q.Matches(r.Event) {
						want = append(want, r.Position)
					}
				}
				if opts.Backwards {
					slices.Reverse(want)
				}
				complete := true
				if opts.Limit > 0 && len(want) > opts.Limit {
					want, complete = want[:opts.Limit], false
				}
				got, err := store.ReadQuery(ctx, s, q, opts)
				if err != nil {
					rt.Fatalf("read %v %+v: %v", q, opts, err)
				}
				if diff := cmp.Diff(want, positions(got.Events)); diff != "" {
					rt.Fatalf("read %v %+v (-want +got):\n%s", q, opts, diff)
				}
				if got.Head != es.Position(len(model)) || got.Complete != complete {
					rt.Fatalf("read %v %+v: head %d complete %v; want %d %v", q, opts, got.Head, got.Complete, len(model), complete)
				}
				for _, r := range got.Events {
					m := model[r.Position-1]
					if r.Type != m.Type || !slices.Equal(r.Tags, m.Tags) {
						rt.Fatalf("event at %d is %+v, want %+v", r.Position, r.Event, m.Event)
					}
				}
			}
		}
	})
}

// FuzzQueryRead feeds arbitrary query shapes to the store: bad ones fail
// with INVALID_QUERY, good ones agree with the reference; nothing panics.
func FuzzQueryRead(f *testing.F) {
	f.Add("A", "t:1", "", false)
	f.Add("", "", "", true)
	f.Add("A\x00", "t", "t", false)
	f.Add("", "t:1", "t:1", false)
	s := memstore.New()
	ctx := context.Background()
	mustAppend(f, s, es.AppendRequest{Stream: "x", Events: []es.Event{ev("A", "t:1", "t:2"), ev("B", "t:1")}})
	f.Fuzz(func(t *testing.T, typ, tag1, tag2 string, all bool) {
		var q es.Query
		switch {
		case all:
			q = es.All()
		default:
			it := es.QueryItem{}
			if typ != "" {
				it.Types = []string{typ}
			}
			for _, tg := range []string{tag1, tag2} {
				if tg != "" {
					it.Tags = append(it.Tags, es.Tag(tg))
				}
			}
			q = es.Items(it)
		}
		res, err := store.ReadQuery(ctx, s, q, store.QueryRead{})
		if verr := q.Validate(); verr != nil {
			wantCode(t, err, es.CodeInvalidQuery)
			return
		}
		if err != nil {
			t.Fatalf("valid query %v: %v", q, err)
		}
		var want []es.Position
		for _, r := range readAll(t, s) {
			if q.Matches(r.Event) {
				want = append(want, r.Position)
			}
		}
		if !slices.Equal(want, positions(res.Events)) {
			t.Fatalf("query %v: got %v want %v", q, positions(res.Events), want)
		}
	})
}
