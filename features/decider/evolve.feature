@decider @unit
Feature: Evolving decider state
  evolve(state, event) folds events into state. State given as events is
  the fold of those events from the initial state; every decision is
  checked to leave the state it saw unchanged, and folding the whole
  history again must give the state the decision produced.

  Rule: State is the fold of its events

    **Invariant:** the state after events e1..en is evolve(…evolve(initial, e1)…, en).
    **Rationale:** the stream is the source of truth; state is derived.
    **Verified by:** folding a history, applying single events.

    @happy-path
    Scenario: Folding an order's history
      Given the events:
        | type      | orderId | customerId | sku   | quantity | unitPrice |
        | OrderCreated | o-1  | c-1        |       |          |           |
        | ItemAdded | o-1     |            | sku-1 | 2        | 250       |
        | ItemAdded | o-1     |            | sku-2 | 1        | 1000      |
        | ItemAdded | o-1     |            | sku-1 | 1        | 250       |
      Then the state should have:
        | field       | value |
        | status      | draft |
        | items       | 4     |
        | total       | 1750  |
        | lines.sku-1 | 3     |
        | lines.sku-2 | 1     |

    @happy-path
    Scenario: Applying one event at a time
      Given no existing order state
      When OrderCreated event is applied:
        | field      | value |
        | orderId    | o-1   |
        | customerId | c-1   |
      Then the evolved state should have status "draft"
      When an ItemAdded event is applied:
        | field     | value |
        | orderId   | o-1   |
        | sku       | sku-1 |
        | quantity  | 3     |
        | unitPrice | 10    |
      Then the evolved state should have total 30
      And state should have items 3

    @edge-case
    Scenario: Events that do not change the status keep it
      Given an order state:
        | field   | value     |
        | orderId | o-1       |
        | status  | submitted |
      When the OrderConfirmationFailed event is applied:
        | field   | value            |
        | orderId | o-1              |
        | reason  | payment declined |
      Then the state should have status "submitted"
      And the state should have lastFailure "payment declined"

  Rule: Decisions see the clock of the scenario

    **Invariant:** without a given context, a decision sees the scenario's virtual clock and the default ids.
    **Rationale:** time in tests moves only when a step says so.
    **Verified by:** a confirmation after time passes.

    @technical-constraint
    Scenario: Time passes before a confirmation
      Given an order state:
        | field   | value     |
        | orderId | o-1       |
        | status  | submitted |
        | items   | 1         |
        | total   | 100       |
      When 2 hours pass
      And I decide to confirm order with:
        | field           | value |
        | orderId         | o-1   |
        | paymentApproved | yes   |
      Then the decision should be "success"
      And the events should be:
        | type           | confirmedAt          |
        | OrderConfirmed | 2026-01-01T02:00:00Z |
      And the state should have confirmedAt 2026-01-01T02:00:00Z
      And the time should be "2026-01-01T02:00:00Z"

  Rule: Decisions build on earlier decisions in the same scenario

    **Invariant:** each decision's events are folded into the state the next decision sees.
    **Rationale:** a scenario can walk an aggregate through its lifecycle.
    **Verified by:** create, add, submit in sequence.

    @happy-path
    Scenario: Walking an order from creation to submission
      Given no existing order state
      When I decide to create order with:
        | field      | value |
        | orderId    | o-1   |
        | customerId | c-1   |
      And I decide to add item with:
        | field     | value |
        | orderId   | o-1   |
        | sku       | sku-1 |
        | quantity  | 2     |
        | unitPrice | 300   |
      And I decide to submit order with:
        | field   | value |
        | orderId | o-1   |
      Then the decision should be "success"
      And the data should have total 600
      And the state should have status "submitted"
      And the state should have lines.sku-1 2
