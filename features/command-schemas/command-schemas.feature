@commands @unit
Feature: Command and result schemas
  Command metadata needs its ids and a positive integer timestamp; a
  command schema fixes the command type, requires a target context and
  checks the payload (extra payload fields are tolerated). Command results
  are a union on status: success, rejected, conflict and error, each with
  its own required fields.

  Rule: Command metadata needs its ids and a positive integer timestamp

    **Invariant:** commandId, commandType and correlationId are required; userId is optional; timestamp is an integer > 0.
    **Verified by:** complete metadata, a userId, bad timestamps, partial metadata, the enhanced category.

    Background:
      Given the command metadata schema

    Scenario: Complete metadata is accepted
      When this document is parsed:
        """
        {"commandId": "cmd_123", "commandType": "TestCommand", "correlationId": "corr_456", "timestamp": 1767225600000}
        """
      Then the parse should succeed
      And the parsed commandId should be "cmd_123"
      And the parsed userId should be <absent>

    Scenario: An optional userId is kept
      When this document is parsed:
        """
        {"commandId": "cmd_123", "commandType": "TestCommand", "correlationId": "corr_456", "userId": "user_789", "timestamp": 1767225600000}
        """
      Then the parsed userId should be "user_789"

    Scenario Outline: Invalid timestamps are rejected
      When this document is parsed:
        """
        {"commandId": "cmd_123", "commandType": "TestCommand", "correlationId": "corr_456", "timestamp": <timestamp>}
        """
      Then the parse should fail at "timestamp" with code "<code>"

      Examples:
        | timestamp | code         |
        | 1234.56   | invalid_type |
        | -1000     | too_small    |
        | 0         | too_small    |

    Scenario: Metadata with only a commandId is rejected
      When this document is parsed:
        """
        {"commandId": "cmd_123"}
        """
      Then the parse should fail at "commandType" with code "required"
      And the parse should fail at "correlationId" with code "required"
      And the parse should fail at "timestamp" with code "required"

    Scenario: Enhanced metadata defaults its category to aggregate
      Given the command enhanced metadata schema
      When this document is parsed:
        """
        {"commandId": "cmd_123", "commandType": "TestCommand", "correlationId": "corr_456", "timestamp": 1}
        """
      Then the parsed category should be "aggregate"

  Rule: A command schema fixes the type and checks payload and target context

    **Invariant:** commandType must equal the schema's; the payload must pass its checks (extra fields tolerated); targetContext is required.
    **Verified by:** a complete command, extra payload fields, a wrong type, a wrong payload type, a missing payload field, a missing target context.

    Background:
      Given the plain command schema "TestCommand" with payload fields "foo"

    Scenario: A complete command is accepted
      When a command is parsed with:
        | field       | value |
        | payload.foo | bar   |
      Then the parse should succeed
      And the parsed commandType should be "TestCommand"
      And the parsed targetContext should be "orders"
      And the parsed payload.foo should be "bar"
      And the parsed category should be <absent>

    Scenario: Extra payload fields are tolerated
      When a command is parsed with:
        | field       | value |
        | payload.foo | bar   |
        | payload.bar | 42    |
      Then the parsed payload.bar should be 42

    Scenario: A wrong command type is rejected
      When a command is parsed with:
        | field       | value     |
        | commandType | WrongType |
        | payload.foo | bar       |
      Then the parse should fail at "commandType" with code "invalid_literal"

    Scenario: A payload field of the wrong type is rejected
      When a command is parsed with:
        | field       | value |
        | payload.foo | 123   |
      Then the parse should fail at "payload.foo" with code "invalid_type"

    Scenario: A missing payload field is rejected
      When a valid command is parsed
      Then the parse should fail at "payload.foo" with code "required"

    Scenario: A missing target context is rejected
      When a command is parsed with:
        | field         | value    |
        | payload.foo   | bar      |
        | targetContext | <absent> |
      Then the parse should fail at "targetContext" with code "required"

  Rule: Each result kind has its required fields

    **Invariant:** success needs version (data optional); rejected needs code and reason (context optional); conflict needs code CONCURRENT_MODIFICATION and currentVersion; error needs message.
    **Verified by:** accepted and rejected examples of each kind.

    Scenario Outline: Valid results of each kind
      Given the <kind> result schema
      When this document is parsed:
        """
        <result>
        """
      Then the parse should succeed

      Examples:
        | kind     | result                                                                                                  |
        | success  | {"status":"success","version":1,"data":{"id":"123"}}                                                    |
        | success  | {"status":"success","version":5}                                                                        |
        | rejected | {"status":"rejected","code":"VALIDATION_ERROR","reason":"Invalid input data"}                           |
        | rejected | {"status":"rejected","code":"BUSINESS_RULE_VIOLATION","reason":"Cannot cancel completed order","context":{"orderId":"o1"}} |
        | conflict | {"status":"conflict","code":"CONCURRENT_MODIFICATION","currentVersion":5}                               |
        | error    | {"status":"error","message":"Unexpected database error"}                                                |

    Scenario Outline: Invalid results of each kind
      Given the <kind> result schema
      When this document is parsed:
        """
        <result>
        """
      Then the parse should fail at "<path>" with code "<code>"

      Examples:
        | kind     | result                                                         | path           | code            |
        | success  | {"status":"success","data":{"id":"123"}}                       | version        | required        |
        | rejected | {"status":"rejected","code":"VALIDATION_ERROR"}                | reason         | required        |
        | conflict | {"status":"conflict","code":"OTHER_CODE","currentVersion":5}   | code           | invalid_literal |
        | conflict | {"status":"conflict","code":"CONCURRENT_MODIFICATION"}         | currentVersion | required        |
        | error    | {"status":"error"}                                             | message        | required        |

  Rule: The result union discriminates on status

    **Invariant:** the union keeps each kind's fields and rejects unknown statuses.
    **Verified by:** one result of each kind and an unknown status.

    Background:
      Given the command result schema

    Scenario: A success keeps its version
      When this document is parsed:
        """
        {"status": "success", "version": 1, "data": null}
        """
      Then the parsed status should be "success"
      And the parsed version should be 1

    Scenario: A rejection keeps its code and reason
      When this document is parsed:
        """
        {"status": "rejected", "code": "ERROR", "reason": "Something went wrong"}
        """
      Then the parsed code should be "ERROR"
      And the parsed reason should be "Something went wrong"

    Scenario: A conflict keeps its current version
      When this document is parsed:
        """
        {"status": "conflict", "code": "CONCURRENT_MODIFICATION", "currentVersion": 10}
        """
      Then the parsed status should be "conflict"
      And the parsed currentVersion should be 10

    Scenario: An error keeps its message
      When this document is parsed:
        """
        {"status": "error", "message": "Internal error"}
        """
      Then the parsed message should be "Internal error"

    Scenario: An unknown status is rejected
      When this document is parsed:
        """
        {"status": "unknown", "data": {}}
        """
      Then the parse should fail at "status" with code "invalid_enum_value"
