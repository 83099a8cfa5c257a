package es

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// checkName validates an identifier-like string: non-empty, at most
// MaxNameBytes, valid UTF-8, no control characters (NUL included).
func checkName(s string) error {
	if s == "" {
		return fmt.Errorf("is empty")
	}
	if len(s) > MaxNameBytes {
		return fmt.Errorf("is %d bytes long; at most %d", len(s), MaxNameBytes)
	}
	if PrintableASCII(s) { // the common case, decided without decoding runes
		return nil
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%s is not valid UTF-8", quote(s))
	}
	for i, r := range s {
		if unicode.IsControl(r) {
			return fmt.Errorf("%s has a control character at byte %d", quote(s), i)
		}
	}
	return nil
}

// PrintableASCII reports whether every byte of s is printable ASCII (0x20
// to 0x7e), which makes s valid UTF-8 free of control characters. Names and
// ids are checked on every command, so it tests 8 bytes at a time.
func PrintableASCII(s string) bool {
	if len(s) < 8 {
		for i := 0; i < len(s); i++ {
			if c := s[i]; c < 0x20 || c >= 0x7f {
				return false
			}
		}
		return true
	}
	var m uint64
	for i := 0; i+8 <= len(s); i += 8 {
		m |= notPrintable(load64(s, i))
	}
	// The last len(s)%8 bytes: test the last 8 bytes of s, overlapping
	// bytes already tested.
	return m|notPrintable(load64(s, len(s)-8)) == 0
}

// quote renders s for an error message, shortened when long.
func quote(s string) string {
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return strconv.Quote(s)
}

// ValidateName checks an identifier used by the store (a collection name,
// document key or job kind): non-empty, at most MaxNameBytes, valid UTF-8,
// no control characters. what names the argument in the error.
func ValidateName(code Code, what, s string) error {
	if err := checkName(s); err != nil {
		return Errorf(code, "%s %s", what, err)
	}
	return nil
}

// ValidateStreamID reports INVALID_STREAM_ID unless id is non-empty, at most
// MaxNameBytes, valid UTF-8 and free of control characters.
func ValidateStreamID(id StreamID) error {
	if err := checkName(string(id)); err != nil {
		return Errorf(CodeInvalidStreamID, "stream id %s", err)
	}
	return nil
}

// ValidateEvent checks one event of an append; index names it in errors.
// The type must be a valid name; data must be valid JSON of at most
// MaxPayloadBytes; tags must be valid, unique and at most MaxTagsPerEvent;
// metadata encoded as JSON must be at most MaxPayloadBytes; every metadata
// string (event id, correlation id, causation id, category, extra keys and
// values) must be valid UTF-8 without NUL bytes.
func ValidateEvent(e Event, index int) error {
	if err := checkName(e.Type); err != nil {
		return Errorf(CodeInvalidEvent, "events[%d].type %s", index, err)
	}
	if len(e.Data) == 0 {
		return Errorf(CodeInvalidEvent, "events[%d].data is empty (use null or {} for no data)", index)
	}
	if len(e.Data) > MaxPayloadBytes {
		return Errorf(CodePayloadTooLarge, "events[%d].data is %d bytes; at most %d", index, len(e.Data), MaxPayloadBytes)
	}
	if !ValidJSON(e.Data) {
		return Errorf(CodeInvalidEvent, "events[%d].data is not valid JSON", index)
	}
	if len(e.Tags) > MaxTagsPerEvent {
		return Errorf(CodeInvalidTag, "events[%d] has %d tags; at most %d", index, len(e.Tags), MaxTagsPerEvent)
	}
	for j, t := range e.Tags {
		if err := checkName(string(t)); err != nil {
			return Errorf(CodeInvalidTag, "events[%d].tags[%d] %s", index, j, err)
		}
		for _, u := range e.Tags[:j] {
			if u == t {
				return Errorf(CodeInvalidTag, "events[%d] has duplicate tag %s", index, quote(string(t)))
			}
		}
	}
	if err := validateMetadata(e.Metadata, index); err != nil {
		return err
	}
	return nil
}

