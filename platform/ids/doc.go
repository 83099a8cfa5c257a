// Package ids is spec §28: distinct id types for commands, correlations,
// causations, events, streams, approvals, decisions and agents, and the
// prefixed, time-ordered id format "<context>_<type>_<uuid>".
//
// Branded ids: CommandID, CorrelationID, CausationID, EventID, StreamID,
// ApprovalID, DecisionID and AgentID are distinct string types, so a
// correlation id cannot be passed where a command id is expected without a
// visible conversion. ParseCommandID and its siblings return the input
// unchanged and reject only the empty string ("Invalid CommandId: must be a
// non-empty string"); IsValidIDString is the same test on a plain string,
// IsValidID on a value of any type.
//
// Generated ids: the unique part always comes from an injected es.IDs —
// es.NewUUIDv7 in production (ids minted in a row sort in minting order),
// es.SequentialIDs in tests. Generate(src, context, typ) mints
// "<context>_<type>_<uuid>" after checking both parts with ValidatePart
// (non-empty, lowercase letters and digits only, at most MaxPartLength
// characters); Parse splits such an id back into its Parts. NewCommandID
// ("cmd_"), NewCorrelationID ("corr_"), NewEventID ("<context>_event_"),
// NewIntegrationEventID ("int_evt_"), NewApprovalID ("apr_"), NewDecisionID
// ("dec_"), NewSubscriptionID ("sub_<agent>_") and NewLifecycleDecisionID
// ("lifecycle_<agent>_") mint the platform's ids.
//
// Errors are *es.Error values with code INVALID_ARGUMENT (ValidatePart
// takes the code to use, so callers such as the event builder keep their
// own).
package ids
