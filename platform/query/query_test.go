package query_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/memstore"
	"github.com/eventspec/eventspec/platform/query"
	"github.com/eventspec/eventspec/store"
)

func cfg(name string) query.Config {
	return query.Config{QueryName: name, SourceProjection: "orderSummary", TargetTable: "orderSummaries"}
}

func TestDescriptors(t *testing.T) {
	d, err := query.NewReadModelQuery(cfg("getOrder"), query.Single)
	if err != nil || d.ResultType != query.Single || d.Config.QueryName != "getOrder" {
		t.Errorf("single = %+v %v", d, err)
	}
	for _, rt := range []query.ResultType{query.List, query.Count} {
		if d, err := query.NewReadModelQuery(cfg("q"), rt); err != nil || d.ResultType != rt {
			t.Errorf("%s = %+v %v", rt, d, err)
		}
	}
	if _, err := query.NewReadModelQuery(cfg("q"), query.Paginated); es.CodeOf(err) != es.CodeInvalidArgument {
		t.Errorf("paginated via NewReadModelQuery: %v", err)
	}
	if _, err := query.NewReadModelQuery(query.Config{SourceProjection: "p", TargetTable: "t"}, query.List); err == nil || !strings.Contains(err.Error(), "queryName is empty") {
		t.Errorf("no name: %v", err)
	}
	if _, err := query.NewReadModelQuery(query.Config{QueryName: "q", TargetTable: "t"}, query.List); err == nil || !strings.Contains(err.Error(), "sourceProjection is empty") {
		t.Errorf("no projection: %v", err)
	}
	if _, err := query.NewReadModelQuery(query.Config{QueryName: "q", SourceProjection: "p"}, query.List); es.CodeOf(err) != es.CodeInvalidCollection {
		t.Errorf("no table: %v", err)
	}

	p, err := query.NewPaginatedQuery(query.PaginatedConfig{Config: cfg("listOrders")})
	if err != nil || p.ResultType != query.Paginated || p.Defaults != (query.Defaults{PageSize: 20, MaxPageSize: 100}) ||
		p.Config.DefaultPageSize != 20 || p.Config.MaxPageSize != 100 {
		t.Errorf("paginated defaults = %+v %v", p, err)
	}
	p, err = query.NewPaginatedQuery(query.PaginatedConfig{Config: cfg("l"), DefaultPageSize: 50, MaxPageSize: 500, PaginationIndex: "by_date"})
	if err != nil || p.Defaults != (query.Defaults{PageSize: 50, MaxPageSize: 500}) || p.Config.PaginationIndex != "by_date" {
		t.Errorf("paginated custom = %+v %v", p, err)
	}
	for _, bad := range []query.PaginatedConfig{
		{Config: cfg("l"), DefaultPageSize: 200},
		{Config: cfg("l"), MaxPageSize: 2000},
		{Config: cfg("l"), DefaultPageSize: -1},
	} {
		if _, err := query.NewPaginatedQuery(bad); es.CodeOf(err) != es.CodeInvalidArgument {
			t.Errorf("%+v: %v", bad, err)
		}
	}
}

func TestRegistry(t *testing.T) {
	single, _ := query.NewReadModelQuery(cfg("getOrder"), query.Single)
	count, _ := query.NewReadModelQuery(cfg("countOrders"), query.Count)
	paged, _ := query.NewPaginatedQuery(query.PaginatedConfig{Config: cfg("listOrders")})
	r, err := query.NewRegistry("orders", "orderSummary", []query.Descriptor{single, count}, paged)
	if err != nil {
		t.Fatal(err)
	}
	if r.Context != "orders" || r.SourceProjection != "orderSummary" || len(r.Queries) != 2 {
		t.Errorf("registry = %+v", r)
	}
	if d, ok := r.Get("countOrders"); !ok || d.ResultType != query.Count {
		t.Error("Get")
	}
	if _, ok := r.Get("listOrders"); ok {
		t.Error("Get found a paginated query")
	}
	if d, ok := r.GetPaginated("listOrders"); !ok || d.Defaults.PageSize != 20 {
		t.Error("GetPaginated")
	}
	if _, err := query.NewRegistry("orders", "p", []query.Descriptor{single}, query.PaginatedDescriptor{Config: query.PaginatedConfig{Config: cfg("getOrder")}}); err == nil {
		t.Error("duplicate name accepted")
	}
}

