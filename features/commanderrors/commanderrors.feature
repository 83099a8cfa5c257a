@commands @unit
Feature: Command errors, handler results and command categories
  Command errors are categorised values with a stable code and retry
  semantics. Handler results say what a handler decided: success,
  rejection or business failure, with optional keys present only when
  given. Commands are classified as aggregate, process, system or batch.

  Rule: Error factories build categorised errors with stable codes and messages

    **Invariant:** each factory fixes the category, the recoverability, the code and the message shape.
    **Rationale:** callers branch on codes; BDD specs assert on messages.
    **Verified by:** every factory.

    Scenario: Not found
      When a not-found error is made for "Order" "o1"
      Then the error should have code "ORDER_NOT_FOUND" and message "Order with ID "o1" was not found"
      And the error should be in category "domain" and not recoverable
      And the error context should have entityType = Order
      And the error context should have entityId = o1

    Scenario: Already exists
      When an already-exists error is made for "Order" "o1"
      Then the error should have code "ORDER_ALREADY_EXISTS" and message "Order with ID "o1" already exists"

    Scenario: Invalid state
      When an invalid-state error is made for "Order" in "draft" requiring "submitted"
      Then the error should have code "INVALID_ORDER_STATE" and message "Order is in "draft" state but "submitted" is required"
      And the error context should have requiredState = submitted

    Scenario: Unauthorized
      When an unauthorized error is made for action "cancel"
      Then the error should have code "UNAUTHORIZED" and message "Not authorized to perform action: cancel"
      And the error should be in category "domain" and not recoverable

    Scenario: Rate limited
      When a rate-limited error is made with retry after 1500 ms
      Then the error should have code "RATE_LIMITED" and message "Rate limit exceeded"
      And the error should be in category "infra" and recoverable
      And the error context should have retryAfterMs = 1500

    Scenario: Serialisation omits an absent context
      When a validation error "BAD_INPUT" is made
      Then the error should serialise as {"name":"CommandError","category":"validation","code":"BAD_INPUT","message":"v","recoverable":false}

  Rule: Any error converts to a command error

    **Invariant:** a command error converts to itself; any other error becomes a recoverable infrastructure error with code UNKNOWN_ERROR that wraps it.
    **Rationale:** one error shape at the boundary.
    **Verified by:** a plain error, a wrapped command error.

    Scenario: A plain error becomes an infrastructure error
      When a plain error "connection reset" is converted
      Then the error should have code "UNKNOWN_ERROR" and message "connection reset"
      And the error should be in category "infra" and recoverable
      And the error should wrap the original

    Scenario: A command error converts to itself
      When a domain error "ORDER_LOCKED" is made
      And a command error is converted again
      Then the error should have code "ORDER_LOCKED" and message "d"

  Rule: Retry delays follow the category

    **Invariant:** concurrency errors retry after min(50ms·2^(n−1), 500ms), infrastructure after min(1s·2^(n−1), 30s); domain and validation errors never retry.
    **Rationale:** conflicts clear fast, outages slowly, business rules never.
    **Verified by:** each category over several attempts.

    Scenario: Concurrency backoff
      When a concurrency error "CONFLICT" is made
      Then retry 1 should wait 50ms
      And retry 3 should wait 200ms
      And retry 5 should wait 500ms

    Scenario: Infrastructure backoff
      When an infra error "DOWN" is made
      Then retry 1 should wait 1s
      And retry 5 should wait 16s
      And retry 6 should wait 30s

    Scenario: Domain errors are not retried
      When a domain error "NOPE" is made
      Then retry 1 should wait never

  Rule: Handler results carry optional keys only when given

    **Invariant:** a rejection has a context key only with a context; a failure has expectedVersion only when given.
    **Rationale:** stored results round-trip exactly.
    **Verified by:** each constructor with and without its options.

    Scenario: A success keeps its data and version, even version 0
      When a handler returns success with data {"orderId":"o1"} at version 0
      Then the handler result should be a success
      And the handler result should serialise with keys "status, data, version, events"

    Scenario: A rejection without context
      When a handler rejects with code "ORDER_EXISTS" and reason "already there"
      Then the handler result should be a rejection
      And the handler result should serialise with keys "status, version, code, reason"

    Scenario: A rejection with context
      When a handler rejects with code "ORDER_EXISTS" and reason "already there" and context
      Then the handler result should serialise with keys "status, version, code, reason, context"

    Scenario: A failure with and without an expected version
      When a handler fails with reason "out of stock"
      Then the handler result should be a failure
      And the handler result should serialise with keys "status, version, events, reason"
      When a handler fails with reason "out of stock" expecting version 3
      Then the handler result should serialise with keys "status, version, events, reason, expectedVersion"

  Rule: Command categories are exactly aggregate, process, system and batch

    **Invariant:** only the four lowercase names are categories; anything else normalises to aggregate.
    **Rationale:** the default command targets an aggregate.
    **Verified by:** valid, wrong-case and unknown names.

    Scenario Outline: Category names
      Then "<name>" should <verdict> a command category
      And "<name>" should normalise to category "<normal>"

      Examples:
        | name      | verdict | normal    |
        | aggregate | be      | aggregate |
        | process   | be      | process   |
        | system    | be      | system    |
        | batch     | be      | batch     |
        | AGGREGATE | not be  | aggregate |
        | saga      | not be  | aggregate |
