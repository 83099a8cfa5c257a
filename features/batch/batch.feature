@batch
Feature: Batch executor and batch validation
  A batch runs many commands either atomically against one aggregate —
  in order, stopping at the first item that does not succeed — or as
  independent items in chunks of bounded concurrency. The whole batch is
  validated before anything runs.

  Rule: Validation runs first and refuses bad batches

    **Invariant:** an empty batch, an oversized batch, unregistered commands, commands of another context and atomic batches over several aggregates are refused before any command runs.
    **Rationale:** a batch that cannot succeed as a whole should not half-run.
    **Verified by:** each refusal code.

    @validation
    Scenario: An empty batch is refused
      When an empty batch is validated
      Then the validation errors should be:
        | code        | index |
        | EMPTY_BATCH |       |

    @validation
    Scenario: More than 100 commands are refused
      When a batch of 101 commands is validated
      Then the validation errors should be:
        | code            | index |
        | BATCH_TOO_LARGE |       |
      And the validation error context should have maxBatchSize = 100
      And the validation error context should have actualSize = 101

    @edge-case
    Scenario: Exactly 100 commands are valid
      When a batch of 100 commands is validated
      Then the batch should be valid

    @validation
    Scenario: Unregistered commands are all reported
      When the batch is validated in partial mode:
        | command   | payload         |
        | AddItem   | {"orderId":"o1","sku":"a","qty":1} |
        | FlyAway   | {}              |
        | Teleport  | {}              |
      Then the validation errors should be:
        | code                 | index |
        | UNREGISTERED_COMMAND | 1     |
        | UNREGISTERED_COMMAND | 2     |

    @validation
    Scenario: A command of another bounded context is refused
      When the batch is validated in partial mode for context billing:
        | command | payload                            |
        | AddItem | {"orderId":"o1","sku":"a","qty":1} |
      Then the validation errors should be:
        | code                  | index |
        | WRONG_BOUNDED_CONTEXT | 0     |

    @validation
    Scenario: An atomic batch targets one aggregate
      When the batch is validated in atomic mode:
        | command | payload                            |
        | AddItem | {"orderId":"o1","sku":"a","qty":1} |
        | AddItem | {"orderId":"o2","sku":"a","qty":1} |
      Then the validation errors should be:
        | code                   | index |
        | CROSS_AGGREGATE_ATOMIC | 1     |

    @validation
    Scenario: Without a registry an atomic batch needs its aggregate id
      When the batch is validated in atomic mode without the registry:
        | command | payload                            |
        | AddItem | {"orderId":"o1","sku":"a","qty":1} |
      Then the validation errors should be:
        | code                 | index |
        | MISSING_AGGREGATE_ID |       |

    Scenario: Without a registry an atomic batch checks the id field
      When the batch is validated in atomic mode for aggregate o1 on field orderId without the registry:
        | command | payload                            |
        | AddItem | {"orderId":"o1","sku":"a","qty":1} |
        | AddItem | {"orderId":"o9","sku":"a","qty":1} |
      Then the validation errors should be:
        | code                   | index |
        | CROSS_AGGREGATE_ATOMIC | 1     |

    Scenario: A partial batch may span aggregates
      When the batch is validated in partial mode:
        | command | payload                            |
        | AddItem | {"orderId":"o1","sku":"a","qty":1} |
        | AddItem | {"orderId":"o2","sku":"a","qty":1} |
      Then the batch should be valid

  Rule: An atomic batch stops at the first item that does not succeed

    **Invariant:** items run in order; after the first rejection or failure every later item is skipped.
    **Rationale:** later commands on the same aggregate assume the earlier ones happened.
    **Verified by:** an all-good batch, a batch with a rejection in the middle.

    @happy-path
    Scenario: Every item succeeds
      When the batch is run in atomic mode:
        | command     | payload                              |
        | CreateOrder | {"orderId":"o1","customerId":"c1"}   |
        | AddItem     | {"orderId":"o1","sku":"a","qty":1}   |
        | SubmitOrder | {"orderId":"o1"}                     |
      Then the batch status should be "success"
      And the summary should be 3 total, 3 succeeded, 0 rejected, 0 failed, 0 skipped
      And the stream "Order-o1" should have version 3

    @acceptance-criteria
    Scenario: A rejection stops the batch
      When the batch is run in atomic mode:
        | command     | payload                              |
        | CreateOrder | {"orderId":"o1","customerId":"c1"}   |
        | AddItem     | {"orderId":"o1","sku":"a","qty":0}   |
        | SubmitOrder | {"orderId":"o1"}                     |
      Then the batch status should be "failed"
      And the items should be:
        | command     | status   | error                                          |
        | CreateOrder | success  |                                                |
        | AddItem     | rejected | quantity must be positive, got 0               |
        | SubmitOrder | skipped  | Skipped due to earlier failure in atomic batch |
      And the summary should be 3 total, 1 succeeded, 1 rejected, 0 failed, 1 skipped

  Rule: A partial batch runs every item unless told to stop

    **Invariant:** items are independent; the batch is success, partial or failed by how many succeeded; with stop-on-error no chunk starts after a chunk with a failure.
    **Rationale:** best-effort bulk operations.
    **Verified by:** a mixed batch, a stop-on-error batch.

    Scenario: Mixed outcomes make a partial batch
      When the batch is run in partial mode with max concurrency 2:
        | command     | payload                              |
        | CreateOrder | {"orderId":"o1","customerId":"c1"}   |
        | AddItem     | {"orderId":"o9","sku":"a","qty":1}   |
        | CreateOrder | {"orderId":"o2","customerId":"c1"}   |
      Then the batch status should be "partial"
      And the items should be:
        | command     | status   |
        | CreateOrder | success  |
        | AddItem     | rejected |
        | CreateOrder | success  |

    Scenario: Stop on error skips the chunks after a failure
      When the batch is run in partial mode with max concurrency 2 and stop on error:
        | command     | payload                              |
        | CreateOrder | {"orderId":"o1","customerId":"c1"}   |
        | AddItem     | {"orderId":"o9","sku":"a","qty":1}   |
        | CreateOrder | {"orderId":"o2","customerId":"c1"}   |
      Then the items should be:
        | command     | status   | error                          |
        | CreateOrder | success  |                                |
        | AddItem     | rejected | order o9 does not exist        |
        | CreateOrder | skipped  | Skipped due to earlier failure |
      And the stream "Order-o2" should have version 0

    Scenario: Nothing succeeding fails the batch
      When the batch is run in partial mode:
        | command | payload                            |
        | AddItem | {"orderId":"o8","sku":"a","qty":1} |
        | AddItem | {"orderId":"o9","sku":"a","qty":1} |
      Then the batch status should be "failed"
