package given_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/given"
)

type address struct {
	City string  `json:"city"`
	Zip  *string `json:"zip,omitempty"`
}

type audit struct {
	Tenant string `json:"tenant"`
}

type level int

func (l *level) UnmarshalText(b []byte) error {
	switch string(b) {
	case "low":
		*l = 1
	case "high":
		*l = 2
	default:
		return errors.New("want low or high")
	}
	return nil
}

type kitchenSink struct {
	audit
	ID       string            `json:"orderId" given:",required"`
	Qty      int8              `json:"quantity"`
	Count    uint16            `json:"count"`
	Price    float64           `json:"price"`
	Paid     bool              `json:"paid"`
	At       time.Time         `json:"placedAt"`
	TTL      time.Duration     `json:"ttl"`
	Items    []string          `json:"items"`
	Nums     []int             `json:"nums"`
	Pair     [2]int            `json:"pair"`
	Ship     *address          `json:"ship"`
	Bill     address           `json:"bill"`
	Labels   map[string]string `json:"labels"`
	Any      any               `json:"any"`
	Raw      json.RawMessage   `json:"raw"`
	Level    level             `json:"level"`
	Note     *string           `json:"note"`
	Hidden   string            `json:"hidden" given:"-"`
	Ignored  string            `json:"-"`
	GoNamed  string
	internal string
}

func TestDecodeVerticalAllKinds(t *testing.T) {
	got, err := given.Decode[kitchenSink]([][]string{
		{"field", "value"},
		{"orderId", "o-1"},
		{"quantity", "-3"},
		{"count", "65535"},
		{"price", "1.25"},
		{"paid", "YES"},
		{"placedAt", "2026-01-02T03:04:05.5+01:00"},
		{"ttl", "1h30m"},
		{"items", "a, b ,c"},
		{"nums", "[1, 2]"},
		{"pair", "7,8"},
		{"ship.city", "Paris"},
		{"ship.zip", "75001"},
		{"Bill.City", "Lyon"},
		{"labels.tier", "gold"},
		{"any", `{"x":1}`},
		{"raw", `[true]`},
		{"level", "high"},
		{"note", "null"},
		{"tenant", "t1"},
		{"go named", "yes"},
	})
	if err != nil {
		t.Fatal(err)
	}
	zip := "75001"
	want := kitchenSink{
		audit: audit{Tenant: "t1"},
		ID:    "o-1", Qty: -3, Count: 65535, Price: 1.25, Paid: true,
		At:    time.Date(2026, 1, 2, 2, 4, 5, 500_000_000, time.UTC),
		TTL:   90 * time.Minute,
		Items: []string{"a", "b", "c"}, Nums: []int{1, 2}, Pair: [2]int{7, 8},
		Ship:    &address{City: "Paris", Zip: &zip},
		Bill:    address{City: "Lyon"},
		Labels:  map[string]string{"tier": "gold"},
		Any:     map[string]any{"x": float64(1)},
		Raw:     json.RawMessage(`[true]`),
		Level:   2,
		GoNamed: "yes",
	}
	if !got.At.Equal(want.At) {
		t.Fatalf("placedAt = %v, want %v", got.At, want.At)
	}
	got.At = want.At
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decoded\n%+v\nwant\n%+v", got, want)
	}
}

func TestDecodeWithoutHeaderAndEmptyCells(t *testing.T) {
	got, err := given.Decode[*kitchenSink]([][]string{{"orderId", "o-2"}, {"items", ""}, {"note", `""`}})
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != "o-2" || got.Items != nil || got.Note == nil || *got.Note != "" {
		t.Fatalf("got %+v", got)
	}
}

// tableErr asserts err holds exactly the table errors described by want
// (row, column, field, expected) and returns them.
func tableErrs(t *testing.T, err error) []*given.TableError {
	t.Helper()
	if err == nil {
		t.Fatal("expected a table error, got nil")
	}
	if !errors.Is(err, given.ErrInvalidTable) || es.CodeOf(err) != given.CodeInvalidTable {
		t.Fatalf("error %v: code %q, want INVALID_TABLE", err, es.CodeOf(err))
	}
	var list given.TableErrors
	if errors.As(err, &list) {
		return list
	}
	var one *given.TableError
	if !errors.As(err, &one) {
		t.Fatalf("%T is not a *TableError", err)
	}
	return []*given.TableError{one}
}

func TestTableErrorNamesRowColumnValueAndType(t *testing.T) {
	_, err := given.Decode[kitchenSink]([][]string{
		{"field", "value"},
		{"orderId", "o-1"},
		{"quantity", "4x2"},
	})
	errs := tableErrs(t, err)
	if len(errs) != 1 {
		t.Fatalf("got %d errors: %v", len(errs), err)
	}
	e := errs[0]
	if e.Row != 3 || e.Column != "value" || e.Field != "quantity" || e.Value != "4x2" || e.Expected != "int8" || e.Target != "given_test.kitchenSink" {
		t.Fatalf("error fields: %+v", e)
	}
	const msg = `INVALID_TABLE: given_test.kitchenSink: row 3, column "value" (field "quantity"): value "4x2" is not a valid int8`
	if err.Error() != msg {
		t.Fatalf("message\n%s\nwant\n%s", err.Error(), msg)
	}
}

