package store

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"time"

	"github.com/eventspec/eventspec/es"
)

// CommandLog is the storage of the command log (spec §6, §29): one record
// per command id, and one command→event correlation record per command.
// It joins the unit of work like the other capability sets: what a unit
// wrote to it commits or rolls back with the unit's events, documents and
// jobs.
//
// The port holds records and answers the log's queries; the rules about
// them (defaults, cursors, first-writer-wins completion, merging event ids)
// are stated here so every adapter keeps them alike, and package commandbus
// builds the log's API on top. Every method validates its input with the
// Validate functions of this package before touching anything, so bad input
// is an INVALID_ARGUMENT (or PAYLOAD_TOO_LARGE) error that writes nothing:
// ValidateCommandInsert, ValidateCommandCompletion, ValidateCommandID (for
// the lookups), ValidateCommandsByCorrelation, ValidateCorrelationRecord,
// ValidateCorrelationsByContext and ValidateCommandLogLimit (for the
// deletions).
//
// Times are kept exactly as given (to the nanosecond), and records read
// back equal the records written, field for field (nil and empty Result
// both read back as nil; EventIDs read back non-nil). An empty listing may
// be nil.
type CommandLog interface {
	// InsertCommand stores a new command record, and, when corr is not nil,
	// the command's correlation record as PutCorrelation would (corr's
	// CommandID must be rec's). When a record with rec's command id exists
	// it fails with VERSION_CONFLICT (*es.VersionConflictError, collection
	// CommandsCollection) and writes nothing.
	InsertCommand(ctx context.Context, rec CommandRecord, corr *CorrelationRecord) error
	// GetCommand returns the record of a command id, or false.
	GetCommand(ctx context.Context, commandID string) (CommandRecord, bool, error)
	// CompleteCommand sets a pending record's status (one of the final
	// statuses), result (nil: none) and executedAt, and reports true. It
	// reports false and writes nothing when the command is unknown or no
	// longer pending: the first completion wins.
	CompleteCommand(ctx context.Context, commandID string, status string, result json.RawMessage, executedAt time.Time) (bool, error)
	// CommandsByCorrelation returns at most limit records of correlationID
	// whose CorrelationCursor sorts after after (byte order; "" from the
	// start), in ascending CorrelationCursor order. limit is 1 to
	// MaxListLimit.
	CommandsByCorrelation(ctx context.Context, correlationID, after string, limit int) ([]CommandRecord, error)
	// DeleteExpiredCommands deletes at most limit records whose ExpiresAt is
	// before before and whose status is not pending (a pending record is
	// never deleted), in ascending (ExpiresAt, CommandID) order, and
	// reports how many it deleted and whether more such records remain.
	// limit is 1 to MaxListLimit.
	DeleteExpiredCommands(ctx context.Context, before time.Time, limit int) (deleted int, more bool, err error)

	// PutCorrelation stores c when the command has no correlation record.
	// Otherwise it appends to the stored record's EventIDs those of c's it
	// does not hold yet, in c's order, and keeps every other stored field.
	PutCorrelation(ctx context.Context, c CorrelationRecord) error
	// GetCorrelation returns the correlation record of a command id, or
	// false.
	GetCorrelation(ctx context.Context, commandID string) (CorrelationRecord, bool, error)
	// CorrelationsByContext returns at most limit correlation records of
	// boundedContext ("": the records without one) whose CreatedAt is at or after since, in ascending
	// (CreatedAt, CommandID) order. limit is 1 to MaxListLimit.
	CorrelationsByContext(ctx context.Context, boundedContext string, since time.Time, limit int) ([]CorrelationRecord, error)
	// DeleteExpiredCorrelations deletes at most limit correlation records
	// whose ExpiresAt is before before, in ascending (ExpiresAt, CommandID)
	// order, and reports how many it deleted and whether more remain.
	// limit is 1 to MaxListLimit.
	DeleteExpiredCorrelations(ctx context.Context, before time.Time, limit int) (deleted int, more bool, err error)
}

// CommandsCollection and CorrelationsCollection name the command log's two
// record kinds in errors (the Collection of an *es.VersionConflictError).
const (
	CommandsCollection     = "commands"
	CorrelationsCollection = "command-event-correlations"
)

// Command statuses (spec §6 rule 9): a record starts pending (or is
// inserted already final) and is completed once.
const (
	CommandPending  = "pending"
	CommandExecuted = "executed"
	CommandRejected = "rejected"
	CommandFailed   = "failed"
)

// MaxCommandIDBytes bounds command, correlation, causation, user and event
// ids in the command log (command.MaxIDBytes is this bound).
const MaxCommandIDBytes = 100

// MaxCorrelationEvents bounds the event ids of one correlation record.
const MaxCorrelationEvents = 10 * es.MaxEventsPerAppend

