package decider_test

import (
	"fmt"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/platform/decider"
)

// A small bank-account domain for the handler tests.

type account struct {
	Open    bool
	Owner   string
	Balance int
}

type accountEvent interface{ accountEvent() }

type (
	opened struct {
		Owner string `json:"owner"`
	}
	openingRefused struct {
		Owner string `json:"owner"`
	}
	deposited struct {
		Amount int `json:"amount"`
	}
	withdrawn struct {
		Amount int `json:"amount"`
	}
	withdrawalDeclined struct {
		Amount  int `json:"amount"`
		Balance int `json:"balance"`
	}
)

func (opened) accountEvent()             {}
func (openingRefused) accountEvent()     {}
func (deposited) accountEvent()          {}
func (withdrawn) accountEvent()          {}
func (withdrawalDeclined) accountEvent() {}

type accountCmd interface{ accountID() string }

type (
	openAccount struct{ ID, Owner string }
	deposit     struct {
		ID     string
		Amount int
	}
	withdraw struct {
		ID     string
		Amount int
	}
)

func (c openAccount) accountID() string { return c.ID }
func (c deposit) accountID() string     { return c.ID }
func (c withdraw) accountID() string    { return c.ID }

var accountCodec = decider.MustJSONCodec[accountEvent](opened{}, openingRefused{}, deposited{}, withdrawn{}, withdrawalDeclined{})

func accountStream(c accountCmd) es.StreamID { return es.StreamID("account-" + c.accountID()) }

func decideAccount(s account, c accountCmd, ctx decider.Context) decider.Outcome[accountEvent] {
	switch c := c.(type) {
	case openAccount:
		if s.Open {
			return decider.Rejected[accountEvent]("ACCOUNT_EXISTS", "account "+c.ID+" already exists")
		}
		if c.Owner == "blocked" {
			return decider.Failed[accountEvent]("owner is blocked", openingRefused{Owner: c.Owner})
		}
		return decider.Success[accountEvent](opened{Owner: c.Owner})
	case deposit:
		if c.Amount <= 0 {
			return decider.Rejected[accountEvent]("INVALID_AMOUNT", fmt.Sprintf("amount %d must be positive", c.Amount)).
				WithContext(map[string]any{"amount": c.Amount})
		}
		return decider.Success[accountEvent](deposited{Amount: c.Amount}).WithData(s.Balance + c.Amount)
	case withdraw:
		if c.Amount > s.Balance {
			return decider.Failed[accountEvent]("insufficient funds", withdrawalDeclined{Amount: c.Amount, Balance: s.Balance}).
				WithContext(map[string]any{"balance": s.Balance})
		}
		if c.Amount == 0 {
			return decider.Success[accountEvent]() // nothing to do
		}
		return decider.Success[accountEvent](withdrawn{Amount: c.Amount})
	}
	return decider.Rejected[accountEvent]("UNKNOWN_COMMAND", fmt.Sprintf("%T", c))
}

func evolveAccount(s account, e accountEvent) account {
	switch e := e.(type) {
	case opened:
		return account{Open: true, Owner: e.Owner}
	case deposited:
		s.Balance += e.Amount
	case withdrawn:
		s.Balance -= e.Amount
	}
	return s
}

var accountDecider = decider.Decider[account, accountCmd, accountEvent]{
	Name:    "account",
	Initial: func() account { return account{} },
	Decide:  decideAccount,
	Evolve:  evolveAccount,
}
