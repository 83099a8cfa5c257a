@registry @unit
Feature: Command registry, define helpers and naming policy
  The registry is the catalogue of command definitions: metadata, an
  argument schema, the handler and the follow-up routes. It refuses
  duplicates, validates payloads, and lists commands by context, category
  and tag. Command names are imperative Verb+Noun in PascalCase.

  Rule: A command type is registered once

    **Invariant:** registering a command type twice fails and names the context that owns it.
    **Rationale:** two handlers for one command would make dispatch ambiguous.
    **Verified by:** a duplicate registration across contexts.

    @happy-path
    Scenario: Registering a command
      When the command "CreateOrder" is registered in context "orders"
      Then the registration should succeed
      And the registry should have "CreateOrder"
      And the registry should hold 1 command

    @validation @acceptance-criteria
    Scenario: A duplicate registration names the owning context
      Given the command "CreateOrder" is registered in context "orders"
      When the command "CreateOrder" is registered in context "billing"
      Then the registration should fail with "Duplicate command registration: "CreateOrder" is already registered in context "orders""
      And the registry should hold 1 command

    Scenario: Unregistering
      Given the command "CreateOrder" is registered in context "orders"
      When the command "CreateOrder" is unregistered
      Then unregistering should have succeeded
      And the registry should not have "CreateOrder"

    Scenario: Unregistering an unknown command finds nothing
      When the command "Nope" is unregistered
      Then unregistering should have found nothing

    @validation
    Scenario: An unknown category is refused
      When the command "CreateOrder" is registered in context "orders" with category "saga"
      Then the registration should fail with "unknown category"

  Rule: The registry lists commands in registration order

    **Invariant:** listings keep registration order and filter exactly.
    **Rationale:** deterministic introspection.
    **Verified by:** lists by context, category and tag.

    Scenario: Listing and filtering
      Given the command "CreateOrder" is registered in context "orders" tagged "write"
      And the command "ReserveStock" is registered in context "inventory" with category "process"
      And the command "CancelOrder" is registered in context "orders"
      Then the registry should list "CreateOrder, ReserveStock, CancelOrder"
      And the commands of context "orders" should be "CreateOrder, CancelOrder"
      And the commands of category "process" should be "ReserveStock"
      And the commands of category "aggregate" should be "CreateOrder, CancelOrder"
      And the commands tagged "write" should be "CreateOrder"

  Rule: Payloads are validated against the command's schema

    **Invariant:** an unknown type gives one UNKNOWN_COMMAND error; a schema failure gives one error per problem with its path.
    **Rationale:** clients get every problem at once.
    **Verified by:** unknown type, missing fields, wrong type, extra fields.

    @validation
    Scenario: An unknown command type
      When the payload {} is validated for "Nope"
      Then the validation errors should be:
        | path | code            | message                    |
        |      | UNKNOWN_COMMAND | Unknown command type: Nope |

    @validation
    Scenario: Missing required fields are each reported
      Given the command "CreateOrder" is registered in context "orders"
      When the payload {} is validated for "CreateOrder"
      Then the validation errors should be:
        | path       | code     | message                |
        | orderId    | required | orderId is required    |
        | customerId | required | customerId is required |

    @validation
    Scenario: A field of the wrong type
      Given the command "CreateOrder" is registered in context "orders"
      When the payload {"orderId":"o1","customerId":"c1","quantity":"two"} is validated for "CreateOrder"
      Then the validation errors should be:
        | path     | code         | message                          |
        | quantity | invalid_type | expected int, received string    |

    Scenario: Extra payload fields are tolerated
      Given the command "CreateOrder" is registered in context "orders"
      When the payload {"orderId":"o1","customerId":"c1","note":"hi"} is validated for "CreateOrder"
      Then the validation should succeed

  Rule: Define helpers fill in category, targets and partitions

    **Invariant:** aggregate commands partition follow-up work by their aggregate id; system commands by their type, and register only with a projection.
    **Rationale:** per-aggregate FIFO for projections.
    **Verified by:** an aggregate and two system definitions.

    Scenario: An aggregate command partitions by its id field
      When an aggregate command "CreateOrder" on "Order" with id field "orderId" is defined in context "orders"
      Then the definition should have category "aggregate"
      And the partition of {"orderId":"o7"} should be "orderId=o7"
      And the registry should have "CreateOrder"

    Scenario: A system command without a projection is not registered
      When a system command "PurgeCaches" of subsystem "ops" is defined in context "platform"
      Then the definition should have category "system"
      And the partition of {} should be "system=PurgeCaches"
      And the registry should not have "PurgeCaches"

    Scenario: A system command with a projection is registered
      When a system command "RebuildIndex" of subsystem "search" is defined in context "platform" with a projection
      Then the registry should have "RebuildIndex"

  Rule: Command names are imperative Verb+Noun in PascalCase

    **Invariant:** a name is valid iff it starts with a recognised verb followed by a PascalCase noun of letters.
    **Rationale:** commands express intent.
    **Verified by:** valid and invalid names, suggestions, formatting, the registry's policy option.

    Scenario Outline: Checking names
      When the name "<name>" is checked
      Then the name should be <verdict>

      Examples:
        | name          | verdict |
        | CreateOrder   | valid   |
        | ChangeAddress | valid   |
        | DeleteUser    | valid   |
        | OrderCreate   | invalid |
        | createOrder   | invalid |
        | create_order  | invalid |
        | CreateOrder2  | invalid |
        | Order         | invalid |

    Scenario: The first matching verb group is reported
      When the name "ModifyCart" is checked
      Then the matched prefix should be "UPDATE"

    Scenario: A Noun+Verb name gets the swapped suggestion first
      When the name "OrderCreate" is checked
      Then the name should be invalid
      And the first suggestion should be "CreateOrder"

    Scenario: Formatting names
      Then "create_order" should format as "CreateOrder"
      And "add-item" should format as "AddItem"
      And "Something" should format as "ExecuteSomething"

    @validation
    Scenario: The registry can enforce the policy
      Given the registry enforces the naming policy
      When the command "OrderCreate" is registered in context "orders"
      Then the registration should fail with "does not follow naming conventions"
