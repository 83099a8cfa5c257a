@commands @unit
Feature: Command schema factories
  Each category factory makes a command schema that fixes the command
  type, fixes and defaults the category, requires every base field, checks
  the payload, and adds its category's fields with the configured
  defaults. The category a factory recorded can be read back from the
  schema.

  Rule: Aggregate schemas carry category aggregate and an optional target

    **Invariant:** parsed commands have category aggregate and the literal type; the aggregate target is the given one, else the configured one, else absent.
    **Verified by:** a valid command, a configured target, no target, a wrong type, a wrong category, each missing base field.

    Scenario: An aggregate command gets its category
      Given the aggregate command schema "CreateOrder" with payload fields "orderId, customerId"
      When a command is parsed with:
        | field              | value |
        | payload.orderId    | o1    |
        | payload.customerId | c1    |
      Then the parsed category should be "aggregate"
      And the parsed commandType should be "CreateOrder"
      And the parsed aggregateTarget should be <absent>

    Scenario: The configured aggregate target is applied
      Given the aggregate command schema "AddOrderItem" with payload fields "orderId"
      And the schema targets aggregate "Order" by "orderId"
      When a command is parsed with:
        | field           | value |
        | payload.orderId | o1    |
      Then the parsed aggregateTarget should be {"type":"Order","idField":"orderId"}

    Scenario: A given aggregate target must be complete
      Given the aggregate command schema "AddOrderItem" with payload fields "orderId"
      When a command is parsed with:
        | field                | value |
        | payload.orderId      | o1    |
        | aggregateTarget.type | Order |
      Then the parse should fail at "aggregateTarget.idField" with code "required"

    Scenario: A mismatched command type is rejected
      Given the aggregate command schema "CreateOrder" with payload fields "orderId"
      When a command is parsed with:
        | field           | value     |
        | commandType     | WrongType |
        | payload.orderId | o1        |
      Then the parse should fail at "commandType" with code "invalid_literal"

    Scenario: A foreign category is rejected
      Given the aggregate command schema "CreateOrder" with payload fields "orderId"
      When a command is parsed with:
        | field           | value  |
        | category        | system |
        | payload.orderId | o1     |
      Then the parse should fail at "category" with code "invalid_literal"

    Scenario Outline: Every base field is required
      Given the aggregate command schema "CreateOrder" with payload fields "orderId"
      When a command is parsed with:
        | field           | value    |
        | payload.orderId | o1       |
        | <missing>       | <absent> |
      Then the parse should fail at "<missing>" with code "required"

      Examples:
        | missing       |
        | commandId     |
        | correlationId |
        | timestamp     |
        | targetContext |
        | payload       |

  Rule: Process schemas carry category process and an optional process type

    **Invariant:** parsed commands have category process; processType is the given one, else the configured one, else absent.
    **Verified by:** with and without a configured process type.

    Scenario: A process command with its configured process type
      Given the process command schema "StartOrderFulfillment" with payload fields "orderId, warehouseId"
      And the schema's process type is "OrderFulfillmentSaga"
      When a command is parsed with:
        | field               | value |
        | payload.orderId     | o1    |
        | payload.warehouseId | w1    |
      Then the parsed category should be "process"
      And the parsed commandType should be "StartOrderFulfillment"
      And the parsed processType should be "OrderFulfillmentSaga"

    Scenario: The process type is absent unless configured
      Given the process command schema "StartProcess" with payload fields "id"
      When a command is parsed with:
        | field      | value |
        | payload.id | p1    |
      Then the parsed processType should be <absent>

  Rule: System schemas carry category system and an idempotency flag

    **Invariant:** requiresIdempotency defaults to the configured value, false unless set.
    **Verified by:** the default, a configured true, an explicit value.

    Scenario: A system command does not require idempotency by default
      Given the system command schema "RunHealthCheck" with payload fields ""
      When a valid command is parsed
      Then the parsed category should be "system"
      And the parsed command does not require idempotency

    Scenario: A system schema can require idempotency
      Given the system command schema "MigrateData" with payload fields ""
      And the schema requires idempotency
      When a valid command is parsed
      Then the parsed command requires idempotency

    Scenario: A system command with a numeric payload field
      Given the system command schema "CleanupExpiredCommands" with payload fields "olderThanDays:number"
      When a command is parsed with:
        | field                 | value |
        | payload.olderThanDays | 30    |
      Then the parsed payload.olderThanDays should be 30
      And the parsed commandType should be "CleanupExpiredCommands"

  Rule: Batch schemas carry category batch, checked items and a batch config

    **Invariant:** the payload is {items: [...]} with every item checked (an empty list is valid); batchConfig is the given one, else the configured one; more items than maxItems is invalid.
    **Verified by:** two items, no items, an invalid item, the configured config, too many items.

    Scenario: A batch command with two items
      Given the batch command schema "BulkCreateOrders" with item fields "id, value:positive"
      When a command is parsed with 2 items
      Then the parsed category should be "batch"
      And the parsed command has 2 items
      And the parsed batchConfig should be <absent>

    Scenario: An empty batch is valid
      Given the batch command schema "BulkProcess" with item fields "id"
      When a command is parsed with 0 items
      Then the parsed command has 0 items

    Scenario: The configured batch config is applied
      Given the batch command schema "BulkUpdateProducts" with item fields "id"
      And the schema's batch config continues on error with up to 100 items
      When a command is parsed with 1 item
      Then the parsed batchConfig should be {"maxItems":100,"continueOnError":true}

    Scenario: An item that fails its schema is rejected
      Given the batch command schema "BulkProcess" with item fields "id, value:positive"
      When a command is parsed with:
        | field         | value                                  |
        | payload.items | [{"id":"a","value":1},{"id":"b","value":-5}] |
      Then the parse should fail at "payload.items.1.value" with code "invalid_type"

    Scenario: More items than the batch allows are rejected
      Given the batch command schema "BulkProcess" with item fields "id"
      And the schema's batch config allows 2 items
      When a command is parsed with 3 items
      Then the parse should fail at "payload.items" with code "too_big"

  Rule: The category a factory recorded can be read from its schema

    **Invariant:** CategoryOf returns each factory's category and nothing for anything else.
    **Verified by:** one schema per factory; a string, a number, a map and a plain command schema.

    Scenario Outline: Each factory records its category
      Given the <kind> command schema "Some<kind>" with payload fields "id"
      Then the configured schema's category should be "<kind>"

      Examples:
        | kind      |
        | aggregate |
        | process   |
        | system    |

    Scenario: The batch factory records its category
      Given the batch command schema "BulkThing" with item fields "id"
      Then the configured schema's category should be "batch"

    Scenario Outline: Non-command schemas have no category
      Then a <what> has no command category

      Examples:
        | what                 |
        | string               |
        | number               |
        | plain map            |
        | plain command schema |
