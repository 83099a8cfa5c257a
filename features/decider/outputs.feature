@decider @unit
Feature: Decider outputs
  A decider is a pure function: decide(state, command, context) returns an
  outcome, evolve(state, event) returns the next state. The outcome is
  exactly one of success (the events to record and optional data),
  rejected (a code and a message; nothing is recorded) or failed (a reason
  and one event that is still recorded). Callers never parse exceptions.

  Background:
    Given a decider context

  Rule: A success carries the events to record and optional data

    **Invariant:** a success has status "success", carries its events in order and the data the decider returned.
    **Rationale:** callers act on events and data, never on exceptions.
    **Verified by:** a creation, a submission returning data, an idempotent success without events.

    @happy-path @acceptance-criteria
    Scenario: Creating an order emits OrderCreated stamped with the decision time
      Given no existing order state
      When I decide to create order with:
        | field      | value |
        | orderId    | o-1   |
        | customerId | c-1   |
      Then the decision should be "success"
      And the event type should be "OrderCreated"
      And the events should be:
        | type         | orderId | customerId | createdAt            |
        | OrderCreated | o-1     | c-1        | 2026-01-01T00:00:00Z |
      And the state should have status "draft"
      And the state should have customerId "c-1"

    @happy-path
    Scenario: Submitting a draft returns its total as data
      Given an order state:
        | field   | value |
        | orderId | o-1   |
        | status  | draft |
        | items   | 2     |
        | total   | 1500  |
      When I decide to submit order with:
        | field   | value |
        | orderId | o-1   |
      Then the decision should be "success"
      And the data should have total 1500
      And the data should have items 2
      And the events should be exactly:
        | type           | orderId | total |
        | OrderSubmitted | o-1     | 1500  |
      And the decision should have no context
      And the state should have status "submitted"

    @edge-case
    Scenario: A success may emit no events
      Given an order state:
        | field   | value     |
        | orderId | o-1       |
        | status  | submitted |
        | items   | 1         |
        | total   | 100       |
      When I decide to submit order with:
        | field   | value |
        | orderId | o-1   |
      Then the decision should be "success"
      And no events should be emitted
      And the data should have total 100
      And the state should have status "submitted"

  Rule: A rejection carries a code and a message and records nothing

    **Invariant:** a rejection has status "rejected", a code, a message, no events; its context is present only when the decider gave one.
    **Rationale:** a refused command must leave no trace in the stream.
    **Verified by:** missing data, a bad quantity with context, wrong statuses, an existing order.

    @validation
    Scenario: An order needs a customer
      Given no existing order state
      When I decide to create order with:
        | field   | value |
        | orderId | o-1   |
      Then the decision should be "rejected"
      And the rejection code should be "CUSTOMER_REQUIRED"
      And the rejection message should be "a customer id is required"
      And no events should be emitted
      And the rejection should have no context
      And the state should have status ""

    @validation
    Scenario: A rejection can carry context
      Given an order state:
        | field   | value |
        | orderId | o-1   |
        | status  | draft |
      When I decide to add item with:
        | field     | value |
        | orderId   | o-1   |
        | sku       | sku-1 |
        | quantity  | 0     |
        | unitPrice | 100   |
      Then the decision should be "rejected"
      And the rejection code should be "INVALID_QUANTITY"
      And the rejection context should have quantity 0

    @validation
    Scenario Outline: Items can only be added to a draft order (<status>)
      Given an order state:
        | field   | value    |
        | orderId | o-1      |
        | status  | <status> |
      When I decide to add item with:
        | field     | value |
        | orderId   | o-1   |
        | sku       | sku-1 |
        | quantity  | 1     |
        | unitPrice | 100   |
      Then the decision should be "rejected"
      And the rejection code should be "ORDER_NOT_DRAFT"
      And the rejection message should contain "is <status>, not draft"

      Examples:
        | status    |
        | submitted |
        | confirmed |
        | cancelled |

    @edge-case
    Scenario: Creating an order that already exists is rejected
      Given the events:
        | type         | orderId | customerId |
        | OrderCreated | o-1     | c-1        |
      When I decide to create order with:
        | field      | value |
        | orderId    | o-1   |
        | customerId | c-2   |
      Then the decision should be "rejected"
      And the rejection code should be "ORDER_ALREADY_EXISTS"
      And the state should have customerId "c-1"

  Rule: A failure records one event with its reason

    **Invariant:** a failure has status "failed", a reason and exactly one event, which evolves the state.
    **Rationale:** some business failures (a declined payment) must be remembered.
    **Verified by:** a declined payment, a refused creation.

    @business-failure
    Scenario: A declined payment fails the confirmation
      Given the events:
        | type           | orderId | customerId | sku   | quantity | unitPrice | total |
        | OrderCreated   | o-1     | c-1        |       |          |           |       |
        | ItemAdded      | o-1     |            | sku-1 | 1        | 900       |       |
        | OrderSubmitted | o-1     |            |       |          |           | 900   |
      When I decide to confirm order with:
        | field           | value |
        | orderId         | o-1   |
        | paymentApproved | no    |
      Then the decision should be "failed"
      And the failure reason should be "payment declined"
      And the failure event type should be "OrderConfirmationFailed"
      And the event should have reason "payment declined"
      And the state should have status "submitted"
      And the state should have lastFailure "payment declined"

    @business-failure
    Scenario: A customer failing the fraud check is refused
      Given no existing order state
      When I decide to create order with:
        | field      | value     |
        | orderId    | o-1       |
        | customerId | fraud-007 |
      Then the decision should be "failed"
      And the failure reason should contain "fraud"
      And the events should be:
        | type                 | customerId | reason      |
        | OrderCreationRefused | fraud-007  | fraud check |

  Rule: Every outcome has exactly one status

    **Invariant:** success, rejected and failed are mutually exclusive.
    **Rationale:** callers switch on the status.
    **Verified by:** one command of each kind.

    @acceptance-criteria
    Scenario Outline: <command> on a submitted order is <status>
      Given an order state:
        | field   | value     |
        | orderId | o-1       |
        | status  | submitted |
        | items   | 1         |
        | total   | 100       |
      When I decide to <command> with:
        | field           | value      |
        | orderId         | o-1        |
        | paymentApproved | <approved> |
      Then the decision should be "<status>"
      And the state should have status "<after>"

      Examples:
        | command       | approved | status   | after     |
        | confirm order | yes      | success  | confirmed |
        | confirm order | no       | failed   | submitted |
        | ConfirmOrder  | true     | success  | confirmed |

  Rule: The decision context gives the time and the ids

    **Invariant:** a decision sees the context's instant, command id and correlation id, and nothing else.
    **Rationale:** deciders stay pure and deterministic.
    **Verified by:** a given instant, the scenario clock moving.

    @technical-constraint
    Scenario: The context's instant stamps the event
      Given a decider context:
        | field         | value                |
        | now           | 2026-05-04T03:02:01Z |
        | commandId     | cmd-9                |
        | correlationId | corr-9               |
      And no existing order state
      When I decide to create order with:
        | field      | value |
        | orderId    | o-1   |
        | customerId | c-1   |
      Then the event should have createdAt 2026-05-04T03:02:01Z
