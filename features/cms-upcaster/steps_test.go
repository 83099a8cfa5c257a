package cmsupcaster_test

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
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

func doc(raw string) (cms.Doc, error) {
	var d cms.Doc
	if err := json.Unmarshal([]byte(raw), &d); err != nil {
		return nil, fmt.Errorf("%s is not a JSON object: %v", raw, err)
	}
	return d, nil
}

func canonical(v any) string {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
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

func upcaster(ctx context.Context) (*cms.Upcaster, error) {
	u, ok := steps.WorldFrom(ctx).Scenario["upcaster"].(*cms.Upcaster)
	if !ok {
		return nil, errors.New("no upcaster: add \"Given the order upcaster\"")
	}
	return u, nil
}

func orderUpcaster(ctx context.Context, opts ...cms.UpcasterOption) error {
	u, err := cms.NewUpcaster(3, map[int]cms.Migration{
		1: cms.AddField("status", "draft", 2),
		2: cms.RenameField("total", "amount", 3),
	}, opts...)
	steps.WorldFrom(ctx).Scenario["upcaster"] = u
	return err
}

func repo(ctx context.Context) (*cms.Repository[cms.Doc], store.Store, error) {
	u, err := upcaster(ctx)
	if err != nil {
		return nil, nil, err
	}
	r, err := cms.NewRepository[cms.Doc](cms.Config{Collection: collection, Upcaster: u})
	if err != nil {
		return nil, nil, err
	}
	s, err := steps.WorldFrom(ctx).Store()
	return r, s, err
}

func migrations(list string, legacy bool) (map[int]cms.Migration, []cms.UpcasterOption, error) {
	m := map[int]cms.Migration{}
	for _, s := range strings.Split(list, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return nil, nil, err
		}
		m[v] = cms.AddField(fmt.Sprint("f", v), v, v+1)
	}
	var opts []cms.UpcasterOption
	if legacy {
		opts = append(opts, cms.MinSupportedVersion(0))
	}
	return m, opts, nil
}