func validateMetadata(m Metadata, index int) error {
	if m.SchemaVersion < 0 {
		return Errorf(CodeInvalidEvent, "events[%d].metadata.schemaVersion %d is negative", index, m.SchemaVersion)
	}
	size := len(m.EventID) + len(m.CorrelationID) + len(m.CausationID) + len(m.Category)
	for k, v := range m.Extra {
		size += len(k) + len(v)
	}
	// JSON encoding turns a string byte into at most 6 bytes (a \u00XX
	// escape) and adds quotes, a colon and a comma per extra entry, around
	// fixed field names of under 128 bytes. Only when that bound exceeds
	// the limit is the exact size worth computing.
	if 6*size+6*len(m.Extra)+128 > MaxPayloadBytes {
		raw, err := json.Marshal(m)
		if err != nil {
			return Wrap(CodeInvalidEvent, err, "events[%d].metadata", index)
		}
		if len(raw) > MaxPayloadBytes {
			return Errorf(CodePayloadTooLarge, "events[%d].metadata is %d bytes of JSON; at most %d", index, len(raw), MaxPayloadBytes)
		}
	}
	for _, f := range [...]struct{ name, v string }{
		{"eventId", m.EventID}, {"correlationId", m.CorrelationID}, {"causationId", m.CausationID}, {"category", m.Category},
	} {
		if len(f.v) > MaxNameBytes {
			return Errorf(CodeInvalidEvent, "events[%d].metadata field %s is longer than %d bytes", index, quote(f.v), MaxNameBytes)
		}
		if err := checkText(f.v); err != nil {
			return Errorf(CodeInvalidEvent, "events[%d].metadata.%s %s", index, f.name, err)
		}
	}
	if len(m.Extra) > 0 {
		return validateExtra(m.Extra, index)
	}
	return nil
}

// validateExtra checks every key and value of metadata.extra with
// checkText. When several entries are bad, the one with the smallest key
// is reported, so the message does not depend on map order.
func validateExtra(extra map[string]string, index int) error {
	bad, found := "", false
	for k, v := range extra {
		if checkText(k) == nil && checkText(v) == nil {
			continue
		}
		if !found || k < bad {
			bad, found = k, true
		}
	}
	if !found {
		return nil
	}
	if err := checkText(bad); err != nil {
		return Errorf(CodeInvalidEvent, "events[%d].metadata.extra key %s %s", index, quote(bad), err)
	}
	return Errorf(CodeInvalidEvent, "events[%d].metadata.extra[%s] %s", index, quote(bad), checkText(extra[bad]))
}

// checkText reports why s cannot be a metadata string — it is not valid
// UTF-8 or it contains a NUL byte — or nil. Other control characters are
// allowed. Storage engines keep metadata as text, and text columns (such
// as PostgreSQL's) cannot hold either.
func checkText(s string) error {
	if PrintableASCII(s) { // the common case, decided without decoding runes
		return nil
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("is not valid UTF-8")
	}
	if i := strings.IndexByte(s, 0); i >= 0 {
		return fmt.Errorf("contains a NUL byte (at byte %d)", i)
	}
	return nil
}

// validateEventIDs reports INVALID_EVENT when two events of one append
// carry the same explicit event id (event ids are unique in the log, so
// such an append could never be stored). Events without an id are skipped:
// the store mints theirs.
func validateEventIDs(events []Event) error {
	if len(events) < 2 {
		return nil
	}
	if len(events) <= 16 { // small appends: compare pairs, allocating nothing
		for i := 1; i < len(events); i++ {
			id := events[i].Metadata.EventID
			if id == "" {
				continue
			}
			for j := 0; j < i; j++ {
				if events[j].Metadata.EventID == id {
					return duplicateEventID(id, j, i)
				}
			}
		}
		return nil
	}
	var seen map[string]int
	for i := range events {
		id := events[i].Metadata.EventID
		if id == "" {
			continue
		}
		if j, ok := seen[id]; ok {
			return duplicateEventID(id, j, i)
		}
		if seen == nil {
			seen = make(map[string]int, len(events))
		}
		seen[id] = i
	}
	return nil
}

func duplicateEventID(id string, first, again int) error {
	return Errorf(CodeInvalidEvent, "events[%d].metadata.eventId %s repeats events[%d].metadata.eventId; event ids are unique", again, quote(id), first)
}

// ValidateLimit returns def for limit 0, limit itself when 0 < limit <= max,
// max when limit > max, and INVALID_ARGUMENT for a negative limit.
func ValidateLimit(limit, def, max int) (int, error) {
	switch {
	case limit < 0:
		return 0, Errorf(CodeInvalidArgument, "limit %d is negative", limit)
	case limit == 0:
		return def, nil
	case limit > max:
		return max, nil
	}
	return limit, nil
}

// WithDefaults returns e with the store's defaults filled in: the event id
// from ids when empty, DefaultCategory and DefaultSchemaVersion. Adapters
// call AppendRequest.WithDefaults on every event they record, which mints
// from the request's id source when it names one and then calls this.
func WithDefaults(e Event, ids IDs) Event {
	if e.Metadata.EventID == "" {
		e.Metadata.EventID = ids.NewID()
	}
	if e.Metadata.Category == "" {
		e.Metadata.Category = DefaultCategory
	}
	if e.Metadata.SchemaVersion == 0 {
		e.Metadata.SchemaVersion = DefaultSchemaVersion
	}
	return e
}
