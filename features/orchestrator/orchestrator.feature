@orchestrator @engine
Feature: Command orchestrator
  Every command runs through one execution path, in named stages:
  validation, middleware, the command log, the command-model state (CMS),
  the handler or decider, the dual write of state and events, follow-up
  work, and completion with a final status. The unit of work commits all
  of it together or none of it.

  Rule: A successful command writes its state and its events together

    **Invariant:** after a success the stream holds the new events and the CMS holds the state they produce, at the stream's version.
    **Rationale:** handlers read the CMS in O(1); it must never disagree with the log.
    **Verified by:** creating an order, adding items.

    @happy-path @acceptance-criteria
    Scenario: Creating an order records the event and the state
      When the command CreateOrder is dispatched with:
        | field      | value |
        | orderId    | o1    |
        | customerId | c1    |
      Then the command should succeed
      And the result status should be "executed"
      And the result version should be 1
      And the events appended are:
        | type         | orderId | customerId |
        | OrderCreated | o1      | c1         |
      And the stream "Order-o1" should have version 1
      And the state of Order "o1" should be:
        | field      | value |
        | exists     | true  |
        | status     | draft |
        | customerId | c1    |
      And the state version of Order "o1" should be 1
      And the command status should be "executed"
      And the events of the command should be correlated to it

    @happy-path
    Scenario: A later command starts from the stored state
      Given the command CreateOrder has been dispatched with:
        | field      | value |
        | orderId    | o1    |
        | customerId | c1    |
      When the command AddItem is dispatched with:
        | field   | value |
        | orderId | o1    |
        | sku     | a     |
        | qty     | 2     |
      Then the command should succeed
      And the result version should be 2
      And the state of Order "o1" should be:
        | field   | value |
        | items.a | 2     |
      And the state version of Order "o1" should be 2

    Scenario: Events appended outside the command path are folded in
      Given the events on stream "Order-o1":
        | type         | orderId | customerId | sku | qty |
        | OrderCreated | o1      | c1         |     |     |
        | ItemAdded    | o1      |            | a   | 1   |
      When the command SubmitOrder is dispatched with:
        | field   | value |
        | orderId | o1    |
      Then the command should succeed
      And the events appended are:
        | type           | orderId | lines |
        | OrderSubmitted | o1      | 1     |
      And the state version of Order "o1" should be 3

  Rule: A rejected command writes nothing and is completed as rejected

    **Invariant:** a rejection by validation, middleware or the handler records no event and no state; the command log holds it as rejected, never pending.
    **Rationale:** a retry with the same command id must get the rejection, not hang on a pending command.
    **Verified by:** a handler rejection, a schema violation, an unknown command.

    @validation
    Scenario: The handler rejects adding to a missing order
      When the command AddItem is dispatched with:
        | field   | value |
        | orderId | nope  |
        | sku     | a     |
        | qty     | 1     |
      Then the command should be rejected with code ORDER_NOT_FOUND
      And the rejection reason should be "order nope does not exist"
      And no events are appended
      And the command status should be "rejected"

    @validation
    Scenario: Arguments that break the schema are rejected before the handler
      When the command CreateOrder is dispatched with:
        | field   | value |
        | orderId | o1    |
      Then the command should be rejected with code VALIDATION_ERROR
      And the rejection reason should be "Invalid command arguments: customerId is required"
      And no events are appended
      And the command status should be "rejected"

    @validation
    Scenario: A zero quantity is a domain rejection with its context
      Given the command CreateOrder has been dispatched with:
        | field      | value |
        | orderId    | o1    |
        | customerId | c1    |
      When the command AddItem is dispatched with:
        | field   | value |
        | orderId | o1    |
        | sku     | a     |
        | qty     | 0     |
      Then the command should be rejected with code INVALID_QUANTITY
      And the state version of Order "o1" should be 1

  Rule: A business failure records its event and keeps the state in step

    **Invariant:** a failure appends its one event, changes no business state and moves the CMS version with the stream.
    **Rationale:** the next command must expect the stream's real version (no drift between CMS and stream).
    **Verified by:** submitting an empty order, then adding an item.

    @edge-case
    Scenario: Submitting an empty order fails with an event
      Given the command CreateOrder has been dispatched with:
        | field      | value |
        | orderId    | o1    |
        | customerId | c1    |
      When the command SubmitOrder is dispatched with:
        | field   | value |
        | orderId | o1    |
      Then the command should fail with reason "order has no items"
      And the result status should be "failed"
      And the events appended are:
        | type             | orderId | reason             |
        | SubmissionFailed | o1      | order has no items |
      And the command status should be "failed"
      And the state of Order "o1" should be:
        | field  | value |
        | status | draft |
      And the state version of Order "o1" should be 2

  Rule: A command id executes once

    **Invariant:** a second dispatch of a command id returns the first result and writes nothing, also when the dispatches race.
    **Rationale:** clients retry; retries must be safe.
    **Verified by:** a sequential retry, 16 concurrent dispatches.

    @idempotency @acceptance-criteria
    Scenario: Dispatching the same command again returns the first result
      Given the command id is "cmd-42"
      When the command CreateOrder is dispatched with:
        | field      | value |
        | orderId    | o1    |
        | customerId | c1    |
      And the same command is dispatched again
      Then the dispatch should be a duplicate
      And the result status should be "executed"
      And the result version should be 1
      And no events are appended
      And the stream "Order-o1" should have version 1

    @idempotency @concurrency
    Scenario: Sixteen concurrent dispatches execute the command once
      Given the command id is "cmd-race"
      When the command CreateOrder is dispatched 16 times concurrently with:
        | field      | value |
        | orderId    | o1    |
        | customerId | c1    |
      Then exactly one of the dispatches should have executed the command
      And all dispatches should return the same result
      And the stream "Order-o1" should have version 1

  Rule: Correlation ids are kept or generated

    **Invariant:** a caller-supplied correlation id is kept on the command, its record and its events; without one a "corr_" id is generated.
    **Rationale:** sagas and process managers continue a flow under its correlation id.
    **Verified by:** two commands under one correlation id.

    Scenario: Commands of one flow share the caller's correlation id
      Given the correlation id is "corr-flow-1"
      And the command CreateOrder has been dispatched with:
        | field      | value |
        | orderId    | o1    |
        | customerId | c1    |
      When the command AddItem is dispatched with:
        | field   | value |
        | orderId | o1    |
        | sku     | a     |
        | qty     | 1     |
      Then the result correlation id should be "corr-flow-1"
      And the appended events should have metadata:
        | field         | value       |
        | correlationId | corr-flow-1 |
        | causationId   | cmd_test_002 |
      And the command log should hold 1 command for correlation "corr-flow-1"

  Rule: Follow-up work is enqueued with the command and runs later

    **Invariant:** projection jobs are enqueued in the command's unit of work and run only when the engine is asked to.
    **Rationale:** deterministic tests: nothing runs in the background.
    **Verified by:** two commands, then running until idle.

    Scenario: The order summary projection runs when the engine is idle-run
      Given the command CreateOrder has been dispatched with:
        | field      | value |
        | orderId    | o1    |
        | customerId | c1    |
      When the command AddItem is dispatched with:
        | field   | value |
        | orderId | o1    |
        | sku     | a     |
        | qty     | 1     |
      And the engine runs until idle
      Then 2 jobs of kind "projection.orderSummary" should have run

  Rule: A wired event bus receives the events of successful commands

    **Invariant:** every event a successful command appends is published once, in append order, inside the command's unit of work; rejections and business failures publish nothing.
    **Rationale:** subscribers (process managers, integrations) react to what happened, never to what was refused or rolled back.
    **Verified by:** two successful commands, a rejection and a business failure.

    @event-bus
    Scenario: Successful commands publish their events with where they landed
      Given the command CreateOrder has been dispatched with:
        | field      | value |
        | orderId    | o1    |
        | customerId | c1    |
      When the command AddItem is dispatched with:
        | field   | value |
        | orderId | o1    |
        | sku     | a     |
        | qty     | 1     |
      Then the command should succeed
      And the event bus should have published:
        | type         | streamType | streamId | category | schemaVersion | boundedContext |
        | OrderCreated | Order      | o1       | domain   | 1             | orders         |
        | ItemAdded    | Order      | o1       | domain   | 1             | orders         |

    @event-bus @edge-case
    Scenario: Rejections and business failures publish nothing
      Given the command CreateOrder has been dispatched with:
        | field      | value |
        | orderId    | o1    |
        | customerId | c1    |
      When the command AddItem is dispatched with:
        | field   | value |
        | orderId | o1    |
        | sku     | a     |
        | qty     | 0     |
      And the command SubmitOrder is dispatched with:
        | field   | value |
        | orderId | o1    |
      Then the command should fail with reason "order has no items"
      And the event bus should have published:
        | type         | streamId |
        | OrderCreated | o1       |
