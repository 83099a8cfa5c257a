package invariant_test

import (
	"fmt"

	"github.com/eventspec/eventspec/platform/invariant"
)

type Cart struct {
	Items int
	Total int
}

func Example() {
	cartErrors := invariant.ForContext("Cart")
	notEmpty := invariant.Must(invariant.New(invariant.Def[Cart]{
		Name:    "cartNotEmpty",
		Code:    "CART_EMPTY",
		Check:   func(c Cart) bool { return c.Items > 0 },
		Message: func(Cart) string { return "a cart needs at least one item" },
		Class:   cartErrors,
	}))
	totalPositive := invariant.Must(invariant.New(invariant.Def[Cart]{
		Name:    "totalPositive",
		Code:    "TOTAL_NOT_POSITIVE",
		Check:   func(c Cart) bool { return c.Total > 0 },
		Message: func(c Cart) string { return fmt.Sprintf("total %d must be positive", c.Total) },
		Context: func(c Cart) map[string]any { return map[string]any{"total": c.Total} },
		Class:   cartErrors,
	}))
	rules := invariant.NewSet(notEmpty, totalPositive)

	empty := Cart{}
	fmt.Println(rules.CheckAll(empty))
	err := rules.AssertAll(empty) // first violation only
	fmt.Println(err, invariant.HasCode(err, "CART_EMPTY"))
	for _, v := range rules.ValidateAll(empty).Violations { // every violation
		fmt.Println(v.Code, "-", v.Message, v.Context)
	}
	// Output:
	// false
	// CartInvariantError CART_EMPTY: a cart needs at least one item true
	// CART_EMPTY - a cart needs at least one item map[]
	// TOTAL_NOT_POSITIVE - total 0 must be positive map[total:0]
}

func ExampleNew2() {
	maxItems := invariant.Must2(invariant.New2(invariant.Def2[Cart, int]{
		Name:    "maxItems",
		Code:    "TOO_MANY_ITEMS",
		Check:   func(c Cart, limit int) bool { return c.Items <= limit },
		Message: func(c Cart, limit int) string { return fmt.Sprintf("%d items, limit %d", c.Items, limit) },
	}))
	fmt.Println(maxItems.Assert(Cart{Items: 12}, 10))
	fmt.Println(maxItems.Bind(20).Check(Cart{Items: 12}))
	// Output:
	// InvariantError TOO_MANY_ITEMS: 12 items, limit 10
	// true
}
