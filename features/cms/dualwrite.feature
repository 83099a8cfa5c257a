@cms @dual-write @unit
Feature: CMS dual write and the dual-write contract
  A command's new state and the events it results from are written in one
  unit of work: the CMS document and the event append commit together or
  not at all. The CMS version mirrors the stream version: creating writes
  version 1 with the stream's first event; each later write expects the
  loaded version on both the document and the stream.

  Background:
    Given the order CMS repository

  Rule: Versions advance with the stream

    **Invariant:** new version = expected + number of events; the append expects the stream at the expected version.
    **Rationale:** the CMS never drifts from the log.
    **Verified by:** a creation, one event, two events.

    @happy-path
    Scenario: Create, then change with one and with two events
      When I dual-write order "o1" {"status":"new"} expecting version 0 with events "OrderCreated"
      Then the dual write should report version 1
      And the stored order "o1" should be {"stateVersion":1,"status":"new","version":1}
      And the stream "order-o1" should have version 1
      When I dual-write order "o1" {"status":"paid"} expecting version 1 with events "OrderPaid"
      Then the dual write should report version 2
      When I dual-write order "o1" {"status":"shipped"} expecting version 2 with events "OrderPacked, OrderShipped"
      Then the dual write should report version 4
      And the stored order "o1" should be {"stateVersion":1,"status":"shipped","version":4}
      And the stream "order-o1" should have version 4

  Rule: CMS and events commit together or not at all

    **Invariant:** a stream conflict rolls back the CMS write; a CMS conflict appends nothing; a change without events is refused.
    **Rationale:** state and log never diverge.
    **Verified by:** a stream that moved, a stale CMS version, a duplicate creation, no events.

    Background:
      Given order "o1" was created with "OrderCreated"

    @validation
    Scenario: The stream moved behind the CMS's back
      Given another event "Sneaky" was appended to stream "order-o1"
      When I dual-write order "o1" {"status":"paid"} expecting version 1 with events "OrderPaid"
      Then the error code should be "CONCURRENCY_CONFLICT"
      And the stored order "o1" should be {"stateVersion":1,"status":"new","version":1}
      And the stream "order-o1" should have version 2

    @validation
    Scenario: A stale CMS version
      When I dual-write order "o1" {"status":"paid"} expecting version 5 with events "OrderPaid"
      Then the error code should be "VERSION_CONFLICT"
      And the stream "order-o1" should have version 1

    @validation
    Scenario: Creating an aggregate that exists
      When I dual-write order "o1" {"status":"new"} expecting version 0 with events "OrderCreated"
      Then the error code should be "VERSION_CONFLICT"
      And the stream "order-o1" should have version 1

    @validation
    Scenario: A change without events
      When I dual-write order "o1" {"status":"paid"} expecting version 1 with no events
      Then the error code should be "INVALID_ARGUMENT"
      And the error message should contain "has no events"

  Rule: A dual-write contract declares the bounded context's commands, events, CMS tables and error codes

    **Invariant:** a valid contract has a name, version ≥ 1, mode "dual-write", at least one command and event, no duplicates, CMS tables with distinct valid names at state version ≥ 1.
    **Rationale:** a bounded context's surface is checked at start-up.
    **Verified by:** a valid contract and each kind of mistake.

    @happy-path
    Scenario: A valid contract
      Given the orders contract
      When I validate the contract
      Then no error should occur
      And the contract should declare command "CreateOrder" and event "OrderCreated"

    @validation
    Scenario Outline: <mistake>
      Given the orders contract with <mistake>
      When I validate the contract
      Then the error message should contain "<message>"

      Examples:
        | mistake                       | message                                  |
        | execution mode "event-driven" | is not "dual-write"                      |
        | command "CreateOrder" twice   | command type "CreateOrder" is declared twice |
        | no event types                | no event types declared                  |
        | CMS state version 0           | current state version 0 must be at least 1 |
