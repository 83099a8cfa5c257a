@commandbus @store
Feature: Command bus — the command log
  The command log makes commands idempotent by command id, tracks each
  command's status from pending to executed, rejected or failed (set once),
  pages commands by correlation id, removes expired records without ever
  touching a pending one, and records which events each command produced.

  Rule: A command id is recorded once

    **Invariant:** recording an existing command id writes nothing and reports the stored status and result.
    **Rationale:** retries must see the first outcome.
    **Verified by:** a second record, a record after completion, 16 concurrent records.

    @happy-path @acceptance-criteria
    Scenario: Recording a new command stores it as pending with a 7-day TTL
      When the command "c1" is recorded
      Then the record should be new
      And the command "c1" should have status "pending"
      And the command "c1" should expire 7 days after it was recorded

    Scenario: Recording it again reports a duplicate
      Given the command "c1" was recorded with correlation "corr-1"
      When the command "c1" is recorded again
      Then the record should be a duplicate with status "pending"

    Scenario: A duplicate of a completed command carries the stored result
      Given the command "c1" was recorded with correlation "corr-1"
      And the command "c1" is completed as "executed" with result {"version":1}
      When the command "c1" is recorded again
      Then the record should be a duplicate with status "executed" and result {"version":1}

    @concurrency
    Scenario: Concurrent submissions see exactly one new record
      When the command "race" is recorded by 16 callers at once
      Then exactly one caller should have seen a new record

    @validation
    Scenario: A payload over 64 KiB is refused
      When the command "big" is recorded with a payload of 65 KiB
      Then the record should fail with code "PAYLOAD_TOO_LARGE"
      And the command "big" should not exist

    Scenario: A payload of 60 KiB is accepted
      When the command "fits" is recorded with a payload of 60 KiB
      Then the record should be new

  Rule: A command is completed once; the first writer wins

    **Invariant:** only a pending command can be completed; later completions are refused and change nothing.
    **Rationale:** a late or duplicate worker must not overwrite the outcome.
    **Verified by:** completing twice, completing an unknown command.

    @happy-path
    Scenario: Completing a pending command
      Given the command "c1" was recorded with correlation "corr-1"
      When the command "c1" is completed as "rejected" with result {"code":"NOPE"}
      Then the completion should be accepted
      And the command "c1" should have status "rejected" and result {"code":"NOPE"}

    Scenario: A second completion is refused
      Given the command "c1" was recorded with correlation "corr-1"
      And the command "c1" is completed as "executed"
      When the command "c1" is completed as "failed"
      Then the completion should be refused
      And the command "c1" should have status "executed"

    Scenario: Completing an unknown command is refused
      When the command "ghost" is completed as "executed"
      Then the completion should be refused

    @validation
    Scenario: Pending is not a completion status
      Given the command "c1" was recorded with correlation "corr-1"
      When the command "c1" is completed as "pending"
      Then the completion should fail with code "INVALID_ARGUMENT"

  Rule: Commands are paged by correlation id in time order

    **Invariant:** pages list a correlation's commands by timestamp then command id, strictly after the cursor; the last page has no cursor.
    **Rationale:** a user action's commands can be traced page by page.
    **Verified by:** five commands in pages of two.

    Scenario: Paging through a correlation
      Given the commands "a3, a1, a5, a2, a4" were recorded with correlation "corr-a" one millisecond apart
      And the command "b1" was recorded with correlation "corr-b"
      When the commands of correlation "corr-a" are read in pages of 2
      Then the pages should be:
        | page | commands |
        | 1    | a3,a1    |
        | 2    | a5,a2    |
        | 3    | a4       |

  Rule: Cleanup removes expired records but never a pending command

    **Invariant:** cleanup deletes at most a batch of expired, completed commands; pending ones stay whatever their age.
    **Rationale:** deleting a pending command would let its retry run twice.
    **Verified by:** expired pending and completed commands, batched cleanup.

    @acceptance-criteria
    Scenario: Pending commands survive cleanup
      Given the command "done" was recorded with a TTL of 1 hour
      And the command "stuck" was recorded with a TTL of 1 hour
      And the command "done" is completed as "executed"
      When 2 hours pass
      And expired commands are cleaned up
      Then 1 command and 0 correlations should have been deleted
      And the command "done" should no longer exist
      And the command "stuck" should still exist

    Scenario: Cleanup works in batches
      Given the command "d1" was recorded with a TTL of 1 hour
      And the command "d2" was recorded with a TTL of 1 hour
      And the command "d3" was recorded with a TTL of 1 hour
      And the command "d1" is completed as "executed"
      And the command "d2" is completed as "executed"
      And the command "d3" is completed as "executed"
      When 2 hours pass
      And expired commands are cleaned up in batches of 2
      Then 2 commands and 0 correlations should have been deleted, with more to delete

    Scenario: Nothing expires early
      Given the command "d1" was recorded with a TTL of 1 hour
      And the command "d1" is completed as "executed"
      When expired commands are cleaned up
      Then 0 commands and 0 correlations should have been deleted
      And the command "d1" should still exist

  Rule: Command–event correlations merge

    **Invariant:** recording a command's events again appends only the new ids, in order, without duplicates.
    **Rationale:** a command's events can be recorded in several steps.
    **Verified by:** two recordings, listing by bounded context.

    Scenario: Recording a command's events twice merges them
      When the events "e1, e2" are correlated to command "c1" in context "orders"
      And the events "e2, e3" are correlated to command "c1" in context "orders"
      Then the events of command "c1" should be "e1, e2, e3"

    Scenario: Correlations are listed per bounded context
      When the events "e1" are correlated to command "c1" in context "orders"
      And the events "e2" are correlated to command "c2" in context "billing"
      And the events "e3" are correlated to command "c3" in context "orders"
      Then the correlations of context "orders" should be "c1, c3"
