@logging @unit
Feature: Scoped structured logging
  Every component logs through a Logger with six levels — DEBUG, TRACE,
  INFO, REPORT, WARN, ERROR — built on log/slog. A scoped logger prefixes
  its entries with "[scope]", filters by a configured level (INFO by
  default) and adds its data as sorted JSON only when there is some.
  REPORT entries are one JSON object; TRACE with timing start/end measures
  a named timer on the injected clock. Tests capture entries with a
  capture logger and assert on them.

  Rule: Levels have fixed priorities and an entry passes a logger iff its priority is at least the logger's

    **Invariant:** DEBUG 0, TRACE 1, INFO 2, REPORT 3, WARN 4, ERROR 5; shouldLog(msg, configured) ⇔ priority(msg) ≥ priority(configured).
    **Rationale:** one ordering for every logger and sink.
    **Verified by:** every priority, passing and filtered pairs.

    @happy-path
    Scenario Outline: <level> has priority <priority>
      Then the priority of "<level>" should be <priority>

      Examples:
        | level  | priority |
        | DEBUG  | 0        |
        | TRACE  | 1        |
        | INFO   | 2        |
        | REPORT | 3        |
        | WARN   | 4        |
        | ERROR  | 5        |

    @validation
    Scenario Outline: a <entry> entry <verdict> a logger at <configured>
      Then a "<entry>" entry <verdict> pass a logger at "<configured>"

      Examples:
        | entry  | configured | verdict    |
        | INFO   | INFO       | should     |
        | ERROR  | INFO       | should     |
        | TRACE  | DEBUG      | should     |
        | DEBUG  | TRACE      | should not |
        | REPORT | WARN       | should not |
        | WARN   | REPORT     | should     |

    @edge-case
    Scenario: The default level filters DEBUG and TRACE
      Given a scoped logger "orders" at the default level
      When the logger logs "DEBUG" "hidden"
      And the logger logs "TRACE" "hidden too"
      And the logger logs "INFO" "shown"
      Then the log output should be:
        """
        INFO [orders] shown
        """

  Rule: A scoped entry is "[scope] message" plus its data as sorted JSON when it has any

    **Invariant:** the data part appears only when the data has at least one key; keys are sorted; big integers are strings.
    **Rationale:** greppable, byte-for-byte reproducible logs.
    **Verified by:** entries with and without data.

    @happy-path
    Scenario: Entries with and without data
      Given a scoped logger "orders" at level "DEBUG"
      When the logger logs "INFO" "Command started" with:
        | field     | value       |
        | commandId | cmd_1       |
        | amount    | 3           |
        | big       | 2^70        |
      And the logger logs "WARN" "empty data" with:
        | field | value |
      And the logger logs "ERROR" "no data"
      Then the log output should be:
        """
        INFO [orders] Command started {"amount":3,"big":"1180591620717411303424","commandId":"cmd_1"}
        WARN [orders] empty data
        ERROR [orders] no data
        """

    @happy-path
    Scenario: A REPORT entry is one JSON object with scope, message, data and timestamp
      Given a scoped logger "orders" at level "INFO"
      When the logger logs "REPORT" "projection rebuilt" with:
        | field  | value |
        | events | 42    |
      Then the log output should be:
        """
        {"events":42,"message":"projection rebuilt","scope":"orders","timestamp":1767225600000}
        """

  Rule: A child logger's scope is "Parent:Child" with its own level

    **Invariant:** Child(name, level) logs under "<parent scope>:<name>" at level, sharing the parent's sink and clock.
    **Rationale:** per-component verbosity without separate sinks.
    **Verified by:** a verbose child of a quiet parent.

    @happy-path
    Scenario: A DEBUG child of a WARN parent
      Given a scoped logger "orders" at level "WARN"
      And a child logger "Projection" at level "DEBUG"
      When the logger logs "DEBUG" "from the child"
      And the parent logger logs "INFO" "from the parent"
      Then the log output should be:
        """
        DEBUG [orders:Projection] from the child
        """

  Rule: TRACE with timing start and end measures a named timer on the injected clock

    **Invariant:** start prints nothing; end prints the entry with durationMs from the clock; an end without a start is an ordinary entry.
    **Rationale:** timing without wall-clock nondeterminism.
    **Verified by:** a timed section on the virtual clock.

    @happy-path
    Scenario: A timed section
      Given a scoped logger "orders" at level "TRACE"
      When the logger logs "TRACE" "load" with:
        | field  | value |
        | timing | start |
      And 250 milliseconds pass
      And the logger logs "TRACE" "load" with:
        | field  | value |
        | timing | end   |
        | rows   | 3     |
      And the logger logs "TRACE" "load" with:
        | field  | value |
        | timing | end   |
      Then the log output should be:
        """
        TRACE [orders] load {"durationMs":250,"rows":3}
        TRACE [orders] load {"timing":"end"}
        """

  Rule: Command helpers log the command lifecycle with fixed messages, levels and keys

    **Invariant:** started/succeeded INFO, rejected and business failure WARN with prefixed keys, error ERROR, skipped DEBUG.
    **Rationale:** the same lifecycle lines from every handler.
    **Verified by:** each helper on a capture logger.

    @happy-path
    Scenario: The lifecycle of commands in the log
      Given a capture logger
      When the command is logged as "started"
      And the command is logged as "succeeded" with version 3 and event "OrderCreated"
      And the command is logged as "rejected" with code "ORDER_EXISTS" and message "order exists"
      And the command is logged as "failed" with event "ReservationFailed" and reason "out of stock"
      And the command is logged as "error" "db down"
      And the command is logged as "skipped" with version 7
      Then the captured entries should be:
        | level | message                      |
        | INFO  | Command started              |
        | INFO  | Command succeeded            |
        | WARN  | Command rejected             |
        | WARN  | Command failed (business)    |
        | ERROR | Command failed               |
        | DEBUG | Command skipped (idempotent) |
      And the last "INFO" entry should have version 3
      And the last "WARN" entry should have failureReason "out of stock"
      And the last "WARN" entry should not have reason
      And the last "ERROR" entry should have error {"message":"db down"}
      And the last "DEBUG" entry should have existingVersion 7

    @validation
    Scenario: A rejection uses rejectionCode and rejectionMessage, never code or message
      Given a capture logger
      When the command is logged as "rejected" with code "ORDER_EXISTS" and message "order exists"
      Then the last "WARN" entry should have rejectionCode "ORDER_EXISTS"
      And the last "WARN" entry should have rejectionMessage "order exists"
      And the last "WARN" entry should have commandType "CreateOrder"
      And the last "WARN" entry should not have code
      And the last "WARN" entry should not have message

  Rule: A capture logger records entries and answers questions about them

    **Invariant:** entries keep level, message and data (none when absent); a filtered capture keeps only levels at or above its minimum and its helpers see only those.
    **Rationale:** assert on logs in tests without parsing text.
    **Verified by:** a filtered capture, searches, clearing.

    @happy-path
    Scenario: Searching captured entries
      Given a capture logger
      When the capture logger logs "INFO" "order loaded"
      And the capture logger logs "ERROR" "save failed"
      Then the capture logger should have logged "INFO" containing "loaded"
      And the capture logger should not have logged "WARN" containing "loaded"
      And the capture logger should have logged "ERROR" containing "failed"
      And the last "INFO" entry should carry no data

    @edge-case
    Scenario: A filtered capture keeps WARN and above only
      Given a capture logger keeping "WARN" and above
      When the capture logger logs "DEBUG" "d"
      And the capture logger logs "INFO" "i"
      And the capture logger logs "WARN" "w"
      And the capture logger logs "ERROR" "e"
      Then the captured entries should be:
        | level | message |
        | WARN  | w       |
        | ERROR | e       |
      And the capture logger should not have logged "INFO" containing "i"

    @edge-case
    Scenario: Clearing forgets everything
      Given a capture logger
      When the capture logger logs "INFO" "something"
      And the captured entries are cleared
      Then the captured entries should be:
        | level | message |
