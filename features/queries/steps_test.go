package queries_test

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/cucumber/godog"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/features/internal/backends"
	"github.com/eventspec/eventspec/platform/query"
	"github.com/eventspec/eventspec/steps"
	"github.com/eventspec/eventspec/store"
)

//go:embed *.feature
var specs embed.FS

func TestFeatures(t *testing.T) {
	backends.Run(t, steps.Options{Features: specs, Register: register})
}

type summary struct {
	ID     string `json:"id"`
	Amount int    `json:"amount"`
}

type world struct {
	cursor string // encoded cursor (cursor rule)
	pages  []query.Page[summary]
	next   string // continue cursor of the last page read
}

func state(ctx context.Context) (*steps.World, *world) {
	w := steps.WorldFrom(ctx)
	s, ok := w.Scenario["queries"].(*world)
	if !ok {
		s = &world{}
		w.Scenario["queries"] = s
	}
	return w, s
}

func cfg(name string) query.Config {
	return query.Config{QueryName: name, SourceProjection: "orderSummary", TargetTable: "orderSummaries"}
}

func canonical(raw string) (string, error) {
	c, err := es.CanonicalJSON([]byte(raw))
	return string(c), err
}

func inTx(ctx context.Context, fn func(docs store.Documents) error) error {
	w := steps.WorldFrom(ctx)
	s, err := w.Store()
	if err != nil {
		return err
	}
	return s.Atomic(ctx, func(tx store.Tx) error { return fn(tx.Documents()) })
}

func put(ctx context.Context, coll string, keys ...string) error {
	return inTx(ctx, func(docs store.Documents) error {
		for _, k := range keys {
			n := 0
			if i := strings.LastIndexAny(k, "-"); i >= 0 {
				n, _ = strconv.Atoi(strings.TrimRight(k[i+1:], "abcdefghijklmnopqrstuvwxyz"))
			}
			raw, _ := json.Marshal(summary{ID: k, Amount: n})
			if _, err := docs.Insert(ctx, coll, k, raw); err != nil {
				return err
			}
		}
		return nil
	})
}

var numbered = regexp.MustCompile(`^(.*?)(\d+)$`)