func TestHorizontalErrorsNameRowAndColumn(t *testing.T) {
	var out []kitchenSink
	err := given.DecodeRows([][]string{
		{"orderId", "placedAt", "paid"},
		{"a", "2026-01-01T00:00:00Z", "no"},
		{"b", "yesterday", "true"},
		{"", "", "maybe"},
	}, &out)
	errs := tableErrs(t, err)
	want := []struct {
		row            int
		column, expect string
	}{
		{3, "placedAt", "time (RFC 3339, e.g. 2026-01-02T15:04:05Z)"},
		{4, "paid", "bool (true/false, yes/no, 1/0)"},
		{4, "", "string"}, // orderId missing
	}
	if len(errs) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%v", len(errs), len(want), err)
	}
	for i, w := range want {
		if errs[i].Row != w.row || errs[i].Column != w.column || errs[i].Expected != w.expect {
			t.Errorf("error %d = %+v, want row %d column %q expected %q", i, errs[i], w.row, w.column, w.expect)
		}
	}
	if !strings.Contains(errs[2].Error(), `row 4: required field "orderId" (string) is missing`) {
		t.Errorf("missing-field message: %s", errs[2])
	}
	if out != nil {
		t.Errorf("a failed decode must leave dst untouched, got %v", out)
	}
}

func TestUnknownColumnListsFields(t *testing.T) {
	type small struct {
		A string `json:"a"`
		B int    `json:"b"`
	}
	_, err := given.DecodeAll[small]([][]string{{"a", "colour"}, {"x", "red"}})
	errs := tableErrs(t, err)
	if len(errs) != 1 || errs[0].Row != 1 || errs[0].Column != "colour" {
		t.Fatalf("got %v", err)
	}
	if !strings.Contains(err.Error(), "unknown field; given_test.small has fields: a, b") {
		t.Fatalf("message: %s", err)
	}
}

func TestStrictValues(t *testing.T) {
	type nums struct {
		I   int           `json:"i"`
		U   uint8         `json:"u"`
		F   float64       `json:"f"`
		B   bool          `json:"b"`
		D   time.Duration `json:"d"`
		R   json.RawMessage
		L   level   `json:"l"`
		S   []int   `json:"s"`
		P   [2]int  `json:"p"`
		Obj address `json:"obj"`
		M   map[string]int
	}
	bad := []struct{ field, value, expect string }{
		{"i", "42abc", "int"},
		{"i", "4.0", "int"},
		{"i", " 4", "int"},
		{"i", "99999999999999999999", "int"},
		{"u", "-1", "uint8"},
		{"u", "256", "uint8"},
		{"f", "NaN", "float64"},
		{"f", "Inf", "float64"},
		{"f", "1e400", "float64"},
		{"f", "0x10", "float64"},
		{"f", "1,5", "float64"},
		{"b", "maybe", "bool (true/false, yes/no, 1/0)"},
		{"d", "5", "duration (e.g. 90s, 1h30m)"},
		{"R", "{", "JSON"},
		{"l", "medium", "given_test.level (text)"},
		{"s", "1,x", "[]int (JSON array or comma-separated)"},
		{"s", "[1,", "[]int (JSON array or comma-separated)"},
		{"p", "1,2,3", "[2]int (JSON array or comma-separated)"},
		{"obj", `{"city":"x","planet":"y"}`, "given_test.address (JSON)"},
		{"obj", `{"city":"x"} {}`, "given_test.address (JSON)"},
		{"M", `{"a":"b"}`, "map[string]int (JSON)"},
	}
	for _, b := range bad {
		_, err := given.Decode[nums]([][]string{{b.field, b.value}})
		errs := tableErrs(t, err)
		if len(errs) != 1 || errs[0].Value != b.value || errs[0].Expected != b.expect || errs[0].Row != 1 {
			t.Errorf("%s=%q: %+v (%v), want expected %q", b.field, b.value, errs[0], err, b.expect)
		}
	}
	good, err := given.Decode[nums]([][]string{{"i", "-7"}, {"f", "2.5e3"}, {"b", "0"}, {"d", "0"}, {"M", `{"a":1}`}, {"s", "[]"}})
	if err != nil {
		t.Fatal(err)
	}
	if good.I != -7 || good.F != 2500 || good.B || good.D != 0 || good.M["a"] != 1 || good.S == nil || len(good.S) != 0 {
		t.Fatalf("got %+v", good)
	}
}

