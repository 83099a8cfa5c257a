package scenario_test

import (
	"testing"

	"github.com/eventspec/eventspec/scenario"
	td "github.com/eventspec/eventspec/scenario/internal/testdomain"
)

var benchHistory = []td.Event{
	placed,
	td.ItemAdded{SKU: "a", Qty: 1, Price: 10},
	td.ItemAdded{SKU: "b", Qty: 2, Price: 20},
	td.Submitted{},
}

// BenchmarkScenario is one Given(4 events)/When/Then with all integrity
// checks; BenchmarkDirect is the bare fold + decide it wraps.
func BenchmarkScenario(b *testing.B) {
	sc := scenario.Decider(td.Decider).Given(benchHistory...)
	for b.Loop() {
		if err := sc.When(td.Confirm{By: "bob"}).CheckEvents(td.Confirmed{By: "bob"}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDirect(b *testing.B) {
	for b.Loop() {
		out := td.Decider.Decide(td.Decider.Fold(benchHistory...), td.Confirm{By: "bob"}, scenario.DefaultContext)
		if !out.IsSuccess() {
			b.Fatal(out)
		}
	}
}
