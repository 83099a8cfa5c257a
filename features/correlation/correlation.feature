@correlation @unit
Feature: Correlation and causation chains
  Every command carries a correlation id shared by the whole user action
  and a causation id: a root command causes itself, a command derived from
  an event is caused by that event, and an event is caused by the command
  that emitted it. The command bus records which events each command
  produced, and a whole action can be read back by its correlation id.

  Rule: A root chain is caused by its own command

    **Invariant:** New(commandId) → correlationId = the given one or "corr_<id>", causationId = commandId, initiatedAt = now unless given; userId and context only when given.
    **Rationale:** every action starts somewhere identifiable.
    **Verified by:** a fresh chain, a continued correlation.

    @happy-path
    Scenario: A fresh root chain
      When I start a chain for command "cmd_a"
      Then the chain should be:
        | field         | value                                     |
        | commandId     | cmd_a                                     |
        | correlationId | corr_00000000-0000-7000-8000-000000000001 |
        | causationId   | cmd_a                                     |
        | initiatedAt   | 2026-01-01T00:00:00Z                      |
        | userId        |                                           |
      And the chain should have no context

    @happy-path
    Scenario: Continuing a caller's correlation
      When I start a chain for command "cmd_b" with correlation "corr_saga" for user "u1"
      Then the chain should be:
        | field         | value     |
        | correlationId | corr_saga |
        | causationId   | cmd_b     |
        | userId        | u1        |

    @validation
    Scenario: A chain needs a command id
      When I start a chain for command ""
      Then the error code should be "INVALID_ARGUMENT"

  Rule: A derived chain keeps the correlation and is caused by the source event

    **Invariant:** Derive(event) → same correlationId, causationId = event id, commandId = given or "cmd_<id>", userId inherited; context nil when neither side has one, else source merged with options (options win).
    **Rationale:** reactions stay inside the action that triggered them.
    **Verified by:** a derived chain and the context merge cases.

    @happy-path
    Scenario: Deriving from an event
      When I derive a chain from event "orders_event_1" in correlation "corr_x" of user "u1"
      Then the chain should be:
        | field         | value                                    |
        | commandId     | cmd_00000000-0000-7000-8000-000000000001 |
        | correlationId | corr_x                                   |
        | causationId   | orders_event_1                           |
        | userId        | u1                                       |

    @edge-case
    Scenario Outline: context from the source <source> and the options <options>
      When I derive a chain with source context <source> and option context <options>
      Then the chain context should be <result>

      Examples:
        | source        | options | result        |
        | none          | none    | none          |
        | {"a":1}       | none    | {"a":1}       |
        | none          | {"b":2} | {"b":2}       |
        | {"a":1,"b":1} | {"b":2} | {"a":1,"b":2} |
        | {}            | {}      | {}            |

  Rule: Event metadata carries correlation, causation and user, and nothing can override the first two

    **Invariant:** metadata = {correlationId, causationId} + userId when set + extra keys; extra cannot override correlation or causation ids.
    **Rationale:** correlation survives any caller-supplied metadata.
    **Verified by:** extra keys trying to override.

    @validation
    Scenario: Extra metadata cannot override correlation or causation
      Given a chain for command "cmd_1" with correlation "corr_1" for user "u1"
      When I build event metadata with extra:
        | key           | value |
        | correlationId | evil  |
        | causationId   | evil  |
        | source        | api   |
      Then the event metadata should be:
        | field         | value  |
        | correlationId | corr_1 |
        | causationId   | cmd_1  |
        | userId        | u1     |
        | source        | api    |

  Rule: Multi-hop flows keep one correlation id, each hop caused by the previous event

    **Invariant:** after any number of derivations the correlation id is the root's and each causation is the previous hop's event.
    **Rationale:** an action can be followed end to end.
    **Verified by:** three hops.

    @happy-path
    Scenario: Three hops
      Given a chain for command "cmd_root" with correlation "corr_root" for user "u1"
      When the chain reacts 3 times through events "e1, e2, e3"
      Then every hop should have correlation "corr_root"
      And the hops should be caused by "e1, e2, e3"

  Rule: The correlation service records which events each command produced

    **Invariant:** recording merges event ids (no duplicates, order kept); a command has a correlation iff it has ≥ 1 event id; listing by context requires a bounded context.
    **Rationale:** "what did this command do?" has an answer.
    **Verified by:** a merge, counts, a context listing and a missing context.

    @happy-path
    Scenario: Recording and merging
      When the service records command "cmd_1" in "orders" produced "e1"
      And the service records command "cmd_1" in "orders" produced "e1, e2"
      And the service records command "cmd_2" in "orders" produced ""
      And the service records command "cmd_3" in "inventory" produced "e9"
      Then command "cmd_1" should have produced "e1, e2"
      And command "cmd_1" should have 2 events
      And command "cmd_2" should have 0 events
      And command "cmd_unknown" should have 0 events
      And the correlations of context "orders" should be "cmd_1, cmd_2"

    @validation
    Scenario: Listing needs a bounded context
      When I list the correlations of context ""
      Then the error message should be "boundedContext is required for getCorrelationsByContext"

  Rule: An action can be traced by its correlation id across commands and events

    **Invariant:** the trace holds every command and event of the correlation id and nothing else, in causal order: each command, then the events it emitted, then the commands they caused.
    **Rationale:** debugging and auditing a user action.
    **Verified by:** a command, a derived command, and an unrelated action in between.

    @happy-path
    Scenario: Tracing a checkout
      Given the order engine
      When command "cmd_create" creates order "o1" in correlation "corr_checkout"
      And command "cmd_other" creates order "o2" in correlation "corr_other"
      And command "cmd_add" adds an item to order "o1" in reaction to the first event of "Order-o1"
      Then the trace of "corr_checkout" should be:
        | kind    | type         | causedBy        |
        | command | CreateOrder  | itself          |
        | event   | OrderCreated | cmd_create      |
        | command | AddItem      | the OrderCreated |
        | event   | ItemAdded    | cmd_add         |
