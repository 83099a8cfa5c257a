package upcasting_test

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/cucumber/godog"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/features/internal/backends"
	"github.com/eventspec/eventspec/platform/upcast"
	"github.com/eventspec/eventspec/steps"
	"github.com/eventspec/eventspec/store"
)

//go:embed *.feature
var specs embed.FS

func TestFeatures(t *testing.T) {
	backends.Run(t, steps.Options{Features: specs, Register: register})
}

func registry(ctx context.Context) *upcast.Registry {
	w := steps.WorldFrom(ctx)
	r, ok := w.Scenario["upcast"].(*upcast.Registry)
	if !ok {
		r = upcast.NewRegistry()
		w.Scenario["upcast"] = r
	}
	return r
}

func canonical(raw []byte) string {
	c, err := es.CanonicalJSON(raw)
	if err != nil {
		return string(raw)
	}
	return string(c)
}

func orderChain(opts ...upcast.ChainOption) (*upcast.Chain, error) {
	return upcast.NewChain(3, map[int]upcast.Migration{
		1: upcast.AddField("currency", "EUR", 2),
		2: upcast.RenameField("id", "orderId", 3),
	}, opts...)
}

func versions(list string) ([]int, error) {
	var out []int
	for _, s := range strings.Split(list, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func register(s *steps.Suite) {
	s.When(`^I register a chain for "([^"]*)" to version (\d+) with migrations for ([\d, ]+)$`, func(ctx context.Context, typ string, current int, list string) error {
		vs, err := versions(list)
		if err != nil {
			return err
		}
		m := map[int]upcast.Migration{}
		for _, v := range vs {
			m[v] = upcast.AddField(fmt.Sprint("f", v), v, v+1)
		}
		return steps.WorldFrom(ctx).Capture(nil, registry(ctx).Define(typ, current, m))
	})
	s.Then(`^"([^"]*)" should (have|not have) an upcaster$`, func(ctx context.Context, typ, verdict string) error {
		if got := registry(ctx).Has(typ); got != (verdict == "have") {
			return fmt.Errorf("Has(%s) = %v", typ, got)
		}
		return nil
	})
	s.Given(`^the OrderCreated chain$`, func(ctx context.Context) error {
		c, err := orderChain()
		if err != nil {
			return err
		}
		return registry(ctx).Register("OrderCreated", c)
	})
	s.Given(`^the OrderCreated chain requiring a customer$`, func(ctx context.Context) error {
		c, err := orderChain(upcast.WithValidate(func(r es.Recorded) error {
			if !strings.Contains(string(r.Data), `"customer"`) {
				return errors.New("customer is required")
			}
			return nil
		}))
		if err != nil {
			return err
		}
		return registry(ctx).Register("OrderCreated", c)
	})
	s.Given(`^a chain for "([^"]*)" to version (\d+) whose migrations do not set the schema version$`, func(ctx context.Context, typ string, current int) error {
		step := func(r es.Recorded) (es.Recorded, error) {
			var m map[string][]int
			_ = json.Unmarshal(r.Data, &m)
			m = map[string][]int{"steps": append(m["steps"], r.Metadata.SchemaVersion)}
			r.Data, _ = json.Marshal(m)
			return r, nil
		}
		steps := map[int]upcast.Migration{}
		for v := 1; v < current; v++ {
			steps[v] = step
		}
		return registry(ctx).Define(typ, current, steps)
	})
	s.When(`^I upcast an? "([^"]*)" event at version (\d+) with data (.+)$`, func(ctx context.Context, typ string, v int, data string) error {
		r := es.Recorded{Event: es.Event{Type: typ, Data: json.RawMessage(data), Metadata: es.Metadata{SchemaVersion: v}}}
		return steps.WorldFrom(ctx).Capture(registry(ctx).Upcast(r))
	})
	result := func(ctx context.Context) (upcast.Result, error) {
		w := steps.WorldFrom(ctx)
		if w.LastErr != nil {
			return upcast.Result{}, w.LastErr
		}
		r, ok := w.LastResult.(upcast.Result)
		if !ok {
			return r, errors.New("no upcast result")
		}
		return r, nil
	}
	s.Then(`^the upcast event should be at version (\d+) with data (.+)$`, func(ctx context.Context, v int, data string) error {
		r, err := result(ctx)
		if err != nil {
			return err
		}
		if r.Event.Metadata.SchemaVersion != v || canonical(r.Event.Data) != canonical([]byte(data)) || r.CurrentSchemaVersion != v {
			return fmt.Errorf("upcast event at v%d (current %d) with %s, want v%d with %s", r.Event.Metadata.SchemaVersion, r.CurrentSchemaVersion, r.Event.Data, v, data)
		}
		return nil
	})
	s.Then(`^the upcast should report original version (\d+)$`, func(ctx context.Context, v int) error {
		r, err := result(ctx)
		if err != nil {
			return err
		}
		if r.OriginalSchemaVersion != v || r.WasUpcasted != (v != r.CurrentSchemaVersion) {
			return fmt.Errorf("original %d, upcast %v", r.OriginalSchemaVersion, r.WasUpcasted)
		}
		return nil
	})

	s.Given(`^a stored "([^"]*)" event at version (\d+) on stream "([^"]*)" with data (.+) and tag "([^"]*)"$`, func(ctx context.Context, typ string, v int, stream, data, tag string) error {
		w := steps.WorldFrom(ctx)
		st, err := w.Store()
		if err != nil {
			return err
		}
		ev := es.Event{Type: typ, Data: json.RawMessage(data), Tags: []es.Tag{es.Tag(tag)}, Metadata: es.Metadata{SchemaVersion: v}}
		_, err = store.Append(ctx, st, es.AppendRequest{Stream: w.StreamID(stream), Events: []es.Event{ev}})
		return err
	})
	stores := func(ctx context.Context, upcasting bool) (store.Store, error) {
		st, err := steps.WorldFrom(ctx).Store()
		if err != nil || !upcasting {
			return st, err
		}
		return upcast.Store(st, registry(ctx)), nil
	}
	s.When(`^I read stream "([^"]*)" (through the upcasting store|directly)$`, func(ctx context.Context, stream, how string) error {
		w := steps.WorldFrom(ctx)
		st, err := stores(ctx, how != "directly")
		if err != nil {
			return err
		}
		return w.Capture(store.ReadStream(ctx, st, w.StreamID(stream), store.StreamRead{}))
	})
	s.When(`^I read the whole log through the upcasting store$`, func(ctx context.Context) error {
		st, err := stores(ctx, true)
		if err != nil {
			return err
		}
		page, err := store.ReadAll(ctx, st, store.LogRead{})
		return steps.WorldFrom(ctx).Capture(page.Events, err)
	})
	s.When(`^I read the events tagged "([^"]*)" through the upcasting store$`, func(ctx context.Context, tag string) error {
		st, err := stores(ctx, true)
		if err != nil {
			return err
		}
		res, err := store.ReadQuery(ctx, st, es.Tags(es.Tag(tag)), store.QueryRead{})
		return steps.WorldFrom(ctx).Capture(res.Events, err)
	})
	s.Then(`^the events read should be:$`, func(ctx context.Context, t *godog.Table) error {
		w := steps.WorldFrom(ctx)
		if w.LastErr != nil {
			return w.LastErr
		}
		events, _ := w.LastResult.([]es.Recorded)
		var got, want []string
		for i, row := range steps.Rows(t) {
			if i > 0 {
				want = append(want, row[0]+" v"+row[1]+" "+canonical([]byte(row[2])))
			}
		}
		for _, e := range events {
			got = append(got, fmt.Sprintf("%s v%d %s", e.Type, e.Metadata.SchemaVersion, canonical(e.Data)))
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			return fmt.Errorf("events read:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		return nil
	})
}