func TestTableShapeErrors(t *testing.T) {
	cases := []struct {
		name string
		run  func() error
		want string
	}{
		{"vertical with three columns", func() error {
			_, err := given.Decode[address]([][]string{{"city", "a", "b"}})
			return err
		}, `row 1: a vertical table has 2 columns (field | value); this row has 3`},
		{"field set twice", func() error {
			_, err := given.Decode[address]([][]string{{"city", "a"}, {"City", "b"}})
			return err
		}, `row 2, column "value" (field "City"): field "City" is set twice (first at row 1)`},
		{"empty horizontal table", func() error {
			_, err := given.DecodeAll[address](nil)
			return err
		}, `table: the table is empty`},
		{"ragged row", func() error {
			_, err := given.DecodeAll[address]([][]string{{"city"}, {"a", "b"}})
			return err
		}, `row 2: row has 2 cells; the header has 1`},
		{"repeated column", func() error {
			_, err := given.DecodeAll[address]([][]string{{"city", "City"}, {"a", "b"}})
			return err
		}, `row 1, column "City": column "City" repeats column 1 ("city")`},
		{"path through a scalar", func() error {
			_, err := given.Decode[address]([][]string{{"city.name", "a"}})
			return err
		}, `"city" is a string, not a struct or a map, so "name" cannot follow it`},
		{"unknown nested field", func() error {
			_, err := given.Decode[kitchenSink]([][]string{{"orderId", "x"}, {"ship.planet", "a"}})
			return err
		}, `"ship.planet": unknown field; given_test.address has fields: city, zip`},
	}
	for _, c := range cases {
		err := c.run()
		tableErrs(t, err)
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v\nwant it to contain %s", c.name, err, c.want)
		}
	}
}

func TestDecodeArgumentErrors(t *testing.T) {
	var s address
	for _, err := range []error{
		given.DecodeTable([][]string{{"city", "x"}}, s),
		given.DecodeTable([][]string{{"city", "x"}}, (*address)(nil)),
		given.DecodeRows([][]string{{"city"}}, &s),
		func() error { _, err := given.Decode[int](nil); return err }(),
		func() error { _, err := given.Decode[time.Time](nil); return err }(),
	} {
		if es.CodeOf(err) != es.CodeInvalidArgument {
			t.Errorf("got %v, want INVALID_ARGUMENT", err)
		}
	}
}

func TestDecodeRowsIntoPointers(t *testing.T) {
	var out []*address
	if err := given.DecodeRows([][]string{{"city", "zip"}, {"Paris", "75001"}, {"Lyon", ""}}, &out); err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 || out[0].City != "Paris" || *out[0].Zip != "75001" || out[1].Zip != nil {
		t.Fatalf("got %+v %+v", out[0], out[1])
	}
}

func TestDecodeFieldsAndSet(t *testing.T) {
	var a address
	if err := given.DecodeFields(map[string]string{"zip": "1", "city": "x"}, &a); err != nil || a.City != "x" || *a.Zip != "1" {
		t.Fatalf("%+v %v", a, err)
	}
	if err := given.Set(&a, "city", "y"); err != nil || a.City != "y" {
		t.Fatalf("%+v %v", a, err)
	}
	if err := given.Set(&a, "nope", "y"); es.CodeOf(err) != es.CodeInvalidArgument || !strings.Contains(err.Error(), `field "nope"`) {
		t.Fatalf("got %v", err)
	}
	var k kitchenSink
	if err := given.Set(&k, "quantity", "x"); err == nil || !strings.Contains(err.Error(), `value "x" is not a valid int8`) {
		t.Fatalf("got %v", err)
	}
}

func TestMapPathRules(t *testing.T) {
	_, err := given.Decode[kitchenSink]([][]string{{"orderId", "x"}, {"labels.a.b", "v"}})
	tableErrs(t, err)
	if !strings.Contains(err.Error(), `"labels" is a map: its entries are set whole`) {
		t.Fatalf("got %v", err)
	}
}

func TestAmbiguousLooseName(t *testing.T) {
	type twins struct {
		UserID string `json:"user_id"`
		Userid string `json:"userid2"`
	}
	// "user_id" matches exactly; "USERID" matches both loosely.
	if _, err := given.Decode[twins]([][]string{{"user_id", "a"}}); err != nil {
		t.Fatal(err)
	}
	_, err := given.Decode[twins]([][]string{{"USERID", "a"}})
	tableErrs(t, err)
	if !strings.Contains(err.Error(), "ambiguous field name; it matches user_id and userid2") {
		t.Fatalf("got %v", err)
	}
}

func TestTableErrorsCap(t *testing.T) {
	rows := [][]string{{"orderId", "quantity"}}
	for i := 0; i < 50; i++ {
		rows = append(rows, []string{"x", "bad"})
	}
	_, err := given.DecodeAll[kitchenSink](rows)
	if errs := tableErrs(t, err); len(errs) != 20 {
		t.Fatalf("got %d errors, want the cap of 20", len(errs))
	}
}
