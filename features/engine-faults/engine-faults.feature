@engine @engine-faults
Feature: Seeded fault injection in the deterministic engine
  A seed makes the engine inject the faults of at-least-once delivery into
  job deliveries — a duplicate delivery, a failed commit, a crash after the
  job's work committed but before the job was marked done — drawn only from
  the seed, so the same seed replays exactly the same faults. Follow-up jobs
  are enqueued in the same unit of work as the events they follow (an
  outbox), so a crash before done is how a crash between append and publish
  looks: the events and the outbox entry are stored, the entry is published
  again. An idempotent handler ends in the same state whatever is injected.

  Rule: Each injected fault is recovered from, and an idempotent projection does not see it

    **Invariant:** under any fault, every job ends done once and the projection equals the fault-free one.
    **Rationale:** at-least-once delivery means handlers see duplicates, retries and redeliveries.
    **Verified by:** one scenario per fault, with the fault log.

    @happy-path
    Scenario: Without faults the projection counts each follow-up once
      When the command CreateOrder is dispatched with:
        | field      | value |
        | orderId    | o1    |
        | customerId | c1    |
      And the command AddItem is dispatched with:
        | field   | value |
        | orderId | o1    |
        | sku     | a     |
        | qty     | 1     |
      And the engine settles
      Then the order tally of "o1" should be '{"events":{"ItemAdded":1,"OrderCreated":1},"followUps":2}'
      And the engine should have injected:
        | fault | job kind | attempt |

    Scenario: A duplicate delivery runs the handler twice for one job
      Given the engine injects faults with seed 1:
        | fault              | value |
        | duplicate delivery | 1     |
      When the command CreateOrder is dispatched with:
        | field      | value |
        | orderId    | o1    |
        | customerId | c1    |
      And the command AddItem is dispatched with:
        | field   | value |
        | orderId | o1    |
        | sku     | a     |
        | qty     | 1     |
      And the engine settles
      Then the order tally of "o1" should be '{"events":{"ItemAdded":1,"OrderCreated":1},"followUps":2}'
      And the engine should have injected:
        | fault              | job kind                | attempt |
        | duplicate-delivery | projection.orderSummary | 1       |
        | duplicate-delivery | projection.orderSummary | 1       |

    Scenario: A failed commit rolls the attempt back and the job retries with backoff
      Given the engine injects faults with seed 1:
        | fault         | value |
        | failed commit | 1     |
      When the command CreateOrder is dispatched with:
        | field      | value |
        | orderId    | o1    |
        | customerId | c1    |
      And the engine settles
      Then the order tally of "o1" should be '{"events":{"OrderCreated":1},"followUps":1}'
      And the engine should have injected:
        | fault         | job kind                | attempt |
        | failed-commit | projection.orderSummary | 1       |
        | failed-commit | projection.orderSummary | 2       |
        | failed-commit | projection.orderSummary | 3       |
        | failed-commit | projection.orderSummary | 4       |

    Scenario: A crash between commit and done delivers the job again
      Given the engine injects faults with seed 1:
        | fault             | value |
        | crash before done | 1     |
        | at most           | 1     |
      When the command CreateOrder is dispatched with:
        | field      | value |
        | orderId    | o1    |
        | customerId | c1    |
      And the engine runs until idle
      Then the order tally of "o1" should be '{"events":{"OrderCreated":1},"followUps":1}'
      And the engine should have injected:
        | fault             | job kind                | attempt |
        | crash-before-done | projection.orderSummary | 1       |

  Rule: Faults expose a handler that is not idempotent

    **Invariant:** a handler that applies a redelivered job again ends in another state than the fault-free run.
    **Rationale:** the point of injecting faults is to find such handlers before production does.
    **Verified by:** the projection without its inbox, under duplicate delivery and crashes.

    @validation
    Scenario: Duplicate delivery counts a follow-up twice in a projection without an inbox
      Given the order projection is not idempotent
      And the engine injects faults with seed 1:
        | fault              | value |
        | duplicate delivery | 1     |
      When the command CreateOrder is dispatched with:
        | field      | value |
        | orderId    | o1    |
        | customerId | c1    |
      And the engine settles
      Then the order tally of "o1" should be '{"events":{"OrderCreated":2},"followUps":2}'

    @validation
    Scenario: A crash before done counts a follow-up twice in a projection without an inbox
      Given the order projection is not idempotent
      And the engine injects faults with seed 1:
        | fault             | value |
        | crash before done | 1     |
        | at most           | 1     |
      When the command CreateOrder is dispatched with:
        | field      | value |
        | orderId    | o1    |
        | customerId | c1    |
      And the engine settles
      Then the order tally of "o1" should be '{"events":{"OrderCreated":2},"followUps":2}'

  Rule: The seed alone decides the faults

    **Invariant:** the same seed and the same commands inject the same faults in the same order, on every store.
    **Rationale:** a failure found under a seed must replay exactly.
    **Verified by:** a mixed plan whose fault log is written down.

    @edge-case
    Scenario: A mixed plan under seed 7 injects exactly these faults
      Given the engine injects faults with seed 7:
        | fault              | value |
        | duplicate delivery | 0.3   |
        | failed commit      | 0.3   |
        | crash before done  | 0.3   |
      When the command CreateOrder is dispatched with:
        | field      | value |
        | orderId    | o1    |
        | customerId | c1    |
      And the command AddItem is dispatched with:
        | field   | value |
        | orderId | o1    |
        | sku     | a     |
        | qty     | 1     |
      And the command SubmitOrder is dispatched with:
        | field   | value |
        | orderId | o1    |
      And the engine settles
      Then the order tally of "o1" should be '{"events":{"ItemAdded":1,"OrderCreated":1,"OrderSubmitted":1},"followUps":3}'
      And the engine should have injected:
        | fault              | job kind                | attempt |
        | duplicate-delivery | projection.orderSummary | 1       |
        | failed-commit      | projection.orderSummary | 1       |
        | failed-commit      | projection.orderSummary | 2       |
        | crash-before-done  | projection.orderSummary | 3       |
        | duplicate-delivery | projection.orderSummary | 3       |

    @validation
    Scenario: A plan whose probabilities add up to more than 1 is rejected
      Given the engine injects faults with seed 1:
        | fault              | value |
        | duplicate delivery | 0.6   |
        | failed commit      | 0.6   |
      When the engine settles
      Then the error code should be "INVALID_ARGUMENT"
      And the error message should contain "add up to at most 1"
