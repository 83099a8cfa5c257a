@middleware @unit
Feature: Built-in middlewares
  The platform ships five middlewares, always in this order: structure
  validation (10), domain validation (20), authorization (30), logging
  (40) and rate limiting (50). Each refuses a command with its own code.

  Rule: Built-ins run in their fixed order

    **Invariant:** structureValidation 10 < domainValidation 20 < authorization 30 < logging 40 < rateLimit 50.
    **Rationale:** cheap checks first; logging sees only what was authorized; rate limiting counts only what was logged.
    **Verified by:** adding them in reverse order.

    @happy-path
    Scenario: The built-ins sort themselves
      Given a pipeline with every built-in added in reverse order
      Then the middleware names should be "structureValidation, domainValidation, authorization, logging, rateLimit"

  Rule: Structure validation refuses malformed arguments with VALIDATION_ERROR

    **Invariant:** invalid → rejected VALIDATION_ERROR "Invalid command arguments: <messages joined by ", ">" with the field errors as context; types without a schema pass.
    **Rationale:** handlers only see well-formed arguments.
    **Verified by:** two errors, a valid payload, an unschemed type.

    Background:
      Given structure validation of "CreateOrder" requiring an orderId and a qty of at least 1

    @validation
    Scenario: Two problems in one command
      When "alice" sends "CreateOrder" with {"qty":0}
      Then the pipeline result should be rejected with code "VALIDATION_ERROR" and reason "Invalid command arguments: orderId is required, qty must be at least 1"
      And the rejection context should list errors at "orderId, qty"

    @happy-path
    Scenario: Valid arguments pass
      When "alice" sends "CreateOrder" with {"orderId":"o1","qty":2}
      Then the pipeline result should be executed

    @edge-case
    Scenario: A type without a schema passes
      When "alice" sends "Ping" with {"anything":true}
      Then the pipeline result should be executed

  Rule: Domain validation refuses business-invalid arguments with DOMAIN_VALIDATION_ERROR

    **Invariant:** the first problem of the command type's validators is the reason; the common validators have fixed messages; numbers are required to be numbers.
    **Rationale:** business rules that need no state run before the handler.
    **Verified by:** every common validator.

    @validation
    Scenario: A domain rule refuses the command
      Given domain validation of "AddItem" requiring a positive "qty"
      When "alice" sends "AddItem" with {"qty":0}
      Then the pipeline result should be rejected with code "DOMAIN_VALIDATION_ERROR" and reason "qty must be a positive number"

    @validation
    Scenario Outline: <validator> on <args>
      Then the validator <validator> on <args> should give "<problem>"

      Examples:
        | validator                         | args             | problem                        |
        | requiredString name               | {"name":"x"}     |                                |
        | requiredString name               | {"name":"  "}    | name is required               |
        | requiredString name               | {}               | name is required               |
        | positiveNumber qty                | {"qty":0.5}      |                                |
        | positiveNumber qty                | {"qty":0}        | qty must be a positive number  |
        | positiveNumber qty                | {"qty":"5"}      | qty must be a positive number  |
        | nonNegativeNumber qty             | {"qty":0}        |                                |
        | nonNegativeNumber qty             | {"qty":-1}       | qty cannot be negative         |
        | numberRange pct 0 100             | {"pct":100}      |                                |
        | numberRange pct 0 100             | {"pct":100.5}    | pct must be between 0 and 100  |
        | matchesPattern sku ^[A-Z]{3}-\d+$ | {"sku":"ABC-1"}  |                                |
        | matchesPattern sku ^[A-Z]{3}-\d+$ | {"sku":"abc"}    | sku has invalid format         |
        | startsWithPrefix orderId ord_     | {"orderId":"o1"} | orderId must start with 'ord_' |

  Rule: Authorization refuses with UNAUTHORIZED; role rules deny what they do not allow

    **Invariant:** skipFor bypasses the checker; a role rule allows listed roles, denies a missing role "Authentication required" and other roles with the required ones named; unlisted commands are allowed unless deny-by-default.
    **Rationale:** who may do what is declared, not coded in handlers.
    **Verified by:** each role case, deny by default, an owner check.

    Background:
      Given role-based authorization:
        | command     | roles           |
        | CancelOrder | admin, support  |

    @happy-path
    Scenario: An allowed role
      When "alice" with role "support" sends "CancelOrder" with {"orderId":"o1"}
      Then the pipeline result should be executed

    @validation
    Scenario: A role that is not allowed
      When "alice" with role "customer" sends "CancelOrder" with {"orderId":"o1"}
      Then the pipeline result should be rejected with code "UNAUTHORIZED" and reason "Role 'customer' is not authorized to execute CancelOrder. Required: admin or support"

    @validation
    Scenario: No role at all
      When "alice" sends "CancelOrder" with {"orderId":"o1"}
      Then the pipeline result should be rejected with code "UNAUTHORIZED" and reason "Authentication required"

    @edge-case
    Scenario: A command without a rule is allowed
      When "alice" sends "CreateOrder" with {"orderId":"o1"}
      Then the pipeline result should be executed

    @validation
    Scenario: Deny by default refuses commands without a rule
      Given role-based authorization that denies by default:
        | command     | roles   |
        | CancelOrder | support |
      When "alice" with role "support" sends "CreateOrder" with {"orderId":"o1"}
      Then the pipeline result should be rejected with code "UNAUTHORIZED" and reason "No authorization rule for CreateOrder"

    @validation
    Scenario Outline: Owner check: <user> with role <role> on an order of <owner>
      Given owner-based authorization where order "o1" belongs to "<owner>" and admins are "admin"
      When "<user>" with role "<role>" sends "CancelOrder" with {"orderId":"o1"}
      Then the pipeline result should be <outcome>

      Examples:
        | user  | role     | owner | outcome                                                                                  |
        | alice | customer | alice | executed                                                                                 |
        | alice | customer | bob   | rejected with code "UNAUTHORIZED" and reason "Cannot access resources owned by other users" |
        | alice | admin    | bob   | executed                                                                                 |

  Rule: Logging logs each command's start and outcome

    **Invariant:** INFO "Command started: <type>"; then INFO "Command succeeded: <type>", INFO "Command rejected: <type>" with errorCode and errorReason, or ERROR "Command failed: <type>"; with durationMs from the clock.
    **Rationale:** one line per command outcome, without handler code.
    **Verified by:** a success and a rejection by a later middleware.

    @happy-path
    Scenario: Logged outcomes
      Given logging into a capture logger
      And domain validation of "AddItem" requiring a positive "qty"
      When "alice" sends "CreateOrder" with {"orderId":"o1"}
      And "alice" sends "AddItem" with {"qty":0}
      Then the captured log should be:
        | level | message                     |
        | INFO  | Command started: CreateOrder |
        | INFO  | Command succeeded: CreateOrder |

  Rule: Rate limiting is backed by the store, so limits hold across processes

    **Invariant:** a denied command is rejected RATE_LIMITED "Too many requests, please try again later" with retryAfterMs; keys isolate users; two processes sharing a store share the budget; the window resets with time.
    **Rationale:** a limit that each process counts alone is no limit.
    **Verified by:** two processes, two users, the passing of time, skipFor.

    Background:
      Given a store-backed limit of 3 commands per user per minute in 2 processes

    @happy-path
    Scenario: Two processes share one budget
      When "alice" sends "AddItem" through process 1
      And "alice" sends "AddItem" through process 2
      And "alice" sends "AddItem" through process 1
      And "alice" sends "AddItem" through process 2
      Then the outcomes should be "executed, executed, executed, RATE_LIMITED"
      And the last rejection should ask to retry after 60000 ms

    @happy-path
    Scenario: Users have their own budgets
      When "alice" sends "AddItem" through process 1 3 times
      And "bob" sends "AddItem" through process 2
      Then the outcomes should be "executed, executed, executed, executed"

    @happy-path
    Scenario: The budget comes back with time
      When "alice" sends "AddItem" through process 1 4 times
      And 1 minute passes
      And "alice" sends "AddItem" through process 2
      Then the outcomes should be "executed, executed, executed, RATE_LIMITED, executed"

    @edge-case
    Scenario: Skipped command types are not counted
      When "alice" sends "Health" through process 1 5 times
      And "alice" sends "AddItem" through process 2
      Then the outcomes should be "executed, executed, executed, executed, executed, executed"

  Rule: A token bucket refills continuously up to its capacity

    **Invariant:** Rate tokens per Period, never above Capacity; a request needing more than what is left waits until enough has refilled.
    **Rationale:** the roadmap's 100-per-minute command budget.
    **Verified by:** half a bucket, an empty bucket, a refill after 30 seconds.

    Background:
      Given a token bucket of 100 per minute with capacity 100

    @happy-path
    Scenario: Half used, the next request passes
      When "user:alice" takes 50 tokens
      And "user:alice" takes 1 token
      Then the last take should be allowed with 49 tokens left

    @validation
    Scenario: An empty bucket refuses and says when to retry
      When "user:alice" takes 100 tokens
      And "user:alice" takes 1 token
      Then the last take should be refused with a retry after 600 ms

    @happy-path
    Scenario: A depleted bucket refills 50 tokens in 30 seconds
      When "user:alice" takes 100 tokens
      And 30 seconds pass
      And "user:alice" takes 50 tokens
      Then the last take should be allowed with 0 tokens left
