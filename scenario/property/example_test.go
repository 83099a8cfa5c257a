package property_test

import (
	"fmt"
	"strings"

	"github.com/eventspec/eventspec/platform/decider"
	"github.com/eventspec/eventspec/platform/invariant"
	"github.com/eventspec/eventspec/scenario/property"
	"pgregory.net/rapid"
)

type Tank struct{ Litres int }

type Filled struct{ Litres int }

type Fill struct{ Litres int }

const capacity = 50

// tank is a decider; when guarded is false it forgets to check capacity.
func tank(guarded bool) decider.Decider[Tank, Fill, Filled] {
	return decider.Decider[Tank, Fill, Filled]{
		Name:    "tank",
		Initial: func() Tank { return Tank{} },
		Decide: func(s Tank, c Fill, _ decider.Context) decider.Outcome[Filled] {
			if guarded && s.Litres+c.Litres > capacity {
				return decider.Rejected[Filled]("TANK_FULL", "the tank holds 50 litres")
			}
			return decider.Success(Filled(c))
		},
		Evolve: func(s Tank, e Filled) Tank { return Tank{Litres: s.Litres + e.Litres} },
	}
}

var withinCapacity = invariant.Must(invariant.New(invariant.Def[Tank]{
	Name:    "withinCapacity",
	Code:    "OVERFLOW",
	Check:   func(t Tank) bool { return t.Litres <= capacity },
	Message: func(t Tank) string { return fmt.Sprintf("%d litres in a %d-litre tank", t.Litres, capacity) },
}))

// quietTB is a rapid.TB for the example: it remembers failures instead of
// failing. In a test, pass the *testing.T instead.
type quietTB struct{ fakeTB }

func Example() {
	fills := rapid.Map(rapid.SampledFrom([]int{5, 10, 20}), func(l int) Fill { return Fill{Litres: l} })
	model := func(guarded bool) property.Model[Tank, Fill, Filled] {
		return property.Model[Tank, Fill, Filled]{
			Decider:    tank(guarded),
			Commands:   property.Always[Tank](fills),
			Invariants: invariant.NewSet(withinCapacity),
			MaxSteps:   10,
		}
	}

	good := &quietTB{}
	property.Check(good, model(true))
	fmt.Println("guarded tank fails:", good.failed)

	bad := &quietTB{}
	property.Check(bad, model(false))
	fmt.Println("unguarded tank fails:", bad.failed)
	for _, line := range strings.Split(bad.errors[0], "\n") {
		if strings.HasPrefix(line, "    Then") || strings.HasPrefix(line, "    Given") {
			fmt.Println(strings.TrimSpace(line))
		}
	}
	// Output:
	// guarded tank fails: false
	// unguarded tank fails: true
	// Given the events:
	// Then the invariants "withinCapacity" should hold
}
