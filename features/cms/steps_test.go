package cms_test

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/features/internal/backends"
	"github.com/eventspec/eventspec/platform/cms"
	"github.com/eventspec/eventspec/steps"
	"github.com/eventspec/eventspec/store"
)

//go:embed *.feature
var specs embed.FS

func TestFeatures(t *testing.T) {
	backends.Run(t, steps.Options{Features: specs, Register: register})
}

const collection = "orderCMS"

type world struct {
	repo     *cms.Repository[cms.Doc]
	written  cms.Written
	contract cms.Contract
	outcomes []error
}

func state(ctx context.Context) (*steps.World, *world, store.Store, error) {
	w := steps.WorldFrom(ctx)
	st, ok := w.Scenario["cms"].(*world)
	if !ok {
		st = &world{}
		w.Scenario["cms"] = st
	}
	s, err := w.Store()
	if err == nil && st.repo == nil {
		err = errors.New("no repository: add \"Given the order CMS repository\"")
	}
	return w, st, s, err
}

func doc(raw string) (cms.Doc, error) {
	var d cms.Doc
	if err := json.Unmarshal([]byte(raw), &d); err != nil || d == nil {
		return nil, fmt.Errorf("%s is not a JSON object", raw)
	}
	return d, nil
}

func canonical(v any) string {
	raw, _ := json.Marshal(v)
	c, err := es.CanonicalJSON(raw)
	if err != nil {
		return string(raw)
	}
	return string(c)
}

func same(got any, want string) error {
	d, err := doc(want)
	if err != nil {
		return err
	}
	if g, w := canonical(got), canonical(d); g != w {
		return fmt.Errorf("got %s, want %s", g, w)
	}
	return nil
}

func events(list string) []es.Event {
	var out []es.Event
	for _, t := range strings.Split(list, ",") {
		out = append(out, es.MustEvent(strings.TrimSpace(t), map[string]string{}))
	}
	return out
}

