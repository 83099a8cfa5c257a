package correlation_test

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cucumber/godog"

	"github.com/eventspec/eventspec/engine"
	"github.com/eventspec/eventspec/engine/enginetest"
	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/features/internal/backends"
	"github.com/eventspec/eventspec/platform/command"
	"github.com/eventspec/eventspec/platform/commandbus"
	"github.com/eventspec/eventspec/platform/correlation"
	"github.com/eventspec/eventspec/steps"
	"github.com/eventspec/eventspec/store"
)

//go:embed *.feature
var specs embed.FS

func TestFeatures(t *testing.T) {
	backends.Run(t, steps.Options{Features: specs, Register: register})
}

type world struct {
	chain  correlation.Chain
	hops   []correlation.Chain
	meta   es.Metadata
	bus    *commandbus.Bus
	engine *engine.Engine
}

func state(ctx context.Context) (*steps.World, *world) {
	w := steps.WorldFrom(ctx)
	st, ok := w.Scenario["correlation"].(*world)
	if !ok {
		st = &world{}
		w.Scenario["correlation"] = st
	}
	return w, st
}

func list(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

func contextArg(s string) (map[string]any, bool, error) {
	if s == "none" {
		return nil, false, nil
	}
	var m map[string]any
	err := json.Unmarshal([]byte(s), &m)
	return m, true, err
}

func render(v any) string {
	if v == nil {
		return "none"
	}
	raw, _ := json.Marshal(v)
	return string(raw)
}

func fieldsOf(t *godog.Table) [][2]string {
	var out [][2]string
	for i, row := range steps.Rows(t) {
		if i > 0 {
			out = append(out, [2]string{row[0], row[1]})
		}
	}
	return out
}

func register(s *steps.Suite) {
	start := func(ctx context.Context, id string, opts ...correlation.Option) error {
		w, st := state(ctx)
		c, err := correlation.New(id, w.IDs, w.Clock, opts...)
		st.chain = c
		return w.Capture(c, err)
	}
	s.When(`^I start a chain for command "([^"]*)"$`, func(ctx context.Context, id string) error { return start(ctx, id) })
	withCorrelation := func(ctx context.Context, id, corr, user string) error {
		return start(ctx, id, correlation.WithCorrelationID(corr), correlation.WithUserID(user))
	}
	s.When(`^I start a chain for command "([^"]*)" with correlation "([^"]*)" for user "([^"]*)"$`, withCorrelation)
	s.Given(`^a chain for command "([^"]*)" with correlation "([^"]*)" for user "([^"]*)"$`, withCorrelation)
	s.When(`^I derive a chain from event "([^"]*)" in correlation "([^"]*)" of user "([^"]*)"$`, func(ctx context.Context, ev, corr, user string) error {
		w, st := state(ctx)
		c, err := correlation.Derive(correlation.Source{EventID: ev, CorrelationID: corr, UserID: user}, w.IDs, w.Clock)
		st.chain = c
		return w.Capture(c, err)
	})
	s.Then(`^the chain should be:$`, func(ctx context.Context, t *godog.Table) error {
		w, st := state(ctx)
		if w.LastErr != nil {
			return w.LastErr
		}
		c := st.chain
		got := map[string]string{"commandId": c.CommandID, "correlationId": c.CorrelationID, "causationId": c.CausationID,
			"initiatedAt": c.InitiatedAt.Format(time.RFC3339Nano), "userId": c.UserID}
		for _, f := range fieldsOf(t) {
			v, ok := got[f[0]]
			if !ok {
				return fmt.Errorf("a chain has no field %q", f[0])
			}
			if v != f[1] {
				return fmt.Errorf("chain %s = %q, want %q", f[0], v, f[1])
			}
		}
		return nil
	})
	s.Then(`^the chain should have no context$`, func(ctx context.Context) error {
		_, st := state(ctx)
		if st.chain.Context != nil {
			return fmt.Errorf("chain context %v", st.chain.Context)
		}
		return nil
	})
	s.When(`^I derive a chain with source context (.+) and option context (.+)$`, func(ctx context.Context, src, opt string) error {
		w, st := state(ctx)
		sc, _, err := contextArg(src)
		if err != nil {
			return err
		}
		oc, set, err := contextArg(opt)
		if err != nil {
			return err
		}
		var opts []correlation.Option
		if set {
			opts = append(opts, correlation.WithContext(oc))
		}
		st.chain, err = correlation.Derive(correlation.Source{EventID: "e1", CorrelationID: "corr_1", Context: sc}, w.IDs, w.Clock, opts...)
		return err
	})
	s.Then(`^the chain context should be (.+)$`, func(ctx context.Context, want string) error {
		_, st := state(ctx)
		got := "none"
		if st.chain.Context != nil {
			got = render(st.chain.Context)
		}
		if got != want {
			return fmt.Errorf("context %s, want %s", got, want)
		}
		return nil
	})
	s.When(`^I build event metadata with extra:$`, func(ctx context.Context, t *godog.Table) {
		_, st := state(ctx)
		extra := map[string]string{}
		for _, f := range fieldsOf(t) {
			extra[f[0]] = f[1]
		}
		st.meta = st.chain.EventMetadata(extra)
	})
	s.Then(`^the event metadata should be:$`, func(ctx context.Context, t *godog.Table) error {
		_, st := state(ctx)
		got := map[string]string{"correlationId": st.meta.CorrelationID, "causationId": st.meta.CausationID}
		for k, v := range st.meta.Extra {
			got[k] = v
		}
		want := map[string]string{}
		for _, f := range fieldsOf(t) {
			want[f[0]] = f[1]
		}
		if render(got) != render(want) {
			return fmt.Errorf("metadata %s, want %s", render(got), render(want))
		}
		return nil
	})
	s.When(`^the chain reacts (\d+) times through events "([^"]*)"$`, func(ctx context.Context, n int, evs string) error {
		w, st := state(ctx)
		ids := list(evs)
		if len(ids) != n {
			return fmt.Errorf("%d event ids for %d hops", len(ids), n)
		}
		prev := st.chain
		st.hops = nil
		for _, id := range ids {
			ev := es.Recorded{Event: es.Event{Metadata: prev.EventMetadata(nil)}}
			ev.Metadata.EventID = id
			next, err := correlation.Derive(correlation.SourceOf(ev), w.IDs, w.Clock)
			if err != nil {
				return err
			}
			st.hops = append(st.hops, next)
			prev = next
		}
		return nil
	})
	s.Then(`^every hop should have correlation "([^"]*)"$`, func(ctx context.Context, corr string) error {
		_, st := state(ctx)
		for i, h := range st.hops {
			if h.CorrelationID != corr || !correlation.IsCorrelated(st.chain, h) || h.UserID != st.chain.UserID {
				return fmt.Errorf("hop %d = %+v", i+1, h)
			}
		}
		return nil
	})
	s.Then(`^the hops should be caused by "([^"]*)"$`, func(ctx context.Context, want string) error {
		_, st := state(ctx)
		var got []string
		for _, h := range st.hops {
			got = append(got, h.CausationID)
		}
		if strings.Join(got, ", ") != want {
			return fmt.Errorf("causations %q, want %q", strings.Join(got, ", "), want)
		}
		return nil
	})

	service := func(ctx context.Context) (*correlation.Service, error) {
		w, st := state(ctx)
		if st.bus == nil {
			s, err := w.Store()
			if err != nil {
				return nil, err
			}
			st.bus = commandbus.New(s, w.Clock)
		}
		return correlation.NewService(st.bus), nil
	}
	s.When(`^the service records command "([^"]*)" in "([^"]*)" produced "([^"]*)"$`, func(ctx context.Context, id, bc, evs string) error {
		svc, err := service(ctx)
		if err != nil {
			return err
		}
		ok, err := svc.Record(ctx, commandbus.CorrelationRequest{CommandID: id, EventIDs: list(evs), CommandType: "Cmd", BoundedContext: bc})
		if err == nil && !ok {
			err = errors.New("Record returned false")
		}
		return err
	})
	s.Then(`^command "([^"]*)" should have produced "([^"]*)"$`, func(ctx context.Context, id, want string) error {
		svc, err := service(ctx)
		if err != nil {
			return err
		}
		c, err := svc.EventsByCommand(ctx, id)
		if err != nil || c == nil {
			return fmt.Errorf("no correlation for %s (%v)", id, err)
		}
		if got := strings.Join(c.EventIDs, ", "); got != want {
			return fmt.Errorf("%s produced %q, want %q", id, got, want)
		}
		return nil
	})
	s.Then(`^command "([^"]*)" should have (\d+) events$`, func(ctx context.Context, id string, n int) error {
		svc, err := service(ctx)
		if err != nil {
			return err
		}
		got, err := svc.EventCount(ctx, id)
		has, err2 := svc.HasCorrelation(ctx, id)
		if err != nil || err2 != nil || got != n || has != (n > 0) {
			return fmt.Errorf("%s: %d events, has correlation %v (%v %v)", id, got, has, err, err2)
		}
		return nil
	})
	listContext := func(ctx context.Context, bc string) ([]commandbus.Correlation, error) {
		svc, err := service(ctx)
		if err != nil {
			return nil, err
		}
		return svc.ByContext(ctx, correlation.ContextQuery{BoundedContext: bc})
	}
	s.Then(`^the correlations of context "([^"]*)" should be "([^"]*)"$`, func(ctx context.Context, bc, want string) error {
		cs, err := listContext(ctx, bc)
		if err != nil {
			return err
		}
		var got []string
		for _, c := range cs {
			got = append(got, c.CommandID)
		}
		if strings.Join(got, ", ") != want {
			return fmt.Errorf("context %s lists %q, want %q", bc, strings.Join(got, ", "), want)
		}
		return nil
	})
	s.When(`^I list the correlations of context "([^"]*)"$`, func(ctx context.Context, bc string) error {
		return steps.WorldFrom(ctx).Capture(listContext(ctx, bc))
	})

	s.Given(`^the order engine$`, func(ctx context.Context) error {
		w, st := state(ctx)
		s, err := w.Store()
		if err != nil {
			return err
		}
		st.engine = engine.New(s)
		return enginetest.Register(st.engine.Registry())
	})
	dispatch := func(ctx context.Context, c correlation.Chain, typ string, payload any) error {
		_, st := state(ctx)
		if st.engine == nil {
			return errors.New("no engine: add \"Given the order engine\"")
		}
		cmd, err := c.Command(typ, payload)
		if err != nil {
			return err
		}
		r, err := st.engine.Dispatch(ctx, cmd)
		if err == nil && r.Status != command.StatusExecuted {
			err = fmt.Errorf("%s %s: %s %s", typ, r.Status, r.Code, r.Reason)
		}
		return err
	}
	s.When(`^command "([^"]*)" creates order "([^"]*)" in correlation "([^"]*)"$`, func(ctx context.Context, id, order, corr string) error {
		w, _ := state(ctx)
		c, err := correlation.New(id, w.IDs, w.Clock, correlation.WithCorrelationID(corr))
		if err != nil {
			return err
		}
		return dispatch(ctx, c, "CreateOrder", enginetest.CreateOrder{OrderID: order, CustomerID: "c1"})
	})
	s.When(`^command "([^"]*)" adds an item to order "([^"]*)" in reaction to the first event of "([^"]*)"$`, func(ctx context.Context, id, order, stream string) error {
		w, _ := state(ctx)
		s, err := w.Store()
		if err != nil {
			return err
		}
		evs, err := store.ReadStream(ctx, s, es.StreamID(stream), store.StreamRead{Limit: 1})
		if err != nil || len(evs) == 0 {
			return fmt.Errorf("stream %s has no event (%v)", stream, err)
		}
		c, err := correlation.Derive(correlation.SourceOf(evs[0]), w.IDs, w.Clock, correlation.WithCommandID(id))
		if err != nil {
			return err
		}
		return dispatch(ctx, c, "AddItem", enginetest.AddItem{OrderID: order, SKU: "A", Qty: 1})
	})
	s.Then(`^the trace of "([^"]*)" should be:$`, func(ctx context.Context, corr string, t *godog.Table) error {
		w, st := state(ctx)
		s, err := w.Store()
		if err != nil || st.engine == nil {
			return errors.Join(err, errors.New("no engine"))
		}
		var tr correlation.Trace
		err = s.Atomic(ctx, func(tx store.Tx) error {
			var err error
			tr, err = correlation.Load(ctx, tx, st.engine.Orchestrator().CommandLog(), corr)
			return err
		})
		if err != nil {
			return err
		}
		idOfType := map[string]string{}
		for _, l := range tr.Links {
			idOfType[l.Type] = l.ID
		}
		var got, want []string
		for i, row := range steps.Rows(t) {
			if i > 0 {
				want = append(want, strings.Join(row, " | "))
			}
		}
		for _, l := range tr.Links {
			cause := l.CausationID
			switch {
			case cause == l.ID:
				cause = "itself"
			default:
				for typ, id := range idOfType {
					if id == cause && typ != "" && l.Kind == correlation.KindCommand {
						cause = "the " + typ
					}
				}
			}
			got = append(got, fmt.Sprintf("%s | %s | %s", l.Kind, l.Type, cause))
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			return fmt.Errorf("trace:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		return nil
	})
}