func TestPageSizeRules(t *testing.T) {
	for _, tc := range []struct{ req, want int }{{0, 20}, {-5, 1}, {1, 1}, {50, 50}, {100, 100}, {200, 100}} {
		if got := query.EffectivePageSize(tc.req, 20, 100); got != tc.want {
			t.Errorf("EffectivePageSize(%d) = %d, want %d", tc.req, got, tc.want)
		}
		n := query.Normalize(query.Options{PageSize: tc.req, Cursor: "c"}, 20, 100)
		if n != (query.Normalized{PageSize: tc.want, Cursor: "c"}) {
			t.Errorf("Normalize(%d) = %+v", tc.req, n)
		}
	}
	p, _ := query.NewPaginatedQuery(query.PaginatedConfig{Config: cfg("l"), DefaultPageSize: 10, MaxPageSize: 30})
	if got := p.Options(query.Options{}); got != (query.Normalized{PageSize: 10}) {
		t.Errorf("descriptor defaults = %+v", got)
	}
	if got := p.Options(query.Options{PageSize: 31}); got.PageSize != 30 {
		t.Errorf("descriptor cap = %+v", got)
	}
	for _, tc := range []struct {
		f    float64
		want int
		ok   bool
	}{{10.5, 10, true}, {0, 1, true}, {-5, 1, true}, {0.9, 1, true}, {200, 100, true}, {100.9, 100, true}, {math.NaN(), 0, false}, {math.Inf(1), 0, false}} {
		got, ok := query.PageSizeFromFloat(tc.f, 100)
		if got != tc.want || ok != tc.ok {
			t.Errorf("PageSizeFromFloat(%v) = %d %v", tc.f, got, ok)
		}
	}
	for _, tc := range []struct {
		n    float64
		want bool
	}{{1, true}, {50, true}, {100, true}, {0, false}, {101, false}, {10.5, false}, {-1, false}, {math.NaN(), false}} {
		if got := query.IsValidPageSize(tc.n, 100); got != tc.want {
			t.Errorf("IsValidPageSize(%v) = %v", tc.n, got)
		}
	}
}

func TestPagesAndResults(t *testing.T) {
	raw, _ := json.Marshal(query.EmptyPage[int]())
	if string(raw) != `{"page":[],"continueCursor":null,"isDone":true}` {
		t.Errorf("EmptyPage = %s", raw)
	}
	raw, _ = json.Marshal(query.NewPage([]string{"a"}, "abc"))
	if string(raw) != `{"page":["a"],"continueCursor":"abc","isDone":false}` {
		t.Errorf("NewPage = %s", raw)
	}
	var back query.Page[string]
	if err := json.Unmarshal(raw, &back); err != nil || !cmp.Equal(back, query.Page[string]{Items: []string{"a"}, ContinueCursor: "abc"}) {
		t.Errorf("round trip = %+v %v", back, err)
	}
	if p := query.NewPage[int](nil, ""); !p.IsDone || p.Items == nil {
		t.Errorf("NewPage(nil) = %+v", p)
	}
	raw, _ = json.Marshal(query.Found(3))
	if string(raw) != `{"status":"success","data":3}` {
		t.Errorf("Found = %s", raw)
	}
	raw, _ = json.Marshal(query.NotFound[int]())
	if string(raw) != `{"status":"not_found"}` {
		t.Errorf("NotFound = %s", raw)
	}
	raw, _ = json.Marshal(query.Failed[int](fmt.Errorf("boom")))
	if string(raw) != `{"status":"error","error":"boom"}` {
		t.Errorf("Failed = %s", raw)
	}
}

