@cms @repository @unit
Feature: CMS repository
  Typed access to a command-model state (CMS) table: one document per
  aggregate, keyed by aggregate id, read with upcasting and written with an
  optimistic check on the aggregate version the document carries. The
  repository never bumps the version itself: the write carries the new
  one.

  Background:
    Given the order CMS repository

  Rule: Load returns the upcast state or a NotFoundError; TryLoad returns nothing for a missing document

    **Invariant:** Load of a missing id is NOT_FOUND "<table> not found: <id>"; TryLoad returns nothing and no error; upcast errors propagate from both.
    **Rationale:** handlers choose between "must exist" and "may exist".
    **Verified by:** present, missing and future-version documents.

    @happy-path
    Scenario: Loading an order
      Given the stored order "o1" {"stateVersion":1,"version":3,"orderId":"o1","status":"draft"}
      When I load order "o1"
      Then the loaded order should be {"orderId":"o1","stateVersion":1,"status":"draft","version":3}
      And the loaded order version should be 3

    @validation
    Scenario: Loading a missing order
      When I load order "o9"
      Then the error code should be "NOT_FOUND"
      And the error message should be "orderCMS not found: o9"
      And the error should be a NotFoundError

    @edge-case
    Scenario: Trying to load a missing order
      When I try to load order "o9"
      Then no error should occur
      And nothing should be loaded

    @validation
    Scenario: A document from the future fails to load but exists
      Given the stored order "o7" {"stateVersion":5,"version":1}
      When I load order "o7"
      Then the error code should be "FUTURE_VERSION"
      And order "o7" should exist

  Rule: Exists never upcasts, and LoadMany keeps the order of the ids

    **Invariant:** LoadMany returns one entry per id, in order, nothing where missing; no ids read nothing.
    **Rationale:** batch reads line up with their input.
    **Verified by:** a mix of present and missing ids.

    @happy-path
    Scenario: Loading several orders
      Given the stored order "a" {"stateVersion":1,"version":1,"orderId":"a"}
      And the stored order "c" {"stateVersion":1,"version":2,"orderId":"c"}
      When I load the orders "c, b, a, c"
      Then the loaded orders should be "c, -, a, c"
      And order "b" should not exist

  Rule: Insert creates the first document; a second insert is a version conflict

    **Invariant:** insert writes the state at the current stateVersion; an existing id is VERSION_CONFLICT with expected 0.
    **Rationale:** creation commands must not overwrite an aggregate.
    **Verified by:** a first and a second insert.

    @happy-path
    Scenario: Inserting an order
      When I insert order "o1" {"orderId":"o1","status":"new","version":1}
      Then no error should occur
      And the stored order "o1" should be {"orderId":"o1","stateVersion":1,"status":"new","version":1}

    @validation
    Scenario: Inserting an order twice
      Given the stored order "o1" {"stateVersion":1,"version":1}
      When I insert order "o1" {"version":1}
      Then the error code should be "VERSION_CONFLICT"
      And the error message should be "Version conflict for orderCMS o1: expected 0, got 1"

  Rule: Update applies a patch iff the stored version is the expected one, and does not bump it

    **Invariant:** missing → NOT_FOUND; stored version (0 when absent) ≠ expected → VERSION_CONFLICT "Version conflict for <table> <id>: expected E, got A"; otherwise the patch is applied as given.
    **Rationale:** optimistic concurrency between writers of one aggregate.
    **Verified by:** a matching, a stale and a missing update, a version-less document, two racing writers.

    Background:
      Given the stored order "o1" {"stateVersion":1,"version":1,"orderId":"o1","status":"draft"}

    @happy-path
    Scenario: Updating at the current version
      When I update order "o1" at version 1 with {"status":"paid","version":2}
      Then no error should occur
      And the stored order "o1" should be {"orderId":"o1","stateVersion":1,"status":"paid","version":2}

    @validation
    Scenario: Updating at a stale version
      When I update order "o1" at version 0 with {"status":"paid"}
      Then the error code should be "VERSION_CONFLICT"
      And the error message should be "Version conflict for orderCMS o1: expected 0, got 1"
      And the error should be a VersionConflictError

    @validation
    Scenario: Updating a missing order
      When I update order "o9" at version 1 with {"status":"paid"}
      Then the error code should be "NOT_FOUND"

    @edge-case
    Scenario: The repository does not bump the version
      When I update order "o1" at version 1 with {"note":"first"}
      And I update order "o1" at version 1 with {"note":"second"}
      Then no error should occur

    @edge-case
    Scenario: A document without a version is at version 0
      Given the stored order "legacy" {"stateVersion":1}
      When I update order "legacy" at version 0 with {"version":1}
      Then no error should occur

    @validation
    Scenario: Two writers that read the same version
      When two writers update order "o1" at version 1
      Then one writer should succeed and one should get a version conflict
