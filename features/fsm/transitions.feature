@fsm @unit
Feature: Finite state machine transitions
  A small declarative state machine validates status changes inside
  deciders. It is defined by an initial state and, for each state, the
  states it may move to. The reference machine is the order lifecycle:
  draft → submitted | cancelled, submitted → confirmed | cancelled;
  confirmed and cancelled are terminal.

  Background:
    Given the order state machine

  Rule: A transition is allowed iff the target is listed under the source

    **Invariant:** Can(from, to) is true exactly for the listed pairs; an unknown source allows nothing.
    **Rationale:** status changes follow the declared lifecycle only.
    **Verified by:** every listed pair, forbidden pairs, unknown states.

    @happy-path
    Scenario Outline: <from> may move to <to>
      Then the transition from "<from>" to "<to>" should be allowed

      Examples:
        | from      | to        |
        | draft     | submitted |
        | draft     | cancelled |
        | submitted | confirmed |
        | submitted | cancelled |

    @validation
    Scenario Outline: <from> may not move to <to>
      Then the transition from "<from>" to "<to>" should not be allowed

      Examples:
        | from      | to        |
        | draft     | confirmed |
        | draft     | draft     |
        | submitted | draft     |
        | confirmed | cancelled |
        | cancelled | draft     |
        | unknown   | draft     |
        | DRAFT     | submitted |
        |           | draft     |

    @acceptance-criteria
    Scenario: All allowed transitions, in definition order
      Then the allowed transitions should be:
        | from      | to        |
        | draft     | submitted |
        | draft     | cancelled |
        | submitted | confirmed |
        | submitted | cancelled |

  Rule: A refused transition is a typed error naming from, to and the valid targets

    **Invariant:** Assert/Transition fail with FSM_INVALID_TRANSITION, from, to, the valid transitions and the message of the spec.
    **Rationale:** callers map the error to a rejection without parsing text.
    **Verified by:** a non-terminal and a terminal source, a successful transition.

    @validation
    Scenario: Skipping a state is refused
      When I transition from "draft" to "confirmed"
      Then the error code should be "FSM_INVALID_TRANSITION"
      And the error message should be "Invalid transition from "draft" to "confirmed". Valid transitions: submitted, cancelled"
      And the transition error should name from "draft" and to "confirmed"
      And the transition error should list the valid transitions "submitted, cancelled"

    @edge-case
    Scenario: A terminal state refuses everything
      When I assert the transition from "confirmed" to "cancelled"
      Then the error code should be "FSM_INVALID_TRANSITION"
      And the error message should be:
        """
        Invalid transition from "confirmed" to "cancelled". Valid transitions: (none - terminal state)
        """
      And the transition error should list the valid transitions ""

    @happy-path
    Scenario: An allowed transition returns the target
      When I transition from "submitted" to "confirmed"
      Then no error should have occurred
      And the result should be "confirmed"

    @happy-path
    Scenario: Asserting an allowed transition succeeds
      When I assert the transition from "draft" to "cancelled"
      Then no error should have occurred

  Rule: Valid transitions are listed in definition order

    **Invariant:** Valid(from) lists the targets as declared; terminal and unknown states have an empty list.
    **Rationale:** deterministic output for messages and UIs.
    **Verified by:** each state, an unknown state.

    Scenario Outline: Valid transitions from <from>
      Then the valid transitions from "<from>" should be "<targets>"

      Examples:
        | from      | targets              |
        | draft     | submitted, cancelled |
        | submitted | confirmed, cancelled |
        | confirmed |                      |
        | cancelled |                      |

    @edge-case
    Scenario Outline: No transitions from <from>
      Then there should be no valid transitions from "<from>"

      Examples:
        | from      |
        | confirmed |
        | unknown   |

    Scenario: Order-insensitive comparison
      Then the valid transitions from "draft" should be "cancelled, submitted" in any order

  Rule: Terminal, valid and initial states

    **Invariant:** a state is terminal iff it has no (or an empty) list; valid iff declared (case-sensitive); the initial state is the one defined.
    **Rationale:** the machine answers questions about states without callers knowing its table.
    **Verified by:** each state and unknown ones.

    Scenario Outline: "<state>" <should> be terminal
      Then "<state>" <should> be a terminal state

      Examples:
        | state     | should     |
        | confirmed | should     |
        | cancelled | should     |
        | unknown   | should     |
        | draft     | should not |
        | submitted | should not |

    Scenario Outline: "<state>" <should> be a declared state
      Then "<state>" <should> be a valid state

      Examples:
        | state     | should     |
        | draft     | should     |
        | submitted | should     |
        | confirmed | should     |
        | cancelled | should     |
        |           | should not |
        | unknown   | should not |
        | DRAFT     | should not |

    Scenario: The initial state
      Then "draft" should be the initial state
      And "submitted" should not be the initial state

  Rule: Enumerations list states in a deterministic order

    **Invariant:** states are listed initial first, then breadth-first in definition order.
    **Rationale:** the same definition always prints the same way.
    **Verified by:** all, terminal and non-terminal states.

    Scenario: Enumerating the states
      Then the states should be "draft, submitted, cancelled, confirmed"
      And the terminal states should be "cancelled, confirmed"
      And the non-terminal states should be "draft, submitted"
      And the states should be "confirmed, cancelled, submitted, draft" in any order

  Rule: The standalone functions behave like the methods

    **Invariant:** CanTransition, AssertTransition, ValidTransitions, IsTerminal and IsValidState agree with the methods.
    **Rationale:** two spellings of one behaviour.
    **Verified by:** every pair of states, plus "" and an unknown one.

    Scenario: Standalone functions agree with the methods
      Then the standalone functions should agree with the methods for every pair of states

  Rule: Validate reports unsound definitions

    **Invariant:** Validate finds an undeclared initial state, undeclared targets and duplicate targets; a sound definition is valid.
    **Rationale:** the original does not check definitions; the Go port adds it.
    **Verified by:** the order machine, a broken machine.

    Scenario: The order machine is sound
      Then the state machine definition should be valid

    @validation
    Scenario: A broken machine lists every problem
      Given the broken state machine
      When I validate the state machine definition
      Then the error code should be "FSM_INVALID_DEFINITION"
      And the error message should contain "initial state "start" is not a declared state"
      And the error message should contain "state "draft" lists undeclared target "ghost""
      And the error message should contain "state "draft" lists target "submitted" twice"
