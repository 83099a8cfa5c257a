package es

// Limits on appends (DESIGN.md "Appends").
const (
	// MaxEventsPerAppend is the largest number of events one append holds.
	MaxEventsPerAppend = 100
	// MaxPayloadBytes bounds each event's data, and separately its metadata
	// encoded as JSON.
	MaxPayloadBytes = 64 * 1024
	// MaxNameBytes bounds stream ids, event types, tags, idempotency keys,
	// collection names, document keys and job kinds.
	MaxNameBytes = 256
	// MaxTagsPerEvent bounds the tags one event carries.
	MaxTagsPerEvent = 64
)

// Idempotency makes an append safe to retry. Keys are unique across the
// whole store. A second append with the same key and the same fingerprint
// returns the first append's result and writes nothing; the same key with
// a different fingerprint fails with IDEMPOTENCY_CONFLICT and is audited.
// An empty Fingerprint is computed by Fingerprint(request).
type Idempotency struct {
	Key         string
	Fingerprint string
}

// AppendRequest is one atomic append.
//
// With a Stream, Expected is checked against the stream's version (the zero
// value is Any) and the events get consecutive stream versions. Without a
// Stream the events belong to no stream (a pure DCB append) and Expected
// must be Any. A Condition, when set, is checked against the whole log in
// the same atomic step.
type AppendRequest struct {
	Stream      StreamID
	Expected    ExpectedVersion
	Condition   *AppendCondition
	Idempotency *Idempotency
	Events      []Event
	// IDs, when set, mints the ids of the events that have none, in event
	// order, as IDPrefix + IDs.NewID(), instead of the store's own id
	// source (see WithDefaults). The orchestrator mints its
	// "<context>_event_<uuid>" ids this way: the ids are those it would
	// mint itself, and the store, which checks explicit ids against every
	// id in the log, need not do so for ids a source has just minted.
	// IDPrefix without IDs is INVALID_ARGUMENT.
	IDs      IDs
	IDPrefix string
}

// MaxIDPrefixBytes bounds AppendRequest.IDPrefix, so that a minted id
// (the prefix and a 36-byte UUID, or whatever the source mints) stays a
// valid metadata string.
const MaxIDPrefixBytes = 128

// WithDefaults returns e with the store's defaults filled in (the
// package-level WithDefaults), minting a missing event id from r.IDs with
// r.IDPrefix when r.IDs is set, else from storeIDs. Adapters call it on
// every event they record.
func (r AppendRequest) WithDefaults(e Event, storeIDs IDs) Event {
	if e.Metadata.EventID == "" && r.IDs != nil {
		e.Metadata.EventID = NewPrefixedID(r.IDs, r.IDPrefix)
	}
	return WithDefaults(e, storeIDs)
}

// AppendResult reports where an append's events landed. When Duplicate is
// true the request repeated an earlier idempotent append and this is that
// append's result; nothing new was written.
type AppendResult struct {
	Stream    StreamID   `json:"stream,omitempty"`
	EventIDs  []string   `json:"eventIds"`
	Positions []Position `json:"positions"`
	// Version is the stream's version after the append (0 without a stream).
	Version   Version `json:"version"`
	Duplicate bool    `json:"duplicate,omitempty"`
}

// LastPosition is the position of the append's last event.
func (r AppendResult) LastPosition() Position {
	if len(r.Positions) == 0 {
		return 0
	}
	return r.Positions[len(r.Positions)-1]
}

// Validate checks everything about r that does not need the store: stream
// id, expected version, condition, idempotency key, event count, every
// event, and that no two events carry the same explicit event id.
// Adapters call it before touching storage so bad input never leaves
// partial writes.
func (r AppendRequest) Validate() error {
	if r.Stream != "" || !r.Expected.IsAny() {
		if err := ValidateStreamID(r.Stream); err != nil {
			return err
		}
	}
	if err := r.Expected.Validate(); err != nil {
		return err
	}
	if r.Condition != nil {
		if err := r.Condition.Validate(); err != nil {
			return err
		}
	}
	if r.Idempotency != nil {
		if err := checkName(r.Idempotency.Key); err != nil {
			return Errorf(CodeInvalidArgument, "idempotency key: %s", err)
		}
	}
	if r.IDPrefix != "" {
		if r.IDs == nil {
			return Errorf(CodeInvalidArgument, "append to %s: an id prefix %s without an id source", r.target(), quote(r.IDPrefix))
		}
		if len(r.IDPrefix) > MaxIDPrefixBytes {
			return Errorf(CodeInvalidArgument, "append to %s: id prefix is %d bytes long; at most %d", r.target(), len(r.IDPrefix), MaxIDPrefixBytes)
		}
		if err := checkText(r.IDPrefix); err != nil {
			return Errorf(CodeInvalidArgument, "append to %s: id prefix %s", r.target(), err)
		}
	}
	switch n := len(r.Events); {
	case n == 0:
		return Errorf(CodeEmptyAppend, "append to %s holds no events", r.target())
	case n > MaxEventsPerAppend:
		return Errorf(CodeTooManyEvents, "append to %s holds %d events; at most %d per append", r.target(), n, MaxEventsPerAppend)
	}
	for i := range r.Events {
		if err := ValidateEvent(r.Events[i], i); err != nil {
			return err
		}
	}
	return validateEventIDs(r.Events)
}

func (r AppendRequest) target() string {
	if r.Stream == "" {
		return "the log"
	}
	return "stream " + quote(string(r.Stream))
}
