@events @unit
Feature: Event categories
  Events are classified as domain, integration, trigger or fat. Only the
  four lowercase names are categories; anything else normalises to domain,
  and a schema version that is not an integer of at least 1 normalises to 1.

  Rule: There are exactly four categories, in a fixed order

    **Invariant:** the categories are domain, integration, trigger, fat.
    **Verified by:** the list and the defaults.

    Scenario: The four categories in order
      Then the event categories in order are "domain, integration, trigger, fat"

    Scenario: The defaults are domain and version 1
      Then the default event category is "domain" and the default schema version is 1

  Rule: Only the four lowercase names are categories

    **Invariant:** validation accepts "domain", "integration", "trigger", "fat" and nothing else.
    **Rationale:** categories are compared as exact strings everywhere.
    **Verified by:** valid names, wrong case, empty, null, undefined and numbers.

    Scenario Outline: Valid category names
      Then the value "<name>" is an event category

      Examples:
        | name        |
        | domain      |
        | integration |
        | trigger     |
        | fat         |

    Scenario Outline: Values that are not categories
      Then the value <value> is not an event category

      Examples:
        | value     |
        | "invalid" |
        | "DOMAIN"  |
        | ""        |
        | null      |
        | undefined |
        | 123       |

  Rule: Normalisation falls back to the defaults

    **Invariant:** a valid category is kept, anything else becomes domain; an integer version >= 1 is kept, anything else becomes 1.
    **Verified by:** valid and invalid values of several types.

    Scenario Outline: Categories are kept
      Then the value "<name>" normalises to event category "<name>"

      Examples:
        | name        |
        | domain      |
        | integration |
        | trigger     |
        | fat         |

    Scenario Outline: Anything else normalises to domain
      Then the value <value> normalises to event category "domain"

      Examples:
        | value     |
        | undefined |
        | null      |
        | "invalid" |
        | 123       |

    Scenario Outline: Positive integers are kept as schema versions
      Then the value <value> normalises to schema version <value>

      Examples:
        | value |
        | 1     |
        | 2     |
        | 100   |

    Scenario Outline: Other schema versions normalise to 1
      Then the value <value> normalises to schema version 1

      Examples:
        | value     |
        | undefined |
        | null      |
        | 0         |
        | -1        |
        | -100      |
        | 1.5       |
        | 2.9       |
        | "1"       |

  Rule: Trigger and fat are external; integration is cross-context

    **Invariant:** IsExternal is true for trigger and fat only; IsCrossContext for integration only.
    **Verified by:** every category.

    Scenario Outline: External and cross-context classification
      Then category "<category>" <external> external
      And category "<category>" <cross> cross-context

      Examples:
        | category    | external | cross  |
        | domain      | is not   | is not |
        | integration | is not   | is     |
        | trigger     | is       | is not |
        | fat         | is       | is not |