func register(s *steps.Suite) {
	s.When(`^I build an upcaster to version (\d+) with migrations for ([\d, ]+?)( supporting legacy documents)?$`, func(ctx context.Context, current int, list, legacy string) error {
		m, opts, err := migrations(list, legacy != "")
		if err != nil {
			return err
		}
		return steps.WorldFrom(ctx).Capture(cms.NewUpcaster(current, m, opts...))
	})
	s.Given(`^the order upcaster$`, func(ctx context.Context) error { return orderUpcaster(ctx) })
	s.Given(`^the order upcaster requiring a customer$`, func(ctx context.Context) error {
		return orderUpcaster(ctx, cms.WithValidation(func(d cms.Doc) error {
			if _, ok := d["customerId"]; !ok {
				return errors.New("customerId is required")
			}
			return nil
		}))
	})
	s.When(`^I upcast the document (\{.*\})$`, func(ctx context.Context, raw string) error {
		u, err := upcaster(ctx)
		if err != nil {
			return err
		}
		d, err := doc(raw)
		if err != nil {
			return err
		}
		return steps.WorldFrom(ctx).Capture(u.Upcast(d))
	})
	s.When(`^I upcast no document$`, func(ctx context.Context) error {
		u, err := upcaster(ctx)
		if err != nil {
			return err
		}
		return steps.WorldFrom(ctx).Capture(u.Upcast(nil))
	})
	upcastResult := func(ctx context.Context) (cms.UpcastResult, error) {
		w := steps.WorldFrom(ctx)
		if w.LastErr != nil {
			return cms.UpcastResult{}, w.LastErr
		}
		r, ok := w.LastResult.(cms.UpcastResult)
		if !ok {
			return r, errors.New("no upcast result")
		}
		return r, nil
	}
	s.Then(`^the upcast document should be (\{.*\})$`, func(ctx context.Context, want string) error {
		r, err := upcastResult(ctx)
		if err != nil {
			return err
		}
		return same(r.Doc, want)
	})
	s.Then(`^the upcast should report original version (\d+) and upcasted (true|false)$`, func(ctx context.Context, v int, up string) error {
		r, err := upcastResult(ctx)
		if err != nil {
			return err
		}
		if r.OriginalStateVersion != v || r.WasUpcasted != (up == "true") {
			return fmt.Errorf("original %d, upcasted %v", r.OriginalStateVersion, r.WasUpcasted)
		}
		return nil
	})

	apply := func(ctx context.Context, m cms.Migration, raw string) error {
		d, err := doc(raw)
		if err != nil {
			return err
		}
		return steps.WorldFrom(ctx).Capture(m(d))
	}
	s.When(`^I apply add field "([^"]*)" = (\S+), next (\d+) to (\{.*\})$`, func(ctx context.Context, field, value string, next int, raw string) error {
		var v any
		if err := json.Unmarshal([]byte(value), &v); err != nil {
			return err
		}
		return apply(ctx, cms.AddField(field, v, next), raw)
	})
	s.When(`^I apply rename field "([^"]*)" to "([^"]*)", next (\d+) to (\{.*\})$`, func(ctx context.Context, from, to string, next int, raw string) error {
		return apply(ctx, cms.RenameField(from, to, next), raw)
	})
	s.When(`^I apply remove field "([^"]*)", next (\d+) to (\{.*\})$`, func(ctx context.Context, field string, next int, raw string) error {
		return apply(ctx, cms.RemoveField(field, next), raw)
	})
	s.Then(`^the migrated document should be (\{.*\})$`, func(ctx context.Context, want string) error {
		w := steps.WorldFrom(ctx)
		if w.LastErr != nil {
			return w.LastErr
		}
		return same(w.LastResult, want)
	})

	s.Given(`^the stored order document "([^"]*)" (\{.*\})$`, func(ctx context.Context, id, raw string) error {
		st, err := steps.WorldFrom(ctx).Store()
		if err != nil {
			return err
		}
		return st.Atomic(ctx, func(tx store.Tx) error {
			_, err := tx.Documents().Insert(ctx, collection, id, json.RawMessage(raw))
			return err
		})
	})
	s.When(`^I load order "([^"]*)"$`, func(ctx context.Context, id string) error {
		r, st, err := repo(ctx)
		if err != nil {
			return err
		}
		var l cms.Loaded[cms.Doc]
		err = st.Atomic(ctx, func(tx store.Tx) error {
			var err error
			l, err = r.Load(ctx, tx.Documents(), id)
			return err
		})
		return steps.WorldFrom(ctx).Capture(l, err)
	})
	s.Then(`^the loaded order should be (\{.*\})$`, func(ctx context.Context, want string) error {
		w := steps.WorldFrom(ctx)
		if w.LastErr != nil {
			return w.LastErr
		}
		l, ok := w.LastResult.(cms.Loaded[cms.Doc])
		if !ok {
			return errors.New("nothing loaded")
		}
		return same(l.State, want)
	})
	s.When(`^I update order "([^"]*)" at version (\d+) with (\{.*\})$`, func(ctx context.Context, id string, expected int64, raw string) error {
		r, st, err := repo(ctx)
		if err != nil {
			return err
		}
		patch, err := doc(raw)
		if err != nil {
			return err
		}
		return steps.WorldFrom(ctx).Capture(nil, st.Atomic(ctx, func(tx store.Tx) error {
			return r.Update(ctx, tx.Documents(), id, patch, expected)
		}))
	})
	s.Then(`^the stored order document "([^"]*)" should be (\{.*\})$`, func(ctx context.Context, id, want string) error {
		st, err := steps.WorldFrom(ctx).Store()
		if err != nil {
			return err
		}
		var got json.RawMessage
		err = st.Atomic(ctx, func(tx store.Tx) error {
			d, err := tx.Documents().Get(ctx, collection, id)
			got = d.Data
			return err
		})
		if err != nil {
			return err
		}
		var v any
		_ = json.Unmarshal(got, &v)
		return same(v, want)
	})
}
