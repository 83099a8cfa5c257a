@events @unit
Feature: Event schemas
  Stored-event metadata, typed event schemas per type and schema version,
  and the append input and result shapes are checked at runtime. A schema
  fixes the event type, its category and its schema version (defaulting
  them when absent) and checks the payload; every problem is reported with
  the path of its field and code INVALID_EVENT.

  Rule: Event metadata requires every identity, version and correlation field

    **Invariant:** eventId, eventType, streamType, streamId, version (integer > 0), globalPosition (integer >= 0), timestamp (integer > 0), correlationId and boundedContext are required; causationId is optional.
    **Verified by:** a valid object, empty and partial objects, bad versions, position 0.

    Background:
      Given the metadata schema

    Scenario: Valid metadata keeps its fields
      When an event is parsed with:
        | field       | value     |
        | causationId | cause_123 |
      Then the parse should succeed
      And the parsed eventId should be "orders_event_1"
      And the parsed streamId should be "ord_1"
      And the parsed version should be 1
      And the parsed causationId should be "cause_123"

    Scenario: causationId is optional
      When a valid event is parsed
      Then the parsed causationId should be <absent>

    Scenario: An empty object is invalid
      When this document is parsed:
        """
        {}
        """
      Then the parse should fail with 9 issues
      And the parse should fail at "eventId" with code "required"

    Scenario: An object with only an eventId is invalid
      When this document is parsed:
        """
        {"eventId": "orders_event_1"}
        """
      Then the parse should fail with 8 issues

    Scenario Outline: Versions must be positive integers
      When an event is parsed with:
        | field   | value     |
        | version | <version> |
      Then the parse should fail at "version" with code "<code>"

      Examples:
        | version | code         |
        | 0       | too_small    |
        | -1      | too_small    |
        | 1.5     | invalid_type |

    Scenario: Global position 0 is accepted
      When an event is parsed with:
        | field          | value |
        | globalPosition | 0     |
      Then the parsed globalPosition should be 0

  Rule: Enhanced metadata adds category and schema version with defaults

    **Invariant:** category defaults to domain and must be one of the four; schemaVersion defaults to 1 and must be an integer > 0.
    **Verified by:** defaults, every category, an invalid category.

    Background:
      Given the enhanced metadata schema

    Scenario: Category and schema version default
      When a valid event is parsed
      Then the parsed category should be "domain"
      And the parsed schemaVersion should be 1

    Scenario Outline: Every category is accepted
      When an event is parsed with:
        | field         | value      |
        | category      | <category> |
        | schemaVersion | 2          |
      Then the parsed category should be "<category>"
      And the parsed schemaVersion should be 2

      Examples:
        | category    |
        | domain      |
        | integration |
        | trigger     |
        | fat         |

    Scenario Outline: Invalid taxonomy is rejected
      When an event is parsed with:
        | field   | value   |
        | <field> | <value> |
      Then the parse should fail at "<field>" with code "<code>"

      Examples:
        | field         | value   | code               |
        | category      | invalid | invalid_enum_value |
        | schemaVersion | 0       | too_small          |

  Rule: A plain event schema fixes the event type and checks the payload

    **Invariant:** eventType must equal the schema's type; the payload must pass its checks; an optional free-form metadata object is kept.
    **Verified by:** a valid event, a wrong type, a payload constraint, optional metadata.

    Background:
      Given the plain event schema "OrderCreated" with payload fields "orderId, quantity:positive"

    Scenario: A matching event is accepted with its payload
      When an event is parsed with:
        | field              | value        |
        | payload.orderId    | order_123    |
        | payload.customerId | customer_456 |
        | payload.quantity   | 2            |
      Then the parsed eventType should be "OrderCreated"
      And the parsed payload.orderId should be "order_123"
      And the parsed payload.customerId should be "customer_456"

    Scenario: A wrong event type is rejected
      When an event is parsed with:
        | field            | value      |
        | eventType        | WrongEvent |
        | payload.orderId  | o1         |
        | payload.quantity | 1          |
      Then the parse should fail at "eventType" with code "invalid_literal"

    Scenario: Payload constraints are enforced
      When an event is parsed with:
        | field            | value |
        | payload.orderId  | o1    |
        | payload.quantity | -1    |
      Then the parse should fail at "payload.quantity"

    Scenario: A missing payload is rejected
      When a valid event is parsed
      Then the parse should fail at "payload" with code "required"

    Scenario: Free-form metadata is optional
      When an event is parsed with:
        | field              | value   |
        | payload.orderId    | o1      |
        | payload.quantity   | 1       |
        | metadata.source    | api     |
        | metadata.requestId | req_123 |
      Then the parsed metadata.source should be "api"
      And the parsed metadata.requestId should be "req_123"

  Rule: Category factories fix and default their category and schema version

    **Invariant:** domain, integration and fat schemas set their category when absent and reject another; the schema version defaults to the configured one (1 unless set) and any other version is rejected.
    **Verified by:** each factory, a v2 schema given version 3, a foreign category.

    Scenario Outline: Each factory applies its category and version
      Given the <kind> event schema "Test" version <version> with payload fields "id"
      When an event is parsed with:
        | field      | value |
        | eventType  | Test  |
        | payload.id | x     |
      Then the parsed category should be "<kind>"
      And the parsed schemaVersion should be <expected>

      Examples:
        | kind        | version | expected |
        | domain      | 0       | 1        |
        | domain      | 2       | 2        |
        | integration | 0       | 1        |
        | fat         | 5       | 5        |

    Scenario: A schema version other than the configured one is rejected
      Given the domain event schema "Test" version 2 with payload fields "id"
      When an event is parsed with:
        | field         | value |
        | eventType     | Test  |
        | schemaVersion | 3     |
        | payload.id    | x     |
      Then the parse should fail at "schemaVersion" with code "invalid_literal"

    Scenario: A category other than the factory's is rejected
      Given the integration event schema "OrderPlacedIntegration" with payload fields "orderId, totalAmount:number"
      When an event is parsed with:
        | field               | value                  |
        | eventType           | OrderPlacedIntegration |
        | category            | domain                 |
        | payload.orderId     | o1                     |
        | payload.totalAmount | 199.99                 |
      Then the parse should fail at "category" with code "invalid_literal"

    Scenario: An integration event keeps its payload
      Given the integration event schema "OrderPlacedIntegration" with payload fields "orderId, totalAmount:number"
      When an event is parsed with:
        | field               | value                  |
        | eventType           | OrderPlacedIntegration |
        | payload.orderId     | o1                     |
        | payload.totalAmount | 199.99                 |
      Then the parsed category should be "integration"
      And the parsed payload.totalAmount should be 199.99

    Scenario: A fat event carries a nested snapshot
      Given the fat event schema "OrderSnapshot" with payload fields "orderId, items:array, status, totals.value:positive"
      When an event is parsed with:
        | field                | value                   |
        | eventType            | OrderSnapshot           |
        | payload.orderId      | order_123               |
        | payload.items        | [{"sku":"a","qty":1}]   |
        | payload.status       | confirmed               |
        | payload.totals.value | 42                      |
      Then the parsed category should be "fat"
      And the parsed payload.items should be [{"sku":"a","qty":1}]
      And the parsed payload.totals.value should be 42

    Scenario: A fat event's nested constraint is enforced
      Given the fat event schema "ComplexSnapshot" with payload fields "totals.value:positive"
      When an event is parsed with:
        | field                | value           |
        | eventType            | ComplexSnapshot |
        | payload.totals.value | -1              |
      Then the parse should fail at "payload.totals.value"

  Rule: Trigger schemas carry only the entity id

    **Invariant:** the payload must hold the entity id field as a non-empty string; other fields are dropped; the category is trigger.
    **Verified by:** a valid trigger, a missing id, a custom version.

    Scenario: A trigger event keeps only its entity id
      Given the trigger event schema "OrderShipmentStarted" for entity id field "orderId"
      When an event is parsed with:
        | field           | value                |
        | eventType       | OrderShipmentStarted |
        | payload.orderId | order_123            |
        | payload.total   | 10                   |
      Then the parsed category should be "trigger"
      And the parsed payload.orderId should be "order_123"
      And the parsed payload.total should be <absent>

    Scenario: A trigger event without its entity id is rejected
      Given the trigger event schema "ItemUpdated" for entity id field "itemId"
      When an event is parsed with:
        | field         | value       |
        | eventType     | ItemUpdated |
        | payload.other | x           |
      Then the parse should fail at "payload.itemId" with code "required"

    Scenario: A trigger schema with a custom version
      Given the trigger event schema "Test" version 3 for entity id field "testId"
      When an event is parsed with:
        | field          | value |
        | eventType      | Test  |
        | payload.testId | "123" |
      Then the parsed schemaVersion should be 3
      And the parsed payload.testId should be "123"

  Rule: Domain event schemas accept any payload

    **Invariant:** the plain domain event schema accepts any payload and reads no taxonomy; the enhanced one adds the defaults.
    **Verified by:** an arbitrary payload, the defaults, free-form metadata.

    Scenario: Any payload shape is accepted
      Given the domain event schema
      When an event is parsed with:
        | field   | value                      |
        | payload | [1, {"deep": [true, null]}] |
      Then the parsed payload should be [1, {"deep": [true, null]}]
      And the parsed category should be ""

    Scenario: The enhanced domain event schema adds defaults and keeps metadata
      Given the enhanced domain event schema
      When an event is parsed with:
        | field           | value |
        | payload.a       | 1     |
        | metadata.source | api   |
      Then the parsed category should be "domain"
      And the parsed schemaVersion should be 1
      And the parsed metadata.source should be "api"

  Rule: Append input and append results have fixed shapes

    **Invariant:** new event input needs an eventType and, when metadata is given, a correlationId (other keys allowed); an append result is one of success, conflict, duplicate, idempotency_conflict.
    **Verified by:** valid and invalid inputs, each result, an unknown status.

    Scenario: New event input with extra metadata keys
      Given the new event input schema
      When this document is parsed:
        """
        {"eventType": "OrderCreated", "payload": {"a": 1}, "metadata": {"correlationId": "corr_1", "tenant": "t1"}}
        """
      Then the parsed metadata.correlationId should be "corr_1"
      And the parsed eventType should be "OrderCreated"

    Scenario: New event input metadata requires a correlation id
      Given the new event input schema
      When this document is parsed:
        """
        {"eventType": "OrderCreated", "metadata": {"causationId": "c"}}
        """
      Then the parse should fail at "metadata.correlationId" with code "required"

    Scenario Outline: The four append results
      Given the append result schema
      When this document is parsed:
        """
        <result>
        """
      Then the parsed status should be "<status>"

      Examples:
        | result                                                                                     | status               |
        | {"status":"success","eventIds":["e1"],"globalPositions":[1],"newVersion":1}                  | success              |
        | {"status":"duplicate","eventIds":["e1"],"globalPositions":[1],"newVersion":1}                | duplicate            |
        | {"status":"conflict","currentVersion":5}                                                   | conflict             |
        | {"status":"idempotency_conflict","existingEventId":"e1","auditId":"ida_1","currentVersion":2} | idempotency_conflict |

    Scenario: A conflict carries its current version and no event ids
      Given the append result schema
      When this document is parsed:
        """
        {"status":"conflict","currentVersion":5,"eventIds":["e1"]}
        """
      Then the parse should fail at "eventIds"

    Scenario: An unknown append status is rejected
      Given the append result schema
      When this document is parsed:
        """
        {"status":"maybe"}
        """
      Then the parse should fail at "status" with code "invalid_enum_value"
