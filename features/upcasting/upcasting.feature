@upcasting @unit
Feature: Event upcasting
  Stored events are never rewritten. When an event type's payload changes
  shape, a chain of one-step migrations per schema version upgrades old
  events as they are read — by stream, by global position and by DCB
  query — so every reader sees the current shape. A chain must cover every
  version from 1 to current−1: a gap fails at registration, never at read
  time. After each step the chain sets the event's schemaVersion itself.

  The OrderCreated chain used below: v1 {id} → v2 adds currency "EUR" →
  v3 renames id to orderId.

  Rule: A chain is checked when it is registered

    **Invariant:** registering a chain to version N without a migration for some v in 1…N−1 fails with MISSING_MIGRATION "Missing migration for version v" and registers nothing.
    **Rationale:** a gap must not surface at read time, in production.
    **Verified by:** a gap at the start, a gap in the middle, a complete chain.

    @validation
    Scenario Outline: A chain to version <current> with migrations for <versions> is refused
      When I register a chain for "OrderShipped" to version <current> with migrations for <versions>
      Then the error code should be "MISSING_MIGRATION"
      And the error message should be "event OrderShipped: Missing migration for version <missing>"
      And "OrderShipped" should not have an upcaster

      Examples:
        | current | versions | missing |
        | 3       | 2        | 1       |
        | 4       | 1, 3     | 2       |

    @happy-path
    Scenario: A complete chain is registered
      When I register a chain for "OrderShipped" to version 3 with migrations for 1, 2
      Then no error should occur
      And "OrderShipped" should have an upcaster

  Rule: Reading applies the chain from the stored version to the current one

    **Invariant:** an event at version v < current goes through migrations v … current−1 and comes out at current; at current it is unchanged; above current it is FUTURE_VERSION; unregistered types pass unchanged.
    **Rationale:** one shape for every reader.
    **Verified by:** each starting version, a future version, an unregistered type.

    Background:
      Given the OrderCreated chain

    @happy-path
    Scenario Outline: An OrderCreated at version <from> is read at version 3
      When I upcast an "OrderCreated" event at version <from> with data <data>
      Then the upcast event should be at version 3 with data <result>
      And the upcast should report original version <from>

      Examples:
        | from | data                              | result                              |
        | 1    | {"id":"o1"}                       | {"currency":"EUR","orderId":"o1"}   |
        | 2    | {"id":"o1","currency":"USD"}      | {"currency":"USD","orderId":"o1"}   |
        | 3    | {"orderId":"o1","currency":"GBP"} | {"currency":"GBP","orderId":"o1"}   |

    @validation
    Scenario: An event newer than the chain is refused
      When I upcast an "OrderCreated" event at version 5 with data {}
      Then the error code should be "FUTURE_VERSION"
      And the error message should contain "is newer than current version 3"

    @edge-case
    Scenario: An unregistered type passes unchanged
      When I upcast an "InvoiceSent" event at version 4 with data {"n":1}
      Then the upcast event should be at version 4 with data {"n":1}
      And the upcast should report original version 4

  Rule: The chain sets the schema version after each step, and validation runs on the result

    **Invariant:** a custom migration that forgets schemaVersion still advances it; a failing validation is INVALID_EVENT "Upcasted event failed validation".
    **Rationale:** migrations cannot leave events at a stale version.
    **Verified by:** a forgetful migration, a failing validator.

    @edge-case
    Scenario: A migration that forgets the schema version
      Given a chain for "Noted" to version 3 whose migrations do not set the schema version
      When I upcast a "Noted" event at version 1 with data {}
      Then the upcast event should be at version 3 with data {"steps":[1,2]}

    @validation
    Scenario: The upcast event fails validation
      Given the OrderCreated chain requiring a customer
      When I upcast an "OrderCreated" event at version 1 with data {"id":"o1"}
      Then the error code should be "INVALID_EVENT"
      And the error message should contain "Upcasted event failed validation"

  Rule: Every read of the store returns current-version events, and the stored events stay as written

    **Invariant:** ReadStream, ReadAll and ReadQuery through the upcasting store return upcast events; the underlying log is unchanged.
    **Rationale:** stream loads, subscriptions and replays all read through it; the log is immutable.
    **Verified by:** the three reads and a raw read.

    Background:
      Given the OrderCreated chain
      And a stored "OrderCreated" event at version 1 on stream "order-o1" with data {"id":"o1"} and tag "order:o1"
      And a stored "OrderCreated" event at version 3 on stream "order-o2" with data {"orderId":"o2","currency":"USD"} and tag "order:o2"

    @happy-path
    Scenario: Reading a stream
      When I read stream "order-o1" through the upcasting store
      Then the events read should be:
        | type         | version | data                              |
        | OrderCreated | 3       | {"currency":"EUR","orderId":"o1"} |

    @happy-path
    Scenario: Reading the whole log
      When I read the whole log through the upcasting store
      Then the events read should be:
        | type         | version | data                              |
        | OrderCreated | 3       | {"currency":"EUR","orderId":"o1"} |
        | OrderCreated | 3       | {"currency":"USD","orderId":"o2"} |

    @happy-path
    Scenario: Reading by DCB query
      When I read the events tagged "order:o1" through the upcasting store
      Then the events read should be:
        | type         | version | data                              |
        | OrderCreated | 3       | {"currency":"EUR","orderId":"o1"} |

    @happy-path
    Scenario: The stored event is unchanged
      When I read stream "order-o1" directly
      Then the events read should be:
        | type         | version | data        |
        | OrderCreated | 1       | {"id":"o1"} |

    @validation
    Scenario: A read fails as a whole when one event cannot be upcast
      Given a stored "OrderCreated" event at version 4 on stream "order-o3" with data {} and tag "order:o3"
      When I read the whole log through the upcasting store
      Then the error code should be "FUTURE_VERSION"
      And the error message should contain "at position 3"