func register(s *steps.Suite) {
	s.Given(`^the order CMS repository$`, func(ctx context.Context) error {
		w := steps.WorldFrom(ctx)
		up, err := cms.NewUpcaster(1, nil)
		if err != nil {
			return err
		}
		r, err := cms.NewRepository[cms.Doc](cms.Config{Collection: collection, Upcaster: up})
		w.Scenario["cms"] = &world{repo: r}
		return err
	})
	s.Given(`^the stored order "([^"]*)" (\{.*\})$`, func(ctx context.Context, id, raw string) error {
		_, _, s, err := state(ctx)
		if err != nil {
			return err
		}
		return s.Atomic(ctx, func(tx store.Tx) error {
			_, err := tx.Documents().Insert(ctx, collection, id, json.RawMessage(raw))
			return err
		})
	})
	s.When(`^I load order "([^"]*)"$`, func(ctx context.Context, id string) error {
		w, st, s, err := state(ctx)
		if err != nil {
			return err
		}
		var l cms.Loaded[cms.Doc]
		err = s.Atomic(ctx, func(tx store.Tx) error {
			var err error
			l, err = st.repo.Load(ctx, tx.Documents(), id)
			return err
		})
		return w.Capture(&l, err)
	})
	s.When(`^I try to load order "([^"]*)"$`, func(ctx context.Context, id string) error {
		w, st, s, err := state(ctx)
		if err != nil {
			return err
		}
		var l *cms.Loaded[cms.Doc]
		err = s.Atomic(ctx, func(tx store.Tx) error {
			var err error
			l, err = st.repo.TryLoad(ctx, tx.Documents(), id)
			return err
		})
		return w.Capture(l, err)
	})
	loaded := func(ctx context.Context) (*cms.Loaded[cms.Doc], error) {
		w := steps.WorldFrom(ctx)
		if w.LastErr != nil {
			return nil, w.LastErr
		}
		l, _ := w.LastResult.(*cms.Loaded[cms.Doc])
		return l, nil
	}
	s.Then(`^the loaded order should be (\{.*\})$`, func(ctx context.Context, want string) error {
		l, err := loaded(ctx)
		if err != nil || l == nil {
			return errors.Join(err, errors.New("nothing loaded"))
		}
		return same(l.State, want)
	})
	s.Then(`^the loaded order version should be (\d+)$`, func(ctx context.Context, v int64) error {
		l, err := loaded(ctx)
		if err != nil || l == nil || l.Version != v {
			return fmt.Errorf("loaded %+v, error %v; want version %d", l, err, v)
		}
		return nil
	})
	s.Then(`^nothing should be loaded$`, func(ctx context.Context) error {
		l, err := loaded(ctx)
		if err != nil || l != nil {
			return fmt.Errorf("loaded %+v, error %v", l, err)
		}
		return nil
	})
	s.Then(`^the error should be an? (NotFoundError|VersionConflictError)$`, func(ctx context.Context, kind string) error {
		err := steps.WorldFrom(ctx).LastErr
		ok := cms.IsNotFoundError(err)
		if kind == "VersionConflictError" {
			ok = cms.IsVersionConflictError(err)
		}
		if !ok {
			return fmt.Errorf("%v is not a %s", err, kind)
		}
		return nil
	})
	s.Then(`^order "([^"]*)" should (exist|not exist)$`, func(ctx context.Context, id, verdict string) error {
		_, st, s, err := state(ctx)
		if err != nil {
			return err
		}
		var ok bool
		err = s.Atomic(ctx, func(tx store.Tx) error {
			var err error
			ok, err = st.repo.Exists(ctx, tx.Documents(), id)
			return err
		})
		if err == nil && ok != (verdict == "exist") {
			err = fmt.Errorf("Exists(%s) = %v", id, ok)
		}
		return err
	})
	s.When(`^I load the orders "([^"]*)"$`, func(ctx context.Context, list string) error {
		w, st, s, err := state(ctx)
		if err != nil {
			return err
		}
		var ids []string
		for _, id := range strings.Split(list, ",") {
			ids = append(ids, strings.TrimSpace(id))
		}
		var out []*cms.Loaded[cms.Doc]
		err = s.Atomic(ctx, func(tx store.Tx) error {
			var err error
			out, err = st.repo.LoadMany(ctx, tx.Documents(), ids)
			return err
		})
		return w.Capture(out, err)
	})
	s.Then(`^the loaded orders should be "([^"]*)"$`, func(ctx context.Context, want string) error {
		w := steps.WorldFrom(ctx)
		if w.LastErr != nil {
			return w.LastErr
		}
		ls, _ := w.LastResult.([]*cms.Loaded[cms.Doc])
		var got []string
		for _, l := range ls {
			if l == nil {
				got = append(got, "-")
			} else {
				got = append(got, l.ID)
			}
		}
		if strings.Join(got, ", ") != want {
			return fmt.Errorf("loaded %q, want %q", strings.Join(got, ", "), want)
		}
		return nil
	})
	s.When(`^I insert order "([^"]*)" (\{.*\})$`, func(ctx context.Context, id, raw string) error {
		w, st, s, err := state(ctx)
		if err != nil {
			return err
		}
		d, err := doc(raw)
		if err != nil {
			return err
		}
		return w.Capture(nil, s.Atomic(ctx, func(tx store.Tx) error {
			_, err := st.repo.Insert(ctx, tx.Documents(), id, d)
			return err
		}))
	})
	s.Then(`^the stored order "([^"]*)" should be (\{.*\})$`, func(ctx context.Context, id, want string) error {
		_, _, s, err := state(ctx)
		if err != nil {
			return err
		}
		var v any
		err = s.Atomic(ctx, func(tx store.Tx) error {
			d, err := tx.Documents().Get(ctx, collection, id)
			if err == nil {
				err = json.Unmarshal(d.Data, &v)
			}
			return err
		})
		if err != nil {
			return err
		}
		return same(v, want)
	})
	update := func(ctx context.Context, id string, expected int64, raw string) error {
		_, st, s, err := state(ctx)
		if err != nil {
			return err
		}
		patch, err := doc(raw)
		if err != nil {
			return err
		}
		return s.Atomic(ctx, func(tx store.Tx) error { return st.repo.Update(ctx, tx.Documents(), id, patch, expected) })
	}
	s.When(`^I update order "([^"]*)" at version (\d+) with (\{.*\})$`, func(ctx context.Context, id string, expected int64, raw string) error {
		return steps.WorldFrom(ctx).Capture(nil, update(ctx, id, expected, raw))
	})
	s.When(`^two writers update order "([^"]*)" at version (\d+)$`, func(ctx context.Context, id string, expected int64) error {
		_, st, _, err := state(ctx)
		if err != nil {
			return err
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = update(ctx, id, expected, fmt.Sprintf(`{"writer":%d,"version":%d}`, i, expected+1))
			}()
		}
		wg.Wait()
		st.outcomes = errs
		return nil
	})
	s.Then(`^one writer should succeed and one should get a version conflict$`, func(ctx context.Context) error {
		_, st, _, err := state(ctx)
		if err != nil {
			return err
		}
		ok, conflicts := 0, 0
		for _, e := range st.outcomes {
			switch {
			case e == nil:
				ok++
			case cms.IsVersionConflictError(e):
				conflicts++
			}
		}
		if ok != 1 || conflicts != 1 {
			return fmt.Errorf("outcomes %v", st.outcomes)
		}
		return nil
	})

	dualWrite := func(ctx context.Context, id, raw string, expected int64, evs []es.Event) error {
		w, st, s, err := state(ctx)
		if err != nil {
			return err
		}
		d, err := doc(raw)
		if err != nil {
			return err
		}
		var out cms.Written
		err = s.Atomic(ctx, func(tx store.Tx) error {
			var err error
			out, err = st.repo.DualWrite(ctx, tx, cms.Change[cms.Doc]{ID: id, State: d, Expected: expected,
				Stream: w.StreamID("order-" + id), Events: evs})
			return err
		})
		if err == nil {
			st.written = out
		}
		return w.Capture(out, err)
	}
	s.When(`^I dual-write order "([^"]*)" (\{.*\}) expecting version (\d+) with events "([^"]*)"$`, func(ctx context.Context, id, raw string, expected int64, list string) error {
		return dualWrite(ctx, id, raw, expected, events(list))
	})
	s.When(`^I dual-write order "([^"]*)" (\{.*\}) expecting version (\d+) with no events$`, func(ctx context.Context, id, raw string, expected int64) error {
		return dualWrite(ctx, id, raw, expected, nil)
	})
	s.Given(`^order "([^"]*)" was created with "([^"]*)"$`, func(ctx context.Context, id, ev string) error {
		if err := dualWrite(ctx, id, `{"status":"new"}`, 0, events(ev)); err != nil {
			return err
		}
		return steps.WorldFrom(ctx).LastErr
	})
	s.Given(`^another event "([^"]*)" was appended to stream "([^"]*)"$`, func(ctx context.Context, typ, stream string) error {
		w, _, s, err := state(ctx)
		if err != nil {
			return err
		}
		_, err = store.Append(ctx, s, es.AppendRequest{Stream: w.StreamID(stream), Events: events(typ)})
		return err
	})
	s.Then(`^the dual write should report version (\d+)$`, func(ctx context.Context, v int64) error {
		w := steps.WorldFrom(ctx)
		got, _ := w.LastResult.(cms.Written)
		if w.LastErr != nil || got.Version != v || int64(got.Append.Version) != v {
			return fmt.Errorf("dual write %+v, error %v; want version %d", got, w.LastErr, v)
		}
		return nil
	})

	contract := func() cms.Contract {
		return cms.Contract{
			Identity:      cms.Identity{Name: "orders", Version: 1, StreamTypePrefix: "order"},
			ExecutionMode: cms.ExecutionModeDualWrite,
			CommandTypes:  []string{"CreateOrder", "CancelOrder"},
			EventTypes:    []string{"OrderCreated", "OrderCancelled"},
			CMSTypes:      map[string]cms.CMSType{"order": {TableName: collection, CurrentStateVersion: 1}},
			ErrorCodes:    []string{"ORDER_NOT_FOUND"},
		}
	}
	setContract := func(ctx context.Context, c cms.Contract) {
		w := steps.WorldFrom(ctx)
		w.Scenario["contract"] = c
	}
	s.Given(`^the orders contract$`, func(ctx context.Context) { setContract(ctx, contract()) })
	s.Given(`^the orders contract with execution mode "([^"]*)"$`, func(ctx context.Context, mode string) {
		c := contract()
		c.ExecutionMode = mode
		setContract(ctx, c)
	})
	s.Given(`^the orders contract with command "([^"]*)" twice$`, func(ctx context.Context, typ string) {
		c := contract()
		c.CommandTypes = append(c.CommandTypes, typ)
		setContract(ctx, c)
	})
	s.Given(`^the orders contract with no event types$`, func(ctx context.Context) {
		c := contract()
		c.EventTypes = nil
		setContract(ctx, c)
	})
	s.Given(`^the orders contract with CMS state version (\d+)$`, func(ctx context.Context, v int) {
		c := contract()
		c.CMSTypes = map[string]cms.CMSType{"order": {TableName: collection, CurrentStateVersion: v}}
		setContract(ctx, c)
	})
	s.When(`^I validate the contract$`, func(ctx context.Context) error {
		w := steps.WorldFrom(ctx)
		c, ok := w.Scenario["contract"].(cms.Contract)
		if !ok {
			return errors.New("no contract")
		}
		return w.Capture(c, c.Validate())
	})
	s.Then(`^the contract should declare command "([^"]*)" and event "([^"]*)"$`, func(ctx context.Context, cmd, ev string) error {
		c, _ := steps.WorldFrom(ctx).Scenario["contract"].(cms.Contract)
		if !c.HasCommand(cmd) || !c.HasEvent(ev) {
			return fmt.Errorf("contract does not declare %s and %s", cmd, ev)
		}
		return nil
	})
}
