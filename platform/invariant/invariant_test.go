package invariant_test

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/platform/invariant"
)

type order struct {
	Status string
	Items  int
	Total  int
}

var orderErrors = invariant.ForContext("Order")

func hasItems(t *testing.T, withContext bool) invariant.Invariant[order] {
	t.Helper()
	d := invariant.Def[order]{
		Name:    "orderHasItems",
		Code:    "ORDER_HAS_NO_ITEMS",
		Check:   func(o order) bool { return o.Items > 0 },
		Message: func(o order) string { return fmt.Sprintf("order in %s has no items", o.Status) },
		Class:   orderErrors,
	}
	if withContext {
		d.Context = func(o order) map[string]any { return map[string]any{"status": o.Status} }
	}
	inv, err := invariant.New(d)
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

func TestErrorBasics(t *testing.T) {
	e := invariant.NewError("X", "broken", nil)
	if e.Name() != "InvariantError" || e.Data != nil || e.Error() != "InvariantError X: broken" {
		t.Errorf("base error: name %q data %v msg %q", e.Name(), e.Data, e.Error())
	}
	oe := orderErrors.New("Y", "bad order", map[string]any{"id": "o1"})
	if oe.Name() != "OrderInvariantError" || orderErrors.Name() != "OrderInvariantError" {
		t.Errorf("context class name %q", oe.Name())
	}
	if !invariant.IsInvariantError(oe) || !invariant.IsInvariantError(e) || invariant.IsInvariantError(errors.New("x")) || invariant.IsInvariantError(nil) {
		t.Error("IsInvariantError")
	}
	wrapped := fmt.Errorf("handling: %w", oe)
	if !invariant.HasCode(wrapped, "Y") || invariant.HasCode(wrapped, "X") || invariant.HasCode(es.Errorf("Y", "not an invariant"), "Y") {
		t.Error("HasCode")
	}
	if es.CodeOf(wrapped) != "Y" {
		t.Errorf("CodeOf = %q", es.CodeOf(wrapped))
	}
	if !orderErrors.Owns(wrapped) || invariant.ForContext("Customer").Owns(wrapped) || invariant.Base.Owns(wrapped) || !invariant.Base.Owns(e) {
		t.Error("Owns distinguishes classes")
	}
	if !errors.Is(wrapped, orderErrors.New("Y", "", nil)) || errors.Is(wrapped, invariant.NewError("Y", "", nil)) {
		t.Error("errors.Is by class and code")
	}
}

func TestInvariantCheckAssertValidate(t *testing.T) {
	inv := hasItems(t, true)
	good, bad := order{Status: "draft", Items: 2}, order{Status: "submitted"}
	if inv.Name() != "orderHasItems" || inv.Code() != "ORDER_HAS_NO_ITEMS" {
		t.Error("accessors")
	}
	if !inv.Check(good) || inv.Check(bad) {
		t.Error("Check")
	}
	if err := inv.Assert(good); err != nil {
		t.Errorf("Assert(good) = %v", err)
	}
	err := inv.Assert(bad)
	var ie *invariant.Error
	if !errors.As(err, &ie) {
		t.Fatalf("Assert(bad) = %v", err)
	}
	want := &invariant.Error{Context: "Order", ErrCode: "ORDER_HAS_NO_ITEMS", Message: "order in submitted has no items", Data: map[string]any{"status": "submitted"}}
	if !reflect.DeepEqual(ie, want) {
		t.Errorf("Assert error = %+v, want %+v", ie, want)
	}
	if r := inv.Validate(good); !reflect.DeepEqual(r, invariant.Result{Valid: true}) {
		t.Errorf("Validate(good) = %+v", r)
	}
	if r := inv.Validate(bad); !reflect.DeepEqual(r, invariant.Result{Code: "ORDER_HAS_NO_ITEMS", Message: "order in submitted has no items", Context: map[string]any{"status": "submitted"}}) {
		t.Errorf("Validate(bad) = %+v", r)
	}
}

func TestNoContextFunctionMeansNilContext(t *testing.T) {
	inv := hasItems(t, false)
	var ie *invariant.Error
	if !errors.As(inv.Assert(order{}), &ie) || ie.Data != nil {
		t.Errorf("Data = %v, want nil", ie)
	}
	if r := inv.Validate(order{}); r.Context != nil || r.Valid {
		t.Errorf("Validate = %+v", r)
	}
}

func TestDefaultMessageAndBaseClass(t *testing.T) {
	inv := invariant.Must(invariant.New(invariant.Def[int]{Name: "positive", Code: "NOT_POSITIVE", Check: func(n int) bool { return n > 0 }}))
	err := inv.Assert(-1)
	if err.Error() != "InvariantError NOT_POSITIVE: invariant positive violated" {
		t.Errorf("default message: %v", err)
	}
}

func TestNewRejectsIncompleteDefinitions(t *testing.T) {
	check := func(int) bool { return true }
	cases := map[string]invariant.Def[int]{
		`invariant has no name`:               {Code: "C", Check: check},
		`invariant "n" has no code`:           {Name: "n", Check: check},
		`invariant "n" has no check function`: {Name: "n", Code: "C"},
	}
	for msg, d := range cases {
		_, err := invariant.New(d)
		if es.CodeOf(err) != invariant.CodeInvalidDefinition || err.Error() != "INVARIANT_INVALID_DEFINITION: "+msg {
			t.Errorf("New(%+v) = %v", d, err)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("Must did not panic on an error")
		}
	}()
	invariant.Must(invariant.New(invariant.Def[int]{}))
}

func TestSet(t *testing.T) {
	var evaluated []string
	mk := func(name, code string, ok func(order) bool) invariant.Invariant[order] {
		return invariant.Must(invariant.New(invariant.Def[order]{
			Name: name, Code: code,
			Check:   func(o order) bool { evaluated = append(evaluated, name); return ok(o) },
			Message: func(o order) string { return name + " broken" },
		}))
	}
	items := mk("items", "NO_ITEMS", func(o order) bool { return o.Items > 0 })
	total := mk("total", "NEGATIVE_TOTAL", func(o order) bool { return o.Total >= 0 })
	status := mk("status", "NO_STATUS", func(o order) bool { return o.Status != "" })
	list := []invariant.Invariant[order]{items, total, status}
	set := invariant.NewSet(list...)
	list[0] = status // later changes to the input do not affect the set
	if got := set.Invariants(); len(got) != 3 || got[0].Name() != "items" || set.Len() != 3 {
		t.Fatalf("Invariants() = %v", got)
	}

	bad := order{Items: 0, Total: -1, Status: "draft"}
	if set.CheckAll(bad) || !set.CheckAll(order{Items: 1, Status: "x"}) {
		t.Error("CheckAll")
	}

	evaluated = nil
	err := set.AssertAll(bad)
	if !invariant.HasCode(err, "NO_ITEMS") || !reflect.DeepEqual(evaluated, []string{"items"}) {
		t.Errorf("AssertAll = %v, evaluated %v (fail-fast expected)", err, evaluated)
	}

	evaluated = nil
	res := set.ValidateAll(bad)
	want := invariant.SetResult{Violations: []invariant.Violation{
		{Name: "items", Code: "NO_ITEMS", Message: "items broken"},
		{Name: "total", Code: "NEGATIVE_TOTAL", Message: "total broken"},
	}}
	if !reflect.DeepEqual(res, want) || !reflect.DeepEqual(evaluated, []string{"items", "total", "status"}) {
		t.Errorf("ValidateAll = %+v, evaluated %v", res, evaluated)
	}
	if res := set.ValidateAll(order{Items: 1, Status: "x"}); !res.Valid || res.Violations != nil {
		t.Errorf("ValidateAll(valid) = %+v", res)
	}

	var empty invariant.Set[order]
	if !empty.CheckAll(bad) || empty.AssertAll(bad) != nil || !empty.ValidateAll(bad).Valid {
		t.Error("an empty set must pass everything")
	}
}

func TestParameterisedInvariant(t *testing.T) {
	maxItems, err := invariant.New2(invariant.Def2[order, int]{
		Name:    "maxItems",
		Code:    "TOO_MANY_ITEMS",
		Check:   func(o order, limit int) bool { return o.Items <= limit },
		Message: func(o order, limit int) string { return fmt.Sprintf("%d items exceed the limit of %d", o.Items, limit) },
		Context: func(o order, limit int) map[string]any { return map[string]any{"limit": limit} },
		Class:   orderErrors,
	})
	if err != nil {
		t.Fatal(err)
	}
	o := order{Items: 5}
	if !maxItems.Check(o, 5) || maxItems.Check(o, 4) {
		t.Error("Check")
	}
	if err := maxItems.Assert(o, 4); err == nil || err.Error() != "OrderInvariantError TOO_MANY_ITEMS: 5 items exceed the limit of 4" {
		t.Errorf("Assert = %v", err)
	}
	if r := maxItems.Validate(o, 3); r.Valid || r.Context["limit"] != 3 {
		t.Errorf("Validate = %+v", r)
	}
	set := invariant.NewSet(maxItems.Bind(10), maxItems.Bind(2))
	if res := set.ValidateAll(o); len(res.Violations) != 1 || res.Violations[0].Message != "5 items exceed the limit of 2" {
		t.Errorf("bound set = %+v", res)
	}
	if _, err := invariant.New2(invariant.Def2[order, int]{Name: "x", Code: "X"}); es.CodeOf(err) != invariant.CodeInvalidDefinition {
		t.Errorf("New2 without check = %v", err)
	}
}
