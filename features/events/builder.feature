@events @unit
Feature: Event builder
  The builder makes well-formed event data: the event id is
  "<boundedContext>_event_<id>" with the id from the injected id source,
  the build time comes from the clock, the other fields are copied, the
  category and schema version get their defaults, and the data becomes an
  es.Event whose metadata carries the taxonomy.

  Background:
    Given the event input:
      | field          | value          |
      | eventType      | OrderSubmitted |
      | streamType     | Order          |
      | streamId       | ord_1          |
      | boundedContext | orders         |
      | correlationId  | corr_1         |
      | causationId    | cmd_1          |

  Rule: New event data gets an id prefixed with its bounded context

    **Invariant:** eventId = <boundedContext>_event_<id from the id source>; the other fields are copied.
    **Verified by:** the id, the copied fields, two contexts in a row.

    Scenario: The event id has the bounded context prefix
      When the event data is built
      Then the event data should have:
        | field   | value                                                    |
        | eventId | "orders_event_00000000-0000-7000-8000-000000000001"      |

    Scenario: The core fields, payload and metadata are copied
      Given the event input:
        | field          | value                                              |
        | eventType      | OrderSubmitted                                     |
        | streamType     | Product                                            |
        | streamId       | prod_456                                           |
        | boundedContext | inventory                                          |
        | payload        | {"orderId":"o1","items":[{"sku":"a","qty":2}],"n":null} |
        | correlationId  | corr_unique_123                                    |
        | causationId    | cmd_unique_456                                     |
      When the event data is built
      Then the event data should have:
        | field                  | value                                   |
        | eventType              | OrderSubmitted                          |
        | streamType             | Product                                 |
        | streamId               | prod_456                                |
        | boundedContext         | inventory                               |
        | payload.items          | [{"sku":"a","qty":2}]                   |
        | metadata.correlationId | corr_unique_123                         |
        | metadata.causationId   | cmd_unique_456                          |
        | stream                 | Product-prod_456                        |
        | occurredAt             | "2026-01-01T00:00:00Z"                  |

    Scenario: Each bounded context prefixes its own ids
      When event data is built for bounded contexts "orders, inventory"
      Then the built event ids should be "orders_event_00000000-0000-7000-8000-000000000001, inventory_event_00000000-0000-7000-8000-000000000002"

    Scenario: The data has every field of new event data
      When the event data is built
      Then the event data should have exactly the keys "eventId, eventType, streamType, streamId, boundedContext, payload, metadata, category, schemaVersion, occurredAt"

  Rule: The data becomes an event with its taxonomy in the metadata

    **Invariant:** category defaults to domain and schemaVersion to 1; both, the ids and the stream identity travel in es.Event metadata.
    **Verified by:** the default and an explicit taxonomy, reading the recorded event back.

    Scenario: Defaults go into the event metadata
      When 2 seconds pass
      And the event data is built
      Then the appended event should have:
        | field                         | value                     |
        | type                          | OrderSubmitted            |
        | metadata.category             | domain                    |
        | metadata.schemaVersion        | 1                         |
        | metadata.correlationId        | corr_1                    |
        | metadata.causationId          | cmd_1                     |
        | metadata.extra.streamType     | Order                     |
        | metadata.extra.boundedContext | orders                    |
        | metadata.extra.occurredAt     | "2026-01-01T00:00:02Z"    |

    Scenario: An explicit category and schema version are kept
      Given the event input:
        | field         | value |
        | category      | fat   |
        | schemaVersion | 3     |
        | userId        | u1    |
      When the event data is built
      Then the appended event should have:
        | field                  | value |
        | metadata.category      | fat   |
        | metadata.schemaVersion | 3     |
        | metadata.extra.userId  | u1    |

    Scenario: The recorded event reads back as a stored event
      When the event data is built
      And the recorded event is read back at version 4 and position 9
      Then the parsed streamType should be "Order"
      And the parsed streamId should be "ord_1"
      And the parsed boundedContext should be "orders"
      And the parsed version should be 4
      And the parsed globalPosition should be 9
      And the parsed category should be "domain"
      And the parsed schemaVersion should be 1
      And the parsed timestamp should be 1767225600000

  Rule: Bad input is refused with a clear error

    **Invariant:** the bounded context must be lowercase alphanumeric (<= 64); type, stream, correlation and causation ids must be non-empty; the category must be one of four.
    **Verified by:** each kind of bad input.

    Scenario Outline: Invalid input
      Given the event input:
        | field   | value   |
        | <field> | <value> |
      When the event data is built
      Then the error code should be "INVALID_EVENT"
      And the error message should contain "<message>"

      Examples:
        | field          | value  | message                          |
        | boundedContext | Orders | Invalid boundedContext "Orders"  |
        | boundedContext | my_bc  | Invalid boundedContext "my_bc"   |
        | streamId       |        | streamId is empty                |
        | correlationId  |        | correlationId is empty           |
        | causationId    |        | causationId is empty             |
        | eventType      |        | eventType is empty               |
        | category       | DOMAIN | unknown category "DOMAIN"        |
        | payload        | {oops  | payload does not encode as JSON  |

    Scenario: An empty bounded context
      Given the event input:
        | field          | value |
        | boundedContext |       |
      When the event data is built
      Then the error message should be "boundedContext cannot be empty"

  Rule: Event data with a given id keeps it and infers the bounded context

    **Invariant:** the id is used unchanged; the bounded context is the explicit one, else the text before the first "_" of the id (the whole id without "_").
    **Verified by:** ids with one, several and no underscores; an explicit context.

    Scenario Outline: The bounded context comes from the id
      Given the event input:
        | field          | value |
        | boundedContext |       |
      When the event data is built with id "<id>"
      Then the event data should have:
        | field          | value     |
        | eventId        | "<id>"    |
        | boundedContext | "<bc>"    |
        | eventType      | OrderSubmitted |

      Examples:
        | id                               | bc                 |
        | orders_event_pre-generated-uuid  | orders             |
        | inventory_event_some-uuid        | inventory          |
        | my_bounded_context_event_uuid-v7 | my                 |
        | malformed-event-id               | malformed-event-id |

    Scenario: An explicit bounded context wins
      Given the event input:
        | field          | value          |
        | boundedContext | custom-context |
      When the event data is built with id "orders_event_some-uuid"
      Then the event data should have:
        | field                | value                  |
        | eventId              | orders_event_some-uuid |
        | boundedContext       | custom-context         |
        | metadata.causationId | cmd_1                  |