func register(s *steps.Suite) {
	s.When(`^I describe the query "([^"]*)" as "([a-z]+)"$`, func(ctx context.Context, name, rt string) error {
		return steps.WorldFrom(ctx).Capture(query.NewReadModelQuery(cfg(name), query.ResultType(rt)))
	})
	s.Then(`^the query result type should be "([a-z]+)"$`, func(ctx context.Context, rt string) error {
		w := steps.WorldFrom(ctx)
		d, ok := w.LastResult.(query.Descriptor)
		if w.LastErr != nil || !ok || d.ResultType != query.ResultType(rt) {
			return fmt.Errorf("descriptor %+v, error %v; want result type %s", w.LastResult, w.LastErr, rt)
		}
		return nil
	})
	s.When(`^I describe the paginated query "([^"]*)"$`, func(ctx context.Context, name string) error {
		return steps.WorldFrom(ctx).Capture(query.NewPaginatedQuery(query.PaginatedConfig{Config: cfg(name)}))
	})
	s.When(`^I describe the paginated query "([^"]*)" with default (\d+) and maximum (\d+)$`, func(ctx context.Context, name string, def, max int) error {
		return steps.WorldFrom(ctx).Capture(query.NewPaginatedQuery(query.PaginatedConfig{Config: cfg(name), DefaultPageSize: def, MaxPageSize: max}))
	})
	s.Then(`^the page size defaults should be (\d+) and (\d+)$`, func(ctx context.Context, def, max int) error {
		w := steps.WorldFrom(ctx)
		d, ok := w.LastResult.(query.PaginatedDescriptor)
		if w.LastErr != nil || !ok || d.Defaults != (query.Defaults{PageSize: def, MaxPageSize: max}) || d.ResultType != query.Paginated {
			return fmt.Errorf("descriptor %+v, error %v", w.LastResult, w.LastErr)
		}
		return nil
	})
	s.When(`^I register the queries "([^"]*)" for context "([^"]*)"$`, func(ctx context.Context, names, bc string) error {
		var ds []query.Descriptor
		for _, n := range strings.Split(names, ",") {
			d, err := query.NewReadModelQuery(cfg(strings.TrimSpace(n)), query.Single)
			if err != nil {
				return err
			}
			ds = append(ds, d)
		}
		return steps.WorldFrom(ctx).Capture(query.NewRegistry(bc, "orderSummary", ds))
	})

	s.Then(`^a requested page size of (\S+) should give (\d+)$`, func(requested string, want int) error {
		var got int
		if requested == "absent" {
			got = query.EffectivePageSize(0, 20, 100)
		} else {
			f, err := strconv.ParseFloat(requested, 64)
			if err != nil {
				return err
			}
			var ok bool
			if got, ok = query.PageSizeFromFloat(f, 100); !ok {
				return fmt.Errorf("%s is not a page size", requested)
			}
		}
		if got != want {
			return fmt.Errorf("page size %s gives %d, want %d", requested, got, want)
		}
		return nil
	})
	s.Then(`^(\S+) should (be|not be) a valid page size$`, func(size, verdict string) error {
		f := math.NaN()
		if size != "NaN" {
			var err error
			if f, err = strconv.ParseFloat(size, 64); err != nil {
				return err
			}
		}
		if got, want := query.IsValidPageSize(f, 100), verdict == "be"; got != want {
			return fmt.Errorf("IsValidPageSize(%s) = %v", size, got)
		}
		return nil
	})

	s.When(`^I encode the cursor (.+)$`, func(ctx context.Context, raw string) error {
		_, st := state(ctx)
		var v any
		if err := json.Unmarshal([]byte(raw), &v); err != nil {
			return err
		}
		c, err := query.EncodeCursor(v)
		st.cursor = c
		return err
	})
	s.Then(`^the cursor should use only the URL-safe alphabet$`, func(ctx context.Context) error {
		_, st := state(ctx)
		if !regexp.MustCompile(`^[A-Za-z0-9_=-]+$`).MatchString(st.cursor) || !strings.ContainsAny(st.cursor, "-_") {
			return fmt.Errorf("cursor %q is not URL-safe base64 (or does not exercise '-'/'_')", st.cursor)
		}
		return nil
	})
	s.Then(`^decoding the cursor should give (.+)$`, func(ctx context.Context, want string) error {
		_, st := state(ctx)
		v, ok := query.DecodeCursor[any](st.cursor)
		if !ok {
			return fmt.Errorf("cursor %q does not decode", st.cursor)
		}
		raw, _ := json.Marshal(v)
		got, _ := canonical(string(raw))
		exp, err := canonical(want)
		if err != nil || got != exp {
			return fmt.Errorf("decoded %s, want %s (%v)", got, exp, err)
		}
		return nil
	})
	s.Then(`^decoding the cursor text "([^"]*)" should give nothing$`, func(text string) error {
		if v, ok := query.DecodeCursor[any](text); ok {
			return fmt.Errorf("%q decoded to %v", text, v)
		}
		return nil
	})

	s.Given(`^(\d+) order documents "([^"]*)" to "([^"]*)" in "([^"]*)"$`, func(ctx context.Context, n int, from, to, coll string) error {
		mf, mt := numbered.FindStringSubmatch(from), numbered.FindStringSubmatch(to)
		if mf == nil || mt == nil || mf[1] != mt[1] || len(mf[2]) != len(mt[2]) {
			return fmt.Errorf("%q to %q is not a numbered range", from, to)
		}
		lo, _ := strconv.Atoi(mf[2])
		hi, _ := strconv.Atoi(mt[2])
		if hi-lo+1 != n {
			return fmt.Errorf("%q to %q holds %d documents, not %d", from, to, hi-lo+1, n)
		}
		keys := make([]string, 0, n)
		for i := lo; i <= hi; i++ {
			keys = append(keys, fmt.Sprintf("%s%0*d", mf[1], len(mf[2]), i))
		}
		return put(ctx, coll, keys...)
	})
	pageOf := func(ctx context.Context, q query.Documents[summary], size int, cursor string) (query.Page[summary], error) {
		var p query.Page[summary]
		err := inTx(ctx, func(docs store.Documents) error {
			var err error
			p, err = q.Page(ctx, docs, query.Options{PageSize: size, Cursor: cursor})
			return err
		})
		return p, err
	}
	pageThrough := func(ctx context.Context, q query.Documents[summary], size int) error {
		w, st := state(ctx)
		st.pages = nil
		cursor := ""
		for range 100 {
			p, err := pageOf(ctx, q, size, cursor)
			if err != nil {
				return w.Capture(nil, err)
			}
			st.pages = append(st.pages, p)
			if p.IsDone {
				return w.Capture(st.pages, nil)
			}
			cursor = p.ContinueCursor
		}
		return errors.New("more than 100 pages")
	}
	s.When(`^I page through "([^"]*)" by (\d+)$`, func(ctx context.Context, coll string, size int) error {
		return pageThrough(ctx, query.Documents[summary]{Collection: coll}, size)
	})
	s.When(`^I page through "([^"]*)" by the default size$`, func(ctx context.Context, coll string) error {
		return pageThrough(ctx, query.Documents[summary]{Collection: coll}, 0)
	})
	s.When(`^I page through "([^"]*)" by (\d+) keeping even amounts$`, func(ctx context.Context, coll string, size int) error {
		return pageThrough(ctx, query.Documents[summary]{Collection: coll, Filter: func(s summary) bool { return s.Amount%2 == 0 }}, size)
	})
	s.Then(`^the pages should be:$`, func(ctx context.Context, t *godog.Table) error {
		w, st := state(ctx)
		if w.LastErr != nil {
			return w.LastErr
		}
		var got, want []string
		for i, row := range steps.Rows(t) {
			if i > 0 {
				want = append(want, strings.Join(row, " | "))
			}
		}
		for _, p := range st.pages {
			first, last := "", ""
			if n := len(p.Items); n > 0 {
				first, last = p.Items[0].ID, p.Items[n-1].ID
			}
			got = append(got, fmt.Sprintf("%d | %s | %s | %v", len(p.Items), first, last, p.IsDone))
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			return fmt.Errorf("pages:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		return nil
	})
	s.Then(`^the first page should hold (\d+) items$`, func(ctx context.Context, n int) error {
		w, st := state(ctx)
		if w.LastErr != nil || len(st.pages) == 0 || len(st.pages[0].Items) != n {
			return fmt.Errorf("first page: %d pages, error %v", len(st.pages), w.LastErr)
		}
		return nil
	})
	read := func(ctx context.Context, coll string, size int, cursor string) error {
		w, st := state(ctx)
		p, err := pageOf(ctx, query.Documents[summary]{Collection: coll}, size, cursor)
		if err == nil {
			st.pages = append(st.pages, p)
			st.next = p.ContinueCursor
		}
		return w.Capture(p, err)
	}
	s.When(`^I read the first page of "([^"]*)" by (\d+)$`, func(ctx context.Context, coll string, size int) error {
		return read(ctx, coll, size, "")
	})
	s.When(`^I read the next page of "([^"]*)" by (\d+)$`, func(ctx context.Context, coll string, size int) error {
		_, st := state(ctx)
		if st.next == "" {
			return errors.New("no continue cursor: the previous page was the last")
		}
		return read(ctx, coll, size, st.next)
	})
	s.When(`^the documents "([^"]*)" and "([^"]*)" are added to "([^"]*)"$`, func(ctx context.Context, a, b, coll string) error {
		return put(ctx, coll, a, b)
	})
	s.When(`^the document "([^"]*)" is removed from "([^"]*)"$`, func(ctx context.Context, key, coll string) error {
		return inTx(ctx, func(docs store.Documents) error { return docs.Delete(ctx, coll, key, 0) })
	})
	s.Then(`^the last page should hold "([^"]*)"$`, func(ctx context.Context, ids string) error {
		w, st := state(ctx)
		if w.LastErr != nil || len(st.pages) == 0 {
			return fmt.Errorf("no page read (error %v)", w.LastErr)
		}
		var got []string
		for _, it := range st.pages[len(st.pages)-1].Items {
			got = append(got, it.ID)
		}
		if strings.Join(got, ", ") != ids {
			return fmt.Errorf("last page holds %q, want %q", strings.Join(got, ", "), ids)
		}
		return nil
	})
}