func TestCursorEncoding(t *testing.T) {
	c, err := query.EncodeCursor(map[string]any{"id": "o<1>", "n": 2})
	if err != nil || c != base64.URLEncoding.EncodeToString([]byte(`{"id":"o<1>","n":2}`)) {
		t.Errorf("EncodeCursor = %q %v", c, err)
	}
	if _, err := query.EncodeCursor(func() {}); es.CodeOf(err) != es.CodeInvalidArgument {
		t.Errorf("unencodable = %v", err)
	}
	// Round trips, including characters that need '-' and '_'.
	type nested struct {
		Key  string         `json:"key"`
		List []int          `json:"list"`
		Obj  map[string]any `json:"obj"`
	}
	in := nested{Key: "ü→?>>~ 🎉 \"quoted\"", List: []int{1, 2}, Obj: map[string]any{"deep": []any{"x", true}}}
	c, _ = query.EncodeCursor(in)
	out, ok := query.DecodeCursor[nested](c)
	if !ok || !cmp.Equal(in, out) {
		t.Errorf("round trip = %+v %v", out, ok)
	}
	urlOnly, _ := query.EncodeCursor("??>>")
	if !strings.ContainsAny(urlOnly, "-_") {
		t.Fatalf("test value does not exercise the URL alphabet: %s", urlOnly)
	}
	if s, ok := query.DecodeCursor[string](urlOnly); !ok || s != "??>>" {
		t.Errorf("URL-safe round trip = %q %v", s, ok)
	}
	std := base64.StdEncoding.EncodeToString([]byte(`"??>>"`))
	bad := map[string]string{
		"empty":              "",
		"bad length":         "X",
		"bad char":           "ey!=",
		"standard alphabet":  std,
		"newline inside":     urlOnly[:4] + "\n" + urlOnly[4:],
		"truncated utf8":     "wA==",
		"not json":           base64.URLEncoding.EncodeToString([]byte("not json")),
		"trailing data":      base64.URLEncoding.EncodeToString([]byte(`"a" "b"`)),
		"trailing bracket":   base64.URLEncoding.EncodeToString([]byte(`"a"]`)),
		"missing padding":    strings.TrimRight(base64.URLEncoding.EncodeToString([]byte(`"a"`)), "="),
		"schema mismatch":    base64.URLEncoding.EncodeToString([]byte(`{"key":5}`)),
		"unknown struct key": base64.URLEncoding.EncodeToString([]byte(`{"other":1}`)),
	}
	if std == urlOnly {
		t.Fatal("standard and URL encodings coincide")
	}
	for name, s := range bad {
		if v, ok := query.DecodeCursor[nested](s); ok {
			t.Errorf("%s: decoded %+v", name, v)
		}
	}
	if m, ok := query.DecodeCursor[map[string]any](base64.URLEncoding.EncodeToString([]byte(` {"a":[1]} `))); !ok || !cmp.Equal(m, map[string]any{"a": []any{1.0}}) {
		t.Errorf("map cursor = %v %v", m, ok)
	}
}

type row struct {
	ID     string `json:"id"`
	Amount int    `json:"amount"`
}

