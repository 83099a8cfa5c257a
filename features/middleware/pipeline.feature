@middleware @unit
Feature: Middleware pipeline
  Commands run through an ordered pipeline of middlewares before reaching
  their handler. Before hooks run in ascending order and may enrich the
  context or short-circuit with a result; after hooks run in descending
  order and may replace the result. Failures become rejections with a
  code, except a transaction abort, which always propagates.

  Rule: Before hooks run in ascending order, after hooks in descending order

    **Invariant:** names are listed by order (stable for equal orders); befores ascend, the handler runs, afters descend.
    **Rationale:** validation before authorization before logging before rate limiting, and the reverse on the way out.
    **Verified by:** middlewares added out of order.

    @happy-path
    Scenario: Three middlewares added out of order
      Given a pipeline with middlewares:
        | name  | order | before   | after |
        | c     | 30    | continue | yes   |
        | a     | 10    | continue | yes   |
        | b     | 20    | continue | yes   |
        | b2    | 20    | continue | yes   |
      When the command runs through the pipeline
      Then the middleware names should be "a, b, b2, c"
      And the calls should be "before:a, before:b, before:b2, before:c, handler, after:c, after:b2, after:b, after:a"
      And the pipeline result should be executed

    @edge-case
    Scenario: An empty pipeline just runs the handler
      Given a pipeline with middlewares:
        | name | order | before | after |
      When the command runs through the pipeline
      Then the calls should be "handler"
      And the pipeline result should be executed

    @happy-path
    Scenario: Enrichment flows forward to later middlewares and the handler
      Given a pipeline with middlewares:
        | name   | order | before               | after |
        | tenant | 20    | copy userRole to seenRole | no    |
        | auth   | 10    | set userRole=admin   | no    |
      When the command runs through the pipeline
      Then the handler should have seen userRole "admin" and seenRole "admin"

  Rule: A short-circuit stops the befores and the handler; only completed middlewares run their after hooks

    **Invariant:** after a short-circuit, after hooks run in reverse for middlewares whose before completed (those without a before count as completed), not for the short-circuiting one.
    **Rationale:** cleanup runs only for what started.
    **Verified by:** a short-circuit in the middle.

    @happy-path
    Scenario: A short-circuit in the middle
      Given a pipeline with middlewares:
        | name      | order | before             | after |
        | first     | 10    | continue           | yes   |
        | afterOnly | 15    | none               | yes   |
        | stopper   | 20    | short-circuit STOP | yes   |
        | later     | 30    | continue           | yes   |
      When the command runs through the pipeline
      Then the calls should be "before:first, before:stopper, after:afterOnly, after:first"
      And the pipeline result should be rejected with code "STOP"

  Rule: Failures become coded rejections, but aborts propagate

    **Invariant:** a before hook error → MIDDLEWARE_ERROR with context {middleware}, no after hooks; a handler error → HANDLER_ERROR, after hooks run; an after hook error is reported and ignored; an abort from anywhere is returned as an error.
    **Rationale:** a command always ends with a result, and an aborted unit of work always rolls back.
    **Verified by:** each kind of failure.

    @validation
    Scenario: A before hook fails
      Given a pipeline with middlewares:
        | name   | order | before                  | after |
        | first  | 10    | continue                | yes   |
        | lookup | 20    | error directory is down | yes   |
      When the command runs through the pipeline
      Then the pipeline result should be rejected with code "MIDDLEWARE_ERROR" and reason "directory is down"
      And the rejection context should name middleware "lookup"
      And the calls should be "before:first"

    @validation
    Scenario: The handler fails
      Given a pipeline with middlewares:
        | name  | order | before   | after |
        | first | 10    | continue | yes   |
      When the command runs through the pipeline and the handler fails with "db down"
      Then the pipeline result should be rejected with code "HANDLER_ERROR" and reason "db down"
      And the calls should be "before:first, handler, after:first"

    @edge-case
    Scenario: An after hook fails
      Given a pipeline with middlewares:
        | name   | order | before   | after          |
        | outer  | 10    | continue | yes            |
        | broken | 20    | continue | error sink down |
      When the command runs through the pipeline
      Then the pipeline result should be executed
      And the calls should be "before:outer, before:broken, handler, after:outer"
      And an after hook error should have been reported for "broken"

    @validation
    Scenario Outline: An abort in the <where> propagates
      Given a pipeline with middlewares:
        | name | order | before   | after   |
        | m    | 10    | <before> | <after> |
      When the command runs through the pipeline with <handler> handler
      Then the pipeline should return the abort

      Examples:
        | where       | before   | after | handler      |
        | before hook | abort    | no    | a succeeding |
        | handler     | continue | no    | an aborting  |
        | after hook  | continue | abort | a succeeding |

  Rule: Middlewares can be added, replaced, removed and cloned

    **Invariant:** use replaces a middleware of the same name; remove reports whether one was removed; a clone is independent.
    **Rationale:** pipelines are assembled per deployment and per test.
    **Verified by:** each operation.

    @happy-path
    Scenario: Managing middlewares
      Given a pipeline with middlewares:
        | name | order | before   | after |
        | a    | 10    | continue | no    |
        | b    | 20    | continue | no    |
      When I clone the pipeline and add "c" at order 5 to the clone
      And I remove "a" from the pipeline
      Then the middleware names should be "b"
      And the clone's middleware names should be "c, a, b"
      And removing "a" again should report false
