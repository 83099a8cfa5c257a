@handler @unit
Feature: Decider handler factory
  A handler factory turns a pure decider into a command handler over one
  stream per command: load the stream, fold it, decide, and append the
  outcome's events with the loaded version as the expected version. The
  decider sees only the domain command; the handler stamps every event
  with its id, correlation id, causation id and schema version.

  Rule: A command on an existing stream appends at the next version

    **Invariant:** a success appends its events with expected version = the loaded version and returns the new version.
    **Rationale:** optimistic concurrency: a decision is only recorded on the state it saw.
    **Verified by:** adding an item, submitting after a longer history.

    @happy-path @acceptance-criteria
    Scenario: Adding an item appends ItemAdded at version 2
      Given the events on stream "order-o-1":
        | type         | orderId | customerId |
        | OrderCreated | o-1     | c-1        |
      When the command AddItem is sent with:
        | field     | value |
        | orderId   | o-1   |
        | sku       | sku-1 |
        | quantity  | 2     |
        | unitPrice | 500   |
      Then the command should succeed
      And the result stream should be "order-o-1"
      And the result expected version should be 1
      And the result version should be 2
      And the events appended are:
        | type      | orderId | sku   | quantity | unitPrice |
        | ItemAdded | o-1     | sku-1 | 2        | 500       |
      And the stream "order-o-1" should have version 2

    @happy-path
    Scenario: The decision sees the fold of the whole stream
      Given the events on stream "order-o-1":
        | type         | orderId | customerId | sku   | quantity | unitPrice |
        | OrderCreated | o-1     | c-1        |       |          |           |
        | ItemAdded    | o-1     |            | sku-1 | 2        | 500       |
        | ItemAdded    | o-1     |            | sku-2 | 1        | 250       |
      When the command SubmitOrder is sent with:
        | field   | value |
        | orderId | o-1   |
      Then the command should succeed
      And the data should have total 1250
      And the events appended are exactly:
        | type           | orderId | total |
        | OrderSubmitted | o-1     | 1250  |
      And the stream "order-o-1" should contain:
        | type           |
        | OrderCreated   |
        | ItemAdded      |
        | ItemAdded      |
        | OrderSubmitted |

  Rule: The handler stamps every event it writes

    **Invariant:** event id = "<stream type lower-cased>_event_<id>", unique per event; causation id = command id; correlation id = the caller's, else the command id; schema version = the configured one.
    **Rationale:** every event traces back to the command and the flow that caused it.
    **Verified by:** explicit ids, defaulted correlation, two commands.

    @acceptance-criteria
    Scenario: Command and correlation ids become causation and correlation
      Given the events on stream "order-o-1":
        | type         | orderId | customerId |
        | OrderCreated | o-1     | c-1        |
      And the command id is "cmd-42"
      And the correlation id is "corr-7"
      When the command CancelOrder is sent with:
        | field   | value        |
        | orderId | o-1          |
        | reason  | out of stock |
      Then the command should succeed
      And the appended events should have metadata:
        | field         | value  |
        | causationId   | cmd-42 |
        | correlationId | corr-7 |
        | schemaVersion | 2      |
        | category      | domain |
      And the appended event ids should start with "order_event_"

    @edge-case
    Scenario: Without a correlation id the command id is used
      Given the events on stream "order-o-1":
        | type         | orderId | customerId |
        | OrderCreated | o-1     | c-1        |
      And the command id is "cmd-1"
      When the command CancelOrder is sent with:
        | field   | value   |
        | orderId | o-1     |
        | reason  | changed |
      Then the appended events should have metadata:
        | field         | value |
        | causationId   | cmd-1 |
        | correlationId | cmd-1 |

    @technical-constraint
    Scenario: Each invocation mints new event ids
      Given the events on stream "order-o-1":
        | type         | orderId | customerId |
        | OrderCreated | o-1     | c-1        |
      When the command AddItem is sent with:
        | field     | value |
        | orderId   | o-1   |
        | sku       | sku-1 |
        | quantity  | 1     |
        | unitPrice | 100   |
      And the command AddItem is sent with:
        | field     | value |
        | orderId   | o-1   |
        | sku       | sku-1 |
        | quantity  | 1     |
        | unitPrice | 100   |
      Then the command should succeed
      And the result version should be 3
      And every appended event id should be unique

  Rule: A rejection appends nothing

    **Invariant:** a rejected command writes no event and returns the code, message and context.
    **Rationale:** a refusal leaves no trace.
    **Verified by:** a bad quantity.

    @validation
    Scenario: A bad quantity is rejected and the stream is unchanged
      Given the events on stream "order-o-1":
        | type         | orderId | customerId |
        | OrderCreated | o-1     | c-1        |
      When the command AddItem is sent with:
        | field     | value |
        | orderId   | o-1   |
        | sku       | sku-1 |
        | quantity  | -1    |
        | unitPrice | 100   |
      Then the command is rejected with code INVALID_QUANTITY
      And the rejection context should have quantity -1
      And no events are appended
      And the stream "order-o-1" should have version 1

  Rule: A business failure appends its event and reports the version it expected

    **Invariant:** a failed command appends its one failure event at the loaded version and returns the reason and that expected version.
    **Rationale:** failures that matter to the business are recorded.
    **Verified by:** a declined payment.

    @business-failure
    Scenario: A declined payment is recorded
      Given the events on stream "order-o-1":
        | type           | orderId | customerId | sku   | quantity | unitPrice | total |
        | OrderCreated   | o-1     | c-1        |       |          |           |       |
        | ItemAdded      | o-1     |            | sku-1 | 1        | 100       |       |
        | OrderSubmitted | o-1     |            |       |          |           | 100   |
      When the command ConfirmOrder is sent with:
        | field           | value |
        | orderId         | o-1   |
        | paymentApproved | false |
      Then the command fails with reason "payment declined"
      And the decision should be "failed"
      And the result expected version should be 3
      And the result version should be 4
      And the events appended are:
        | type                    | reason           |
        | OrderConfirmationFailed | payment declined |

  Rule: A missing stream is NOT_FOUND, which the error hook may turn into a result

    **Invariant:** a non-creation handler refuses an empty stream with NOT_FOUND; HandleError may map a fault to a result.
    **Rationale:** commands on unknown aggregates are refused, in the domain's own words.
    **Verified by:** submitting an order that was never created.

    @validation
    Scenario: Submitting an unknown order is rejected by the error hook
      When the command SubmitOrder is sent with:
        | field   | value   |
        | orderId | missing |
      Then the command is rejected with code ORDER_NOT_FOUND
      And no events are appended
      And the stream "order-missing" should have version 0

  Rule: Faults the error hook does not take propagate and roll back

    **Invariant:** an append against a stream that moved since it was loaded fails with CONCURRENCY_CONFLICT and writes nothing.
    **Rationale:** two decisions on the same state cannot both win.
    **Verified by:** a competing writer.

    @technical-constraint
    Scenario: A competing writer wins; the command fails with a concurrency conflict
      Given the events on stream "order-o-1":
        | type         | orderId | customerId |
        | OrderCreated | o-1     | c-1        |
      And another writer appends to stream "order-o-1" after the command loads it:
        | type      | orderId | sku   | quantity | unitPrice |
        | ItemAdded | o-1     | sku-9 | 1        | 100       |
      When the command CancelOrder is sent with:
        | field   | value |
        | orderId | o-1   |
        | reason  | late  |
      Then the error code should be "CONCURRENCY_CONFLICT"
      And no events are appended
      And the stream "order-o-1" should contain:
        | type         | sku   |
        | OrderCreated |       |
        | ItemAdded    | sku-9 |

  Rule: Pre-validation short-circuits

    **Invariant:** a result from PreValidate is returned as is: nothing is loaded, decided or written.
    **Rationale:** cheap checks run before any I/O.
    **Verified by:** a blocked customer.

    @validation
    Scenario: A blocked customer cannot create an order
      When the command CreateOrder is sent with:
        | field      | value   |
        | orderId    | o-9     |
        | customerId | blocked |
      Then the command is rejected with code CUSTOMER_BLOCKED
      And the rejection message should contain "not allowed"
      And no events are appended
      And the stream "order-o-9" should have version 0

  Rule: A creation command sees the initial state and creates version 1

    **Invariant:** a creation handler decides on the initial state of an empty stream and appends expecting no stream; success yields version 1.
    **Rationale:** creation is a command like any other, with its own concurrency guard.
    **Verified by:** creating an order, at a given time.

    @happy-path
    Scenario: Creating an order
      Given the time is "2026-02-01T10:00:00Z"
      When the command CreateOrder is sent with:
        | field      | value |
        | orderId    | o-1   |
        | customerId | c-1   |
      Then the command should succeed
      And the result expected version should be 0
      And the result version should be 1
      And the events appended are:
        | type         | orderId | customerId | createdAt            |
        | OrderCreated | o-1     | c-1        | 2026-02-01T10:00:00Z |
      And the appended event ids should start with "order_event_"

  Rule: A creation rejection writes nothing; a creation failure records at version 0

    **Invariant:** rejected → nothing inserted; failed → the failure event is appended with expected version 0.
    **Rationale:** same outcome semantics as other commands.
    **Verified by:** a missing customer, a fraud check.

    @validation
    Scenario: Creating an order without a customer is rejected
      When the command CreateOrder is sent with:
        | field   | value |
        | orderId | o-1   |
      Then the command is rejected with code "CUSTOMER_REQUIRED"
      And no events are appended
      And the stream "order-o-1" should have version 0

    @business-failure
    Scenario: A refused creation is recorded at expected version 0
      When the command CreateOrder is sent with:
        | field      | value    |
        | orderId    | o-1      |
        | customerId | fraud-01 |
      Then the command fails with reason "fraud check"
      And the result expected version should be 0
      And the result version should be 1
      And the events appended are:
        | type                 | customerId |
        | OrderCreationRefused | fraud-01   |

  Rule: A creation never overwrites an existing stream

    **Invariant:** the decider rejects an existing aggregate; if it does not, the append expecting no stream fails with CONCURRENCY_CONFLICT and nothing is written.
    **Rationale:** the factory itself guards creation.
    **Verified by:** an existing order, a stream the decider does not recognise as an order.

    @edge-case
    Scenario: Creating an existing order is rejected by the decider
      Given the events on stream "order-o-1":
        | type         | orderId | customerId |
        | OrderCreated | o-1     | c-1        |
      When the command CreateOrder is sent with:
        | field      | value |
        | orderId    | o-1   |
        | customerId | c-2   |
      Then the command is rejected with code ORDER_ALREADY_EXISTS
      And no events are appended

    @edge-case
    Scenario: The no-stream guard stops a creation the decider allowed
      Given the events on stream "order-o-1":
        | type                 | orderId | customerId | reason      |
        | OrderCreationRefused | o-1     | fraud-01   | fraud check |
      When the command CreateOrder is sent with:
        | field      | value |
        | orderId    | o-1   |
        | customerId | c-1   |
      Then the error code should be "CONCURRENCY_CONFLICT"
      And the error message should contain "order-o-1"
      And no events are appended
      And the stream "order-o-1" should have version 1