func seed(t *testing.T, s store.Store, n int) {
	t.Helper()
	err := s.Atomic(context.Background(), func(tx store.Tx) error {
		for i := range n {
			raw, _ := json.Marshal(row{ID: fmt.Sprintf("o%04d", i), Amount: i})
			if _, err := tx.Documents().Insert(context.Background(), "orders", fmt.Sprintf("o%04d", i), raw); err != nil {
				return err
			}
		}
		raw, _ := json.Marshal(row{ID: "other"})
		_, err := tx.Documents().Insert(context.Background(), "orders", "x-other", raw)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func page(t *testing.T, s store.Store, q query.Documents[row], opts query.Options) query.Page[row] {
	t.Helper()
	var p query.Page[row]
	err := s.Atomic(context.Background(), func(tx store.Tx) error {
		var err error
		p, err = q.Page(context.Background(), tx.Documents(), opts)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func ids(rows []row) string {
	var out []string
	for _, r := range rows {
		out = append(out, r.ID)
	}
	return strings.Join(out, ",")
}

func TestDocumentsPagination(t *testing.T) {
	s := memstore.New()
	seed(t, s, 250)
	q := query.Documents[row]{Collection: "orders", Prefix: "o"}
	var all []row
	cursor := ""
	pages := 0
	for {
		p := page(t, s, q, query.Options{Cursor: cursor})
		pages++
		all = append(all, p.Items...)
		if p.IsDone {
			if p.ContinueCursor != "" {
				t.Error("done page has a cursor")
			}
			break
		}
		if len(p.Items) != 100 {
			t.Fatalf("page %d has %d items, want the default 100", pages, len(p.Items))
		}
		cursor = p.ContinueCursor
	}
	if pages != 3 || len(all) != 250 || all[0].ID != "o0000" || all[249].ID != "o0249" {
		t.Fatalf("pages %d items %d", pages, len(all))
	}
	for i, r := range all {
		if r.Amount != i {
			t.Fatalf("item %d is %+v: order not stable", i, r)
		}
	}
	// Exactly pageSize items left: the page is done, no empty extra page.
	p := page(t, s, q, query.Options{PageSize: 250})
	if len(p.Items) != 250 || !p.IsDone {
		t.Errorf("exact page: %d items done=%v", len(p.Items), p.IsDone)
	}
	// Cap at 1000 and floor at 1.
	if p := page(t, s, query.Documents[row]{Collection: "orders"}, query.Options{PageSize: 5000}); len(p.Items) != 251 || !p.IsDone {
		t.Errorf("capped page: %d", len(p.Items))
	}
	if p := page(t, s, q, query.Options{PageSize: -3}); ids(p.Items) != "o0000" || p.IsDone {
		t.Errorf("floored page: %s", ids(p.Items))
	}
	small := query.Documents[row]{Collection: "orders", Prefix: "o", DefaultPageSize: 20, MaxPageSize: 100}
	if p := page(t, s, small, query.Options{}); len(p.Items) != 20 {
		t.Errorf("descriptor default: %d", len(p.Items))
	}
	if p := page(t, s, small, query.Options{PageSize: 500}); len(p.Items) != 100 {
		t.Errorf("descriptor max: %d", len(p.Items))
	}
}

func TestDocumentsCursorContinuesExactlyAfterThePage(t *testing.T) {
	s := memstore.New()
	seed(t, s, 10)
	q := query.Documents[row]{Collection: "orders", Prefix: "o"}
	p1 := page(t, s, q, query.Options{PageSize: 4})
	if ids(p1.Items) != "o0000,o0001,o0002,o0003" {
		t.Fatalf("page 1 = %s", ids(p1.Items))
	}
	// Writes between pages: a key before the cursor is not seen, one after is.
	err := s.Atomic(context.Background(), func(tx store.Tx) error {
		ctx := context.Background()
		for _, k := range []string{"o0001a", "o0004a"} {
			raw, _ := json.Marshal(row{ID: k})
			if _, err := tx.Documents().Insert(ctx, "orders", k, raw); err != nil {
				return err
			}
		}
		return tx.Documents().Delete(ctx, "orders", "o0005", 0)
	})
	if err != nil {
		t.Fatal(err)
	}
	p2 := page(t, s, q, query.Options{PageSize: 4, Cursor: p1.ContinueCursor})
	if ids(p2.Items) != "o0004,o0004a,o0006,o0007" || p2.IsDone {
		t.Errorf("page 2 = %s done=%v", ids(p2.Items), p2.IsDone)
	}
	p3 := page(t, s, q, query.Options{PageSize: 4, Cursor: p2.ContinueCursor})
	if ids(p3.Items) != "o0008,o0009" || !p3.IsDone {
		t.Errorf("page 3 = %s done=%v", ids(p3.Items), p3.IsDone)
	}
}

func TestDocumentsFilterAndQueries(t *testing.T) {
	s := memstore.New()
	seed(t, s, 1500)
	even := query.Documents[row]{Collection: "orders", Prefix: "o", Filter: func(r row) bool { return r.Amount%2 == 0 }}
	p := page(t, s, even, query.Options{PageSize: 1000})
	if len(p.Items) != 750 || !p.IsDone || p.Items[749].ID != "o1498" {
		t.Errorf("filtered page: %d items, done=%v", len(p.Items), p.IsDone)
	}
	p = page(t, s, even, query.Options{PageSize: 3})
	if ids(p.Items) != "o0000,o0002,o0004" || p.IsDone {
		t.Errorf("filtered small page = %s", ids(p.Items))
	}
	p = page(t, s, even, query.Options{PageSize: 3, Cursor: p.ContinueCursor})
	if ids(p.Items) != "o0006,o0008,o0010" {
		t.Errorf("filtered page 2 = %s", ids(p.Items))
	}
	err := s.Atomic(context.Background(), func(tx store.Tx) error {
		ctx := context.Background()
		c, err := even.Count(ctx, tx.Documents())
		if err != nil || c != (query.CountResult{Status: query.StatusSuccess, Count: 750}) {
			t.Errorf("Count = %+v %v", c, err)
		}
		everything := query.Documents[row]{Collection: "orders"}
		l, err := everything.All(ctx, tx.Documents())
		if err != nil || len(l.Data) != 1501 || *l.TotalCount != 1501 || l.Status != query.StatusSuccess || l.Data[1500].ID != "other" {
			t.Errorf("All = %d %v", len(l.Data), err)
		}
		g, err := even.Get(ctx, tx.Documents(), "0002")
		if err != nil || g.Status != query.StatusSuccess || g.Data.ID != "o0002" {
			t.Errorf("Get = %+v %v", g, err)
		}
		for _, id := range []string{"0003", "9999"} { // filtered out, missing
			if g, err := even.Get(ctx, tx.Documents(), id); err != nil || g.Status != query.StatusNotFound || g.Data != nil {
				t.Errorf("Get(%s) = %+v %v", id, g, err)
			}
		}
		empty, err := query.Documents[row]{Collection: "nothing"}.Page(ctx, tx.Documents(), query.Options{})
		if err != nil || !cmp.Equal(empty, query.EmptyPage[row]()) {
			t.Errorf("empty collection = %+v %v", empty, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestDocumentsErrors(t *testing.T) {
	s := memstore.New()
	seed(t, s, 3)
	ctx := context.Background()
	run := func(fn func(docs store.Documents) error) error {
		return s.Atomic(ctx, func(tx store.Tx) error { return fn(tx.Documents()) })
	}
	q := query.Documents[row]{Collection: "orders", Prefix: "o"}
	p := page(t, s, q, query.Options{PageSize: 1})
	other := query.Documents[row]{Collection: "orders", Prefix: "x"}
	err := run(func(d store.Documents) error {
		_, err := other.Page(ctx, d, query.Options{Cursor: p.ContinueCursor})
		return err
	})
	if es.CodeOf(err) != query.CodeInvalidCursor || !strings.Contains(err.Error(), "belongs to another query") {
		t.Errorf("foreign cursor = %v", err)
	}
	err = run(func(d store.Documents) error { _, err := q.Page(ctx, d, query.Options{Cursor: "garbage!"}); return err })
	if es.CodeOf(err) != query.CodeInvalidCursor {
		t.Errorf("garbage cursor = %v", err)
	}
	err = run(func(d store.Documents) error {
		_, err := query.Documents[row]{}.Page(ctx, d, query.Options{})
		return err
	})
	if es.CodeOf(err) != es.CodeInvalidCollection {
		t.Errorf("no collection = %v", err)
	}
	err = run(func(d store.Documents) error { _, err := query.Documents[row]{}.Get(ctx, d, "x"); return err })
	if es.CodeOf(err) != es.CodeInvalidCollection {
		t.Errorf("Get without collection = %v", err)
	}
	bad := query.Documents[int]{Collection: "orders"}
	err = run(func(d store.Documents) error { _, err := bad.All(ctx, d); return err })
	if es.CodeOf(err) != es.CodeInternal || !strings.Contains(err.Error(), "does not decode into int") {
		t.Errorf("decode error = %v", err)
	}
	custom := query.Documents[string]{Collection: "orders", Decode: func(d store.Document) (string, error) { return d.Key, nil }}
	err = run(func(d store.Documents) error {
		c, err := custom.Page(ctx, d, query.Options{PageSize: 2})
		if ids := strings.Join(c.Items, ","); ids != "o0000,o0001" {
			t.Errorf("custom decode = %s", ids)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func ExampleDocuments() {
	s := memstore.New()
	ctx := context.Background()
	_ = s.Atomic(ctx, func(tx store.Tx) error {
		for i := 1; i <= 5; i++ {
			_, _ = tx.Documents().Insert(ctx, "orderSummaries", fmt.Sprintf("order-%02d", i), json.RawMessage(fmt.Sprintf(`{"id":"order-%02d","amount":%d}`, i, i*10)))
		}
		return nil
	})
	q := query.Documents[row]{Collection: "orderSummaries", Prefix: "order-"}
	cursor := ""
	for {
		var p query.Page[row]
		_ = s.Atomic(ctx, func(tx store.Tx) error {
			var err error
			p, err = q.Page(ctx, tx.Documents(), query.Options{PageSize: 2, Cursor: cursor})
			return err
		})
		fmt.Println(ids(p.Items), "done:", p.IsDone)
		if p.IsDone {
			break
		}
		cursor = p.ContinueCursor
	}
	// Output:
	// order-01,order-02 done: false
	// order-03,order-04 done: false
	// order-05 done: true
}
