@ids @unit
Feature: Branded id types
  Command, correlation, causation, event and stream ids (and, for the agent
  patterns, approval, decision and agent ids) are distinct Go string types,
  so one kind cannot be passed where another is expected without a visible
  conversion. At run time they are plain strings. Generated ids come from
  the scenario's UUIDv7 generator on the virtual clock, which stands still,
  so every id of a scenario is minted within one millisecond.

  Rule: The constructors return their input unchanged and refuse the empty string

    **Invariant:** ParseXxxID(s) returns s, typed, for any non-empty s, and
    "Invalid <Kind>: must be a non-empty string" for "".
    **Verified by:** one id of every kind, and the empty string for every kind.

    Scenario: Constructors keep the input as it is
      Given the raw ids:
        | kind          | input            |
        | CommandId     | cmd_test123      |
        | CorrelationId | corr_test456     |
        | CausationId   | cmd_test789      |
        | EventId       | orders_event_abc |
        | StreamId      | Order-123        |
      When each raw id is passed to the constructor of its kind
      Then each branded id equals its input
      And each branded id has the Go type of its kind

    Scenario Outline: Constructors refuse the empty string
      When the empty string is passed to the constructor of <kind>
      Then the error message should be "Invalid <kind>: must be a non-empty string"
      And the error code should be "INVALID_ARGUMENT"

      Examples:
        | kind          |
        | CommandId     |
        | CorrelationId |
        | CausationId   |
        | EventId       |
        | StreamId      |
        | ApprovalId    |
        | DecisionId    |
        | AgentId       |

  Rule: Branded ids are strings

    **Invariant:** a branded id converts to a string equal to its input and
    works with every string function.
    **Verified by:** conversion of every kind; lower-casing, prefix and length.

    Scenario: Branded ids convert to plain strings
      Given the raw ids:
        | kind          | input       |
        | CommandId     | cmd_test    |
        | CorrelationId | corr_test   |
        | CausationId   | cause_test  |
        | EventId       | evt_test    |
        | StreamId      | stream_test |
      When each raw id is passed to the constructor of its kind
      And each branded id is converted to a string
      Then each string equals its input

    Scenario: String functions work on a branded id
      Given the CommandId "cmd_TEST_123"
      Then the id lower-cased is "cmd_test_123"
      And the id has the prefix "cmd_"
      And the id is 12 bytes long

  Rule: Generators mint typed ids with their prefix and a UUIDv7

    **Invariant:** every generator's id starts with its prefix, followed by a
    lowercase 36-character UUID with version nibble 7.
    **Verified by:** the prefix of every generator; the UUID after cmd_ and corr_.

    Scenario: Every generator uses its prefix
      When these generators are called:
        | generator              | prefix                |
        | command                | cmd_                  |
        | correlation            | corr_                 |
        | event:orders           | orders_event_         |
        | integration event      | int_evt_              |
        | approval               | apr_                  |
        | decision               | dec_                  |
        | subscription:churnrisk | sub_churnrisk_        |
        | lifecycle:churnrisk    | lifecycle_churnrisk_  |
      Then each generated id starts with its prefix
      And each generated id ends with a UUIDv7

    Scenario: Command and correlation ids end with a UUIDv7
      When a command id is generated
      Then without the prefix "cmd_" the id is a UUIDv7
      When a correlation id is generated
      Then without the prefix "corr_" the id is a UUIDv7

  Rule: An id string is any non-empty string

    **Invariant:** IsValidIDString is true exactly for non-empty strings;
    IsValidID is true exactly for non-empty strings and branded ids.
    **Verified by:** strings, the empty string and JSON values of other types.

    Scenario: Non-empty strings are id strings
      Then these are id strings:
        | value            |
        | cmd_123          |
        | a                |
        | any-string-value |

    Scenario: The empty string is not an id string
      Then "" is not an id string

    Scenario: Values that are not strings are not ids
      Then these JSON values are not ids:
        | value        |
        | null         |
        | 123          |
        | {"id":"x"}   |
        | ["cmd_1"]    |
        | true         |

    Scenario: A value found to be an id is a usable string
      Given the untyped value "test_id"
      When IsValidID accepts the value
      Then the value is a string of at least 1 byte

  Rule: Generated ids are distinct

    **Invariant:** 100 ids generated in a row are all different.
    **Verified by:** counting distinct values, for command and correlation ids.

    Scenario: 100 command ids are distinct
      When 100 command ids are generated
      Then the 100 ids are distinct

    Scenario: 100 correlation ids are distinct
      When 100 correlation ids are generated
      Then the 100 ids are distinct