// CorrelationCursor returns the canonical correlation cursor of a command
// accepted at ts: "<ts in Unix milliseconds, left-padded with zeros to 16
// digits>:<commandID>", so that byte order is time order, then id order.
func CorrelationCursor(ts time.Time, commandID string) string {
	var a [128]byte
	return string(AppendCorrelationCursor(a[:0], ts, commandID))
}

// AppendCorrelationCursor appends CorrelationCursor(ts, commandID) to dst.
func AppendCorrelationCursor(dst []byte, ts time.Time, commandID string) []byte {
	ms := ts.UnixMilli()
	u, width := uint64(ms), 16
	if ms < 0 {
		dst = append(dst, '-')
		u, width = uint64(-ms), 15 // -math.MinInt64 converts to 1<<63, its magnitude
	}
	var buf [20]byte
	digits := strconv.AppendUint(buf[:0], u, 10)
	for n := len(digits); n < width; n++ {
		dst = append(dst, '0')
	}
	dst = append(append(dst, digits...), ':')
	return append(dst, commandID...)
}

// CommandRecord is one command log record.
type CommandRecord struct {
	CommandID     string
	CommandType   string
	TargetContext string
	// Payload is the command's arguments, valid JSON of at most
	// es.MaxPayloadBytes.
	Payload       json.RawMessage
	UserID        string
	CorrelationID string
	CausationID   string
	// Timestamp is when the command was accepted.
	Timestamp time.Time
	// CorrelationCursor orders a correlation id's commands
	// (CommandsByCorrelation). Empty stands for the canonical cursor,
	// CorrelationCursor(Timestamp, CommandID), which the adapter stores
	// and reads back in its place (commandbus always leaves it empty).
	CorrelationCursor string
	// Status is CommandPending or a final status.
	Status string
	// Result is the completion's result, valid JSON of at most
	// es.MaxPayloadBytes, or nil.
	Result json.RawMessage
	// ExecutedAt is when the command completed (zero while pending).
	ExecutedAt time.Time
	TTL        time.Duration
	ExpiresAt  time.Time
}

// CorrelationRecord records which events a command produced.
type CorrelationRecord struct {
	CommandID string
	// EventIDs holds no repeats and no empty id.
	EventIDs       []string
	CommandType    string
	BoundedContext string
	CreatedAt      time.Time
	TTL            time.Duration
	ExpiresAt      time.Time
}

// CommandExists is the error of an insert whose command id is taken.
func CommandExists(commandID string) error {
	return &es.VersionConflictError{Collection: CommandsCollection, Key: commandID, Expected: 0, Actual: 1}
}

// FinalCommandStatus reports whether status is executed, rejected or
// failed.
func FinalCommandStatus(status string) bool {
	return status == CommandExecuted || status == CommandRejected || status == CommandFailed
}

// ValidateCommandID checks a command or correlation id (what names it in
// the error): a valid name (es.ValidateName) of at most MaxCommandIDBytes.
func ValidateCommandID(what, id string) error {
	if err := es.ValidateName(es.CodeInvalidArgument, what, id); err != nil {
		return err
	}
	if len(id) > MaxCommandIDBytes {
		return es.Errorf(es.CodeInvalidArgument, "%s is %d bytes long; at most %d", what, len(id), MaxCommandIDBytes)
	}
	return nil
}

// ValidateCommandRecord checks a record for InsertCommand.
func ValidateCommandRecord(r CommandRecord) error {
	if err := ValidateCommandID("commandId", r.CommandID); err != nil {
		return err
	}
	if err := es.ValidateName(es.CodeInvalidArgument, "commandType", r.CommandType); err != nil {
		return err
	}
	if err := ValidateCommandID("correlationId", r.CorrelationID); err != nil {
		return err
	}
	if err := validateOptionalName("targetContext", r.TargetContext); err != nil {
		return err
	}
	if err := validateOptionalID("userId", r.UserID); err != nil {
		return err
	}
	if err := validateOptionalID("causationId", r.CausationID); err != nil {
		return err
	}
	if len(r.Payload) > es.MaxPayloadBytes {
		return es.Errorf(es.CodePayloadTooLarge, "recordCommand.payload is %d bytes; at most %d", len(r.Payload), es.MaxPayloadBytes)
	}
	if !es.ValidJSON(r.Payload) {
		return es.Errorf(es.CodeInvalidArgument, "recordCommand.payload is not valid JSON")
	}
	if r.CorrelationCursor != "" {
		if err := es.ValidateName(es.CodeInvalidArgument, "correlationCursor", r.CorrelationCursor); err != nil {
			return err
		}
	}
	switch {
	case r.Status == CommandPending:
		if len(r.Result) > 0 || !r.ExecutedAt.IsZero() {
			return es.Errorf(es.CodeInvalidArgument, "command %q: a pending record has no result and no executedAt", r.CommandID)
		}
	case FinalCommandStatus(r.Status):
		if err := validateCommandResult(r.CommandID, r.Result); err != nil {
			return err
		}
	default:
		return es.Errorf(es.CodeInvalidArgument, "command %q: status %q is not pending, executed, rejected or failed", r.CommandID, r.Status)
	}
	if r.TTL < 0 {
		return es.Errorf(es.CodeInvalidArgument, "ttl %s is negative", r.TTL)
	}
	return nil
}

