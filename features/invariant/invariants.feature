@invariant @unit
Feature: Invariants
  A domain rule is declared once — a predicate, a message, a code and
  optional context — and used three ways: Check (a boolean), Assert (an
  invariant error) and Validate (a description that never fails).
  Invariants group into sets: CheckAll, AssertAll (fail-fast, in order)
  and ValidateAll (every violation, in declaration order).

  The order invariants: orderHasItems (ORDER_HAS_NO_ITEMS, with context),
  totalWithinLimit bound to a maximum of 100000 (ORDER_TOTAL_EXCEEDED,
  with the total and the maximum as context) and cancelledHasReason
  (CANCELLATION_REASON_MISSING, an OrderInvariantError without context).

  Rule: Check reports whether the invariant holds

    **Invariant:** Check is true iff the predicate holds for the state.
    **Rationale:** cheap guards in deciders.
    **Verified by:** a state with and without items.

    @happy-path
    Scenario: An order with items has items
      Given an order state:
        | field   | value |
        | orderId | o-1   |
        | items   | 2     |
      When I check the invariant "orderHasItems"
      Then the invariant should hold
      And the result should be true

    @validation
    Scenario: An empty order has no items
      Given an order state:
        | field   | value |
        | orderId | o-1   |
      When I check the invariant "orderHasItems"
      Then the invariant should be violated
      And the result should be false

  Rule: Assert returns an invariant error with code, message and context

    **Invariant:** Assert returns nothing when the invariant holds, else an invariant error of the invariant's class with its code, message and context (none without a context function).
    **Rationale:** deciders turn violations into rejections.
    **Verified by:** a base-class error with context, a context-class error without.

    @validation
    Scenario: A violated invariant asserts an InvariantError with context
      Given an order state:
        | field   | value |
        | orderId | o-7   |
      When I assert the invariant "orderHasItems"
      Then the error should be an InvariantError with code "ORDER_HAS_NO_ITEMS"
      And the error message should contain "order o-7 has no items"
      And the violation context should have orderId "o-7"

    @edge-case
    Scenario: A context class names its errors
      Given an order state:
        | field   | value     |
        | orderId | o-1       |
        | status  | cancelled |
      When I assert the invariant "cancelledHasReason"
      Then the error should be an OrderInvariantError with code "CANCELLATION_REASON_MISSING"
      And the error code should be "CANCELLATION_REASON_MISSING"
      And the violation should have no context

    @happy-path
    Scenario: A holding invariant asserts nothing
      Given an order state:
        | field        | value     |
        | orderId      | o-1       |
        | status       | cancelled |
        | cancelReason | late      |
      When I assert the invariant "cancelledHasReason"
      Then no error should have occurred
      And the invariant should hold

  Rule: Validate describes the verdict without failing

    **Invariant:** Validate returns valid, or invalid with the code, the message and the context (present only with a context function).
    **Rationale:** UIs and batch checks collect verdicts.
    **Verified by:** a parameterised invariant, an invariant without context.

    @validation
    Scenario: A parameter flows into the message and the context
      Given an order state:
        | field   | value  |
        | orderId | o-1    |
        | items   | 1      |
        | total   | 100001 |
      When I validate the invariant "totalWithinLimit"
      Then no error should have occurred
      And the invariant should be violated
      And the violations should be:
        | code                 | message                                 |
        | ORDER_TOTAL_EXCEEDED | total 100001 exceeds the limit of 100000 |
      And the violation context should have max 100000
      And the violation context should have total 100001

    @edge-case
    Scenario: The limit itself is within the limit
      Given an order state:
        | field | value  |
        | total | 100000 |
      When I validate the invariant "totalWithinLimit"
      Then the invariant should hold

    @edge-case
    Scenario: Without a context function a violation has no context
      Given an order state:
        | field  | value     |
        | status | cancelled |
      When I validate the invariant "cancelledHasReason"
      Then the violation codes should be "CANCELLATION_REASON_MISSING"
      And the violation should have no context

  Rule: A set checks all, asserts fail-fast and validates everything in order

    **Invariant:** CheckAll is true iff all hold; AssertAll returns the first violation in declaration order; ValidateAll returns every violation in declaration order; an empty set always passes.
    **Rationale:** one call checks an aggregate's consistency.
    **Verified by:** a state breaking several invariants, a sound state, the empty set.

    Background:
      Given an order state:
        | field   | value     |
        | orderId | o-1       |
        | status  | cancelled |
        | total   | 250000    |

    @validation
    Scenario: ValidateAll collects every violation in declaration order
      When I validate the "all" invariants
      Then the invariants should be violated
      And the violation codes should be "ORDER_HAS_NO_ITEMS, ORDER_TOTAL_EXCEEDED, CANCELLATION_REASON_MISSING"
      And the violations should be:
        | name               | code                        |
        | orderHasItems      | ORDER_HAS_NO_ITEMS          |
        | totalWithinLimit   | ORDER_TOTAL_EXCEEDED        |
        | cancelledHasReason | CANCELLATION_REASON_MISSING |

    @validation
    Scenario: AssertAll stops at the first violation
      When I assert the "all" invariants
      Then the error should be an InvariantError with code "ORDER_HAS_NO_ITEMS"
      And the violation codes should be "ORDER_HAS_NO_ITEMS"

    @validation
    Scenario: CheckAll is false when any invariant is violated
      When I check the "submission" invariants
      Then the result should be false

    @edge-case
    Scenario Outline: The empty set always passes (<how>)
      When I <how> the "empty" invariants
      Then no error should have occurred
      And the invariants should hold

      Examples:
        | how      |
        | check    |
        | assert   |
        | validate |

  Rule: A sound state passes every set

    **Invariant:** a state satisfying every invariant validates with no violation.
    **Rationale:** the happy path of a decider.
    **Verified by:** a submitted order within limits.

    @happy-path
    Scenario Outline: A sound order passes (<how>)
      Given an order state:
        | field   | value     |
        | orderId | o-1       |
        | status  | submitted |
        | items   | 3         |
        | total   | 4500      |
      When I <how> the "all" invariants
      Then the invariants should hold
      And the violation codes should be ""

      Examples:
        | how      |
        | check    |
        | assert   |
        | validate |
