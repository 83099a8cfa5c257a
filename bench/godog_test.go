package bench

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/cucumber/godog"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/given"
	"github.com/eventspec/eventspec/platform/decider"
	"github.com/eventspec/eventspec/steps"
)

// BenchmarkGodogDeciderScenarios runs 1,000 decider scenarios (20 feature
// files of 50) through godog, with the pretty formatter Run uses by default,
// and the steps package (the feature is parsed, every scenario gets its
// World, tables are decoded, the decision runs through package scenario's
// integrity checks, Then steps compare) against the baseline of calling
// the decider directly on the same 1,000 cases (fold the given events,
// decide, fold the outcome, compare status and balance).
//
// One op is the whole batch of 1,000 scenarios; ns/scenario and
// allocs/scenario divide by 1,000, and x-baseline is the ratio per
// scenario as well as per batch.
//
//	go test -run='^$' -bench=GodogDeciderScenarios -benchmem ./bench/
func BenchmarkGodogDeciderScenarios(b *testing.B) {
	cases := accountCases(scenarioCount)
	features := accountFeatures(cases, scenariosPerFeature)
	suite := steps.NewSuite()
	registerAccount(suite)
	if err := suite.Err(); err != nil {
		b.Fatal(err)
	}
	compare(b, "godog", func(b *testing.B) {
		perScenario(b, func() {
			for _, c := range cases {
				if err := c.direct(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}, func(b *testing.B) {
		perScenario(b, func() {
			status := godog.TestSuite{
				ScenarioInitializer: suite.InitializeScenario,
				Options: &godog.Options{
					Format:          "pretty",
					NoColors:        true,
					Output:          io.Discard,
					Strict:          true,
					FeatureContents: features,
				},
			}.Run()
			if status != 0 {
				b.Fatalf("godog status %d", status)
			}
		})
	})
}

// scenarioCount is the number of scenarios per op, in features of
// scenariosPerFeature scenarios.
const (
	scenarioCount       = 1000
	scenariosPerFeature = 50
)

// perScenario runs batch b.N times and reports time and allocations per
// scenario.
func perScenario(b *testing.B, batch func()) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for b.Loop() {
		batch()
	}
	runtime.ReadMemStats(&after)
	n := float64(b.N) * scenarioCount
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/scenario")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/n, "allocs/scenario")
}

// The account domain: withdrawals from an opened account.

type account struct {
	ID      string `json:"id"`
	Open    bool   `json:"open"`
	Balance int    `json:"balance"`
}

type accountEvent interface{ accountEvent() }

type AccountOpened struct {
	ID string `json:"id"`
}

type MoneyDeposited struct {
	Amount int `json:"amount"`
}

type MoneyWithdrawn struct {
	Amount int `json:"amount"`
}

func (AccountOpened) accountEvent()  {}
func (MoneyDeposited) accountEvent() {}
func (MoneyWithdrawn) accountEvent() {}

type Withdraw struct {
	Amount int `json:"amount" given:",required"`
}

var accountDecider = decider.Decider[account, Withdraw, accountEvent]{
	Name:    "account",
	Initial: func() account { return account{} },
	Decide: func(s account, c Withdraw, _ decider.Context) decider.Outcome[accountEvent] {
		switch {
		case !s.Open:
			return decider.Rejected[accountEvent]("ACCOUNT_CLOSED", "the account is not open")
		case c.Amount <= 0:
			return decider.Rejected[accountEvent]("INVALID_AMOUNT", "the amount must be positive")
		case c.Amount > s.Balance:
			return decider.Rejected[accountEvent]("INSUFFICIENT_FUNDS", fmt.Sprintf("balance %d is below %d", s.Balance, c.Amount))
		}
		return decider.Success[accountEvent](MoneyWithdrawn{Amount: c.Amount})
	},
	Evolve: func(s account, e accountEvent) account {
		switch ev := e.(type) {
		case AccountOpened:
			s.ID, s.Open = ev.ID, true
		case MoneyDeposited:
			s.Balance += ev.Amount
		case MoneyWithdrawn:
			s.Balance -= ev.Amount
		}
		return s
	},
}

func registerAccount(s *steps.Suite) {
	s.Fail(errors.Join(
		given.RegisterEvent[AccountOpened](s.Registry, ""),
		given.RegisterEvent[MoneyDeposited](s.Registry, ""),
		given.RegisterEvent[MoneyWithdrawn](s.Registry, ""),
		given.RegisterCommand[Withdraw](s.Registry, ""),
	))
	steps.RegisterDecider(s, accountDecider)
}

// accountCase is one scenario: a deposit, a withdrawal, the expected
// status and balance.
type accountCase struct {
	deposit, withdraw, after int
	status                   decider.Status
}

func accountCases(n int) []accountCase {
	out := make([]accountCase, n)
	for i := range out {
		c := accountCase{deposit: 100 + i%50, withdraw: (i*37)%200 + 1}
		c.status, c.after = decider.StatusRejected, c.deposit
		if c.withdraw <= c.deposit {
			c.status, c.after = decider.StatusSuccess, c.deposit-c.withdraw
		}
		out[i] = c
	}
	return out
}

var benchContext = decider.Context{Now: es.DefaultVirtualStart, CommandID: "cmd_test_001", CorrelationID: "corr_test_001"}

// direct is the baseline: the same case without the toolkit.
func (c accountCase) direct() error {
	s := accountDecider.Fold(AccountOpened{ID: "a"}, MoneyDeposited{Amount: c.deposit})
	out := accountDecider.Decide(s, Withdraw{Amount: c.withdraw}, benchContext)
	for _, e := range out.Events {
		s = accountDecider.Evolve(s, e)
	}
	if out.Status != c.status || s.Balance != c.after {
		return fmt.Errorf("case %+v: got %s and balance %d", c, out.Status, s.Balance)
	}
	return nil
}

// accountFeatures writes one scenario per case, perFeature scenarios to a
// feature file, as a project's suite would be laid out. (Not one Scenario
// Outline: godog's pretty formatter rescans every example row for each
// step of an outline, which makes a 1,000-row outline quadratic; one
// 1,000-scenario feature is slower per scenario too, as godog looks steps
// up by scanning the feature.)
func accountFeatures(cases []accountCase, perFeature int) []godog.Feature {
	var out []godog.Feature
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			out = append(out, godog.Feature{Name: fmt.Sprintf("withdrawals-%02d.feature", len(out)+1), Contents: []byte(b.String())})
			b.Reset()
		}
	}
	for i, c := range cases {
		if i%perFeature == 0 {
			flush()
			fmt.Fprintf(&b, "Feature: withdrawals %d\n", len(out)+1)
		}
		fmt.Fprintf(&b, `
  Scenario: withdrawal %d: %d after depositing %d
    Given the events:
      | type           | id | amount |
      | AccountOpened  | a  |        |
      | MoneyDeposited |    | %d     |
    When I decide to withdraw with:
      | field  | value |
      | amount | %d    |
    Then the decision should be "%s"
    And the state should have balance %d
`, i+1, c.withdraw, c.deposit, c.deposit, c.withdraw, c.status, c.after)
	}
	flush()
	return out
}
