@ids @unit
Feature: Id generation and parsing
  Generate mints "<context>_<type>_<uuid>" ids, Parse splits them again,
  and the command, correlation, event and integration-event generators mint
  the platform's prefixed ids. The unique part comes from the scenario's
  UUIDv7 generator on the virtual clock (which stands still), unless a
  scenario switches to sequential ids.

  Rule: Generate mints <context>_<type>_<uuid>

    **Invariant:** the id is the context, "_", the type, "_" and a 36-character UUID.
    **Verified by:** the pattern, the prefix, two ids in a row, digits in both parts.

    Scenario: A generated id has the documented shape
      When an id is generated with context "orders" and type "order"
      Then the generated id matches "^orders_order_[0-9a-f-]{36}$"

    Scenario: Two generated ids differ
      When 2 ids are generated with context "orders" and type "order"
      Then the 2 ids are distinct

    Scenario: A generated id starts with its context and type
      When an id is generated with context "inventory" and type "product"
      Then the generated id starts with "inventory_product_"

    Scenario: Digits are allowed in the context and the type
      When ids are generated for:
        | context   | type     | prefix           |
        | orders123 | order    | orders123_order_ |
        | orders    | order123 | orders_order123_ |
      Then each generated id starts with its prefix

    Scenario: Sequential ids make generated ids exact
      Given the ids are sequential
      When an id is generated with context "orders" and type "order"
      Then the generated id is "orders_order_00000000-0000-7000-8000-000000000001"

  Rule: Generate refuses bad contexts and types

    **Invariant:** context and type are 1 to 64 lowercase letters or digits;
    otherwise generation fails with INVALID_ARGUMENT and mints nothing.
    **Verified by:** empty parts, underscores, upper case, punctuation, spaces, length.

    Scenario: Empty parts are refused
      Then generating an id fails for:
        | context | type  | error                   |
        |         | order | context cannot be empty |
        | orders  |       | type cannot be empty    |

    Scenario: Contexts with other characters are refused
      Then generating an id fails for:
        | context        | type  | error           |
        | orders_context | order | Invalid context |
        | Orders         | order | Invalid context |
        | orders!        | order | Invalid context |
        | my orders      | order | Invalid context |

    Scenario: A type with an underscore is refused
      Then generating an id fails for:
        | context | type       | error        |
        | orders  | order_type | Invalid type |

    Scenario: Parts longer than 64 characters are refused
      Then generating an id with a 65-character context fails with "context is too long: 65 characters; at most 64"
      And generating an id with a 65-character type fails with "type is too long: 65 characters; at most 64"
      And generating an id with a 64-character context and type succeeds

  Rule: Parse splits an id into context, type and uuid

    **Invariant:** the first two "_"-separated pieces are the context and
    the type; the rest, underscores included, is the uuid.
    **Verified by:** a literal id, a generated id, a uuid with underscores.

    Scenario: A well-formed id is split into its parts
      Given the id "orders_order_0190a7c4-1234-7abc-8def-1234567890ab"
      When the id is parsed
      Then the parts are:
        | field   | value                                |
        | context | orders                               |
        | type    | order                                |
        | uuid    | 0190a7c4-1234-7abc-8def-1234567890ab |

    Scenario: A generated id parses back
      Given an id generated with context "inventory" and type "product"
      When the id is parsed
      Then the parsed context is "inventory"
      And the parsed type is "product"
      And the parsed uuid matches "^[0-9a-f-]{36}$"

    Scenario: Underscores in the uuid part are kept
      Given the id "orders_order_uuid_with_extra_parts"
      When the id is parsed
      Then the parts are:
        | field   | value                 |
        | context | orders                |
        | type    | order                 |
        | uuid    | uuid_with_extra_parts |

  Rule: Parse finds no parts in malformed ids

    **Invariant:** fewer than three pieces, or an empty context or type, give no parts.
    **Verified by:** one piece, two pieces, the empty string, empty context, empty type.

    Scenario: Ids with fewer than three pieces have no parts
      Then these ids have no parts:
        | input        |
        | orders       |
        | orders_order |
        |              |

    Scenario: Ids with an empty context or type have no parts
      Then these ids have no parts:
        | input        |
        | _order_uuid  |
        | orders__uuid |

  Rule: Correlation ids are corr_<uuid>

    **Invariant:** a correlation id is "corr_" and a UUID, new on every call.
    **Verified by:** the pattern and two ids in a row.

    Scenario: Correlation ids have their shape and differ
      When 2 correlation ids are generated
      Then each of the ids matches "^corr_[0-9a-f-]{36}$"
      And the 2 ids are distinct

  Rule: Command ids are cmd_<uuid>

    **Invariant:** a command id is "cmd_" and a UUID, new on every call.
    **Verified by:** the pattern and two ids in a row.

    Scenario: Command ids have their shape and differ
      When 2 command ids are generated
      Then each of the ids matches "^cmd_[0-9a-f-]{36}$"
      And the 2 ids are distinct

  Rule: Event ids are <context>_event_<uuid>

    **Invariant:** an event id is the context, "_event_" and a UUID; the context follows Generate's rules.
    **Verified by:** two contexts, two ids in a row, an empty context.

    Scenario: Event ids carry their context
      When an event id is generated for context "orders"
      Then the generated id matches "^orders_event_[0-9a-f-]{36}$"
      When an event id is generated for context "inventory"
      Then the generated id starts with "inventory_event_"

    Scenario: Two event ids differ
      When 2 event ids are generated for context "orders"
      Then the 2 ids are distinct

    Scenario: An event id needs a context
      When an event id is generated for context ""
      Then the error message should be "context cannot be empty"
      And the error code should be "INVALID_ARGUMENT"

  Rule: Integration event ids are int_evt_<uuid>

    **Invariant:** an integration event id is "int_evt_" and a UUID, new on every call.
    **Verified by:** the pattern and two ids in a row.

    Scenario: Integration event ids have their shape and differ
      When 2 integration event ids are generated
      Then each of the ids matches "^int_evt_[0-9a-f-]{36}$"
      And the 2 ids are distinct

  Rule: The uuid part is a UUIDv7 and ids sort in the order they were minted

    **Invariant:** the uuid has version nibble 7; ids minted in a row sort
    lexicographically in minting order, even within one millisecond.
    **Verified by:** the version nibble; 10 and 5000 ids minted on a clock that stands still.

    Scenario: The uuid part has version 7
      When an id is generated with context "test" and type "item"
      Then the uuid part of the generated id matches "^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$"

    Scenario Outline: Ids minted in a row are in lexicographic order
      When <n> ids are generated with context "test" and type "item"
      Then the <n> ids are in lexicographic order
      And the <n> ids are distinct

      Examples:
        | n    |
        | 10   |
        | 5000 |
