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
