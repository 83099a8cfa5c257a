@cms @cms-upcaster @unit
Feature: CMS upcaster
  Command-model state documents carry a stateVersion. When the state's
  shape changes, a chain of one-step migrations upgrades old documents
  lazily, when they are read; the upgraded document is written back only
  by the next command that writes the state.

  The order chain used below: v1 {orderId, total} → v2 adds status
  "draft" → v3 renames total to amount.

  Rule: The chain is checked when the upcaster is built

    **Invariant:** every version from the minimum supported one (1 by default) to current−1 needs a migration; a gap is MISSING_MIGRATION "Missing migration for version N".
    **Rationale:** a gap must fail at start-up, not on some old document in production.
    **Verified by:** a gap, and the v0 decision (minimum 0 requires migration 0).

    @validation
    Scenario: A gap in the chain
      When I build an upcaster to version 4 with migrations for 1, 3
      Then the error code should be "MISSING_MIGRATION"
      And the error message should be "Missing migration for version 2"

    @validation
    Scenario: Supporting legacy documents requires migration 0
      When I build an upcaster to version 2 with migrations for 1 supporting legacy documents
      Then the error message should be "Missing migration for version 0"

    @happy-path
    Scenario: A complete chain
      When I build an upcaster to version 3 with migrations for 1, 2
      Then no error should occur

  Rule: Upcasting returns the document at the current version, or a coded error

    **Invariant:** nil → NULL_STATE; at current → unchanged; newer → FUTURE_VERSION; older → each migration in turn, the chain setting stateVersion; a missing step at read time → MISSING_MIGRATION.
    **Rationale:** handlers always decide on current-shape state.
    **Verified by:** each starting version, null, future and legacy documents.

    Background:
      Given the order upcaster

    @happy-path
    Scenario Outline: A v<from> document is read at v3
      When I upcast the document <doc>
      Then the upcast document should be <result>
      And the upcast should report original version <from> and upcasted <upcasted>

      Examples:
        | from | doc                                                          | result                                                              | upcasted |
        | 1    | {"stateVersion":1,"version":4,"orderId":"o1","total":10}     | {"amount":10,"orderId":"o1","stateVersion":3,"status":"draft","version":4} | true     |
        | 2    | {"stateVersion":2,"total":10,"status":"paid"}                | {"amount":10,"stateVersion":3,"status":"paid"}                      | true     |
        | 3    | {"stateVersion":3,"amount":1,"status":"paid"}                | {"amount":1,"stateVersion":3,"status":"paid"}                       | false    |

    @validation
    Scenario: Nothing to upcast
      When I upcast no document
      Then the error code should be "NULL_STATE"
      And the error message should contain "Cannot upcast null or undefined"

    @validation
    Scenario: A document from the future
      When I upcast the document {"stateVersion":7}
      Then the error code should be "FUTURE_VERSION"
      And the error message should be "CMS stateVersion 7 is newer than current schema version 3"

    @edge-case
    Scenario: A legacy document without stateVersion and no migration 0
      When I upcast the document {"orderId":"o1","total":5}
      Then the error code should be "MISSING_MIGRATION"

    @validation
    Scenario: The upcast document fails validation
      Given the order upcaster requiring a customer
      When I upcast the document {"stateVersion":1,"total":5}
      Then the error code should be "INVALID_STATE"
      And the error message should contain "Upcasted CMS failed validation"

    @validation
    Scenario: A current document that fails validation
      Given the order upcaster requiring a customer
      When I upcast the document {"stateVersion":3,"amount":5}
      Then the error code should be "INVALID_STATE"
      And the error message should contain "fails validation"

  Rule: Field helpers add, rename and remove fields and set the next version, keeping everything else

    **Invariant:** add sets the field (a function form reads the old state); rename moves the value (absent → null) and drops the old key; remove drops the field; all keep version and other fields.
    **Rationale:** most migrations are one of these three.
    **Verified by:** each helper on the same document.

    @happy-path
    Scenario Outline: <helper>
      When I apply <helper> to {"stateVersion":1,"version":9,"a":1,"b":"x"}
      Then the migrated document should be <result>

      Examples:
        | helper                        | result                                                    |
        | add field "c" = true, next 2  | {"a":1,"b":"x","c":true,"stateVersion":2,"version":9}     |
        | rename field "b" to "bee", next 2 | {"a":1,"bee":"x","stateVersion":2,"version":9}        |
        | rename field "z" to "zed", next 2 | {"a":1,"b":"x","stateVersion":2,"version":9,"zed":null} |
        | remove field "a", next 5      | {"b":"x","stateVersion":5,"version":9}                    |

  Rule: The upgrade is persisted by the next write, never by a read

    **Invariant:** loading an old document returns it upcast and leaves storage untouched; the next write stores the upcast shape at the current stateVersion.
    **Rationale:** reads stay cheap and side-effect free.
    **Verified by:** a load, then an update, on the repository.

    @happy-path
    Scenario: Lazy upgrade
      Given the order upcaster
      And the stored order document "o1" {"stateVersion":1,"version":1,"orderId":"o1","total":10}
      When I load order "o1"
      Then the loaded order should be {"amount":10,"orderId":"o1","stateVersion":3,"status":"draft","version":1}
      And the stored order document "o1" should be {"orderId":"o1","stateVersion":1,"total":10,"version":1}
      When I update order "o1" at version 1 with {"status":"paid","version":2}
      Then the stored order document "o1" should be {"amount":10,"orderId":"o1","stateVersion":3,"status":"paid","version":2}