// ValidateCommandInsert checks the arguments of InsertCommand: the record,
// and the correlation record when there is one, which must be the same
// command's.
func ValidateCommandInsert(r CommandRecord, corr *CorrelationRecord) error {
	if err := ValidateCommandRecord(r); err != nil {
		return err
	}
	if corr == nil {
		return nil
	}
	if err := ValidateCorrelationRecord(*corr); err != nil {
		return err
	}
	if corr.CommandID != r.CommandID {
		return es.Errorf(es.CodeInvalidArgument, "command %q: its correlation record is for command %q", r.CommandID, corr.CommandID)
	}
	return nil
}

// ValidateCommandsByCorrelation checks the arguments of
// CommandsByCorrelation: a valid correlation id, an after cursor that is
// empty or valid UTF-8 without control characters, and a limit of 1 to
// MaxListLimit.
func ValidateCommandsByCorrelation(correlationID, after string, limit int) error {
	if err := ValidateCommandID("correlationId", correlationID); err != nil {
		return err
	}
	if err := validateOptionalName("cursor", after); err != nil {
		return err
	}
	return ValidateCommandLogLimit(limit)
}

// ValidateCorrelationsByContext checks the arguments of
// CorrelationsByContext: a bounded context that is empty (the records
// without one) or a valid name, and a limit of 1 to MaxListLimit.
func ValidateCorrelationsByContext(boundedContext string, limit int) error {
	if err := validateOptionalName("boundedContext", boundedContext); err != nil {
		return err
	}
	return ValidateCommandLogLimit(limit)
}

// ValidateCommandCompletion checks the arguments of CompleteCommand.
func ValidateCommandCompletion(commandID, status string, result json.RawMessage) error {
	if err := ValidateCommandID("commandId", commandID); err != nil {
		return err
	}
	if !FinalCommandStatus(status) {
		return es.Errorf(es.CodeInvalidArgument, "command %q: completion status %q is not executed, rejected or failed", commandID, status)
	}
	return validateCommandResult(commandID, result)
}

func validateCommandResult(commandID string, result json.RawMessage) error {
	if len(result) > es.MaxPayloadBytes {
		return es.Errorf(es.CodePayloadTooLarge, "updateCommandResult.result is %d bytes; at most %d", len(result), es.MaxPayloadBytes)
	}
	if len(result) > 0 && !es.ValidJSON(result) {
		return es.Errorf(es.CodeInvalidArgument, "command %q: result is not valid JSON", commandID)
	}
	return nil
}

// ValidateCorrelationRecord checks a record for PutCorrelation (and the
// corr of InsertCommand).
func ValidateCorrelationRecord(c CorrelationRecord) error {
	if err := ValidateCommandID("commandId", c.CommandID); err != nil {
		return err
	}
	if err := validateOptionalName("commandType", c.CommandType); err != nil {
		return err
	}
	if err := validateOptionalName("boundedContext", c.BoundedContext); err != nil {
		return err
	}
	if len(c.EventIDs) > MaxCorrelationEvents {
		return es.Errorf(es.CodeInvalidArgument, "correlation %q: %d event ids; at most %d", c.CommandID, len(c.EventIDs), MaxCorrelationEvents)
	}
	// A command's few ids are compared pairwise; a long list (up to
	// MaxCorrelationEvents) through a set.
	var seen map[string]struct{}
	if len(c.EventIDs) > 16 {
		seen = make(map[string]struct{}, len(c.EventIDs))
	}
	for i, id := range c.EventIDs {
		if err := ValidateCommandID("eventId", id); err != nil {
			return err
		}
		repeated := false
		if seen != nil {
			_, repeated = seen[id]
			seen[id] = struct{}{}
		} else {
			repeated = slices.Contains(c.EventIDs[:i], id)
		}
		if repeated {
			return es.Errorf(es.CodeInvalidArgument, "correlation %q: event id %q is repeated", c.CommandID, id)
		}
	}
	if c.TTL < 0 {
		return es.Errorf(es.CodeInvalidArgument, "ttl %s is negative", c.TTL)
	}
	return nil
}

// validateOptionalName checks a name that may be empty.
func validateOptionalName(what, s string) error {
	if s == "" {
		return nil
	}
	return es.ValidateName(es.CodeInvalidArgument, what, s)
}

// validateOptionalID checks an id that may be empty.
func validateOptionalID(what, id string) error {
	if id == "" {
		return nil
	}
	return ValidateCommandID(what, id)
}

// ValidateCommandLogLimit checks the limit of a listing or a deletion.
func ValidateCommandLogLimit(limit int) error {
	if limit < 1 || limit > MaxListLimit {
		return es.Errorf(es.CodeInvalidArgument, "limit %d is out of range 1..%d", limit, MaxListLimit)
	}
	return nil
}
