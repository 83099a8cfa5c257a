@commands @unit
Feature: Command categories
  Commands are classified as aggregate, process, system or batch. Only the
  four lowercase names are categories; anything else normalises to
  aggregate. An aggregate target names the aggregate type and the payload
  field holding its id, both non-empty.

  Rule: There are exactly four categories, in a fixed order

    **Invariant:** the categories are aggregate, process, system, batch; the default is aggregate.
    **Verified by:** the list and the default.

    Scenario: The four categories in order
      Then the command categories in order are "aggregate, process, system, batch"

    Scenario: The default category is aggregate
      Then the default command category is "aggregate"

  Rule: Only the four lowercase names are categories

    **Invariant:** validation accepts exactly the four names.
    **Verified by:** valid names, wrong case, empty, null, undefined and numbers.

    Scenario Outline: Valid category names
      Then the value "<name>" is a command category

      Examples:
        | name      |
        | aggregate |
        | process   |
        | system    |
        | batch     |

    Scenario Outline: Values that are not categories
      Then the value <value> is not a command category

      Examples:
        | value       |
        | "invalid"   |
        | "AGGREGATE" |
        | ""          |
        | null        |
        | undefined   |
        | 123         |

  Rule: Normalisation falls back to aggregate

    **Invariant:** a valid category is kept; anything else becomes aggregate.
    **Verified by:** valid and invalid values of several types.

    Scenario Outline: Categories are kept
      Then the value "<name>" normalises to command category "<name>"

      Examples:
        | name      |
        | aggregate |
        | process   |
        | system    |
        | batch     |

    Scenario Outline: Anything else normalises to aggregate
      Then the value <value> normalises to command category "aggregate"

      Examples:
        | value     |
        | undefined |
        | null      |
        | "invalid" |
        | 123       |

  Rule: Each classifier is true for its own category only

    **Invariant:** IsAggregate, IsProcess, IsSystem and IsBatch are true only for their category.
    **Verified by:** every category against every classifier.

    Scenario Outline: Classification
      Then command category "<category>" is classified as <category> only

      Examples:
        | category  |
        | aggregate |
        | process   |
        | system    |
        | batch     |

  Rule: An aggregate target needs a type and an id field

    **Invariant:** both type and idField are non-empty strings.
    **Verified by:** a valid target and targets missing either part.

    Scenario: A valid aggregate target
      When an aggregate target with type "Order" and idField "orderId" is checked
      Then no error should have occurred

    Scenario Outline: Invalid aggregate targets
      When an aggregate target with type "<type>" and idField "<idField>" is checked
      Then the error code should be "VALIDATION_ERROR"
      And the error message should contain "<message>"

      Examples:
        | type  | idField | message                               |
        |       | orderId | aggregate target type is empty        |
        | Order |         | aggregate target "Order" has an empty idField |
        |       |         | aggregate target type is empty        |
