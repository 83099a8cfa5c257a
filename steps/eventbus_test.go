package steps_test

import (
	"strings"
	"testing"

	"github.com/eventspec/eventspec/engine/enginetest"
	"github.com/eventspec/eventspec/steps"
)

// The event-bus steps pass on what committed commands published and fail,
// saying what differed, otherwise.
func TestEventBusSteps(t *testing.T) {
	s := steps.NewSuite()
	enginetest.RegisterSteps(s)
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	const create = `Given the command CreateOrder has been dispatched with:
      | field      | value |
      | orderId    | o1    |
      | customerId | c1    |
    `
	cases := []struct{ steps, want string }{
		{create + `Then the event bus should have published:
      | type         | streamType | streamId | globalPosition | causationId |
      | OrderCreated | Order      | o1       | 1              | cmd_given_001 |`, ""},
		{`When the command AddItem is dispatched with:
      | field   | value |
      | orderId | o9    |
      | sku     | a     |
      | qty     | 1     |
    Then the event bus should have published nothing`, ""},
		{create + `Then the event bus should have published nothing`, `expected nothing published on the event bus, got OrderCreated`},
		{create + `Then the event bus should have published:
      | type         | streamId |
      | OrderCreated | o2       |`, "expected the event bus to have published 1 event(s):\n| type | streamId |\n| OrderCreated | o2 |\nit received 1:\n| type | streamId |\n| OrderCreated | o1 |"},
		{create + `Then the event bus should have published:
      | type         | colour |
      | OrderCreated | red    |`, `unknown column "colour"; the columns are type, streamType`},
	}
	for i, c := range cases {
		status, out := runText(t, s, "Feature: bus\n  Scenario: bus\n    "+c.steps+"\n")
		if c.want == "" {
			if status != 0 {
				t.Errorf("case %d: status %d, want a pass:\n%s", i, status, out)
			}
			continue
		}
		if status == 0 || !strings.Contains(out, c.want) {
			t.Errorf("case %d: status %d, want a failure containing %q:\n%s", i, status, c.want, out)
		}
	}
}
