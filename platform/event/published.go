package event

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/eventspec/eventspec/es"
)

// Published is an event as an event bus publishes it (spec §21's
// PublishedEvent): the appended event with where and when it landed and its
// correlation.
type Published struct {
	EventID        string          `json:"eventId"`
	EventType      string          `json:"eventType"`
	StreamType     string          `json:"streamType"`
	StreamID       string          `json:"streamId"`
	Category       Category        `json:"category"`
	SchemaVersion  int             `json:"schemaVersion"`
	BoundedContext string          `json:"boundedContext"`
	GlobalPosition es.Position     `json:"globalPosition"`
	Timestamp      time.Time       `json:"timestamp"`
	Payload        json.RawMessage `json:"payload"`
	Correlation    PublishedChain  `json:"correlation"`
}

// PublishedChain is the correlation a published event carries.
type PublishedChain struct {
	CorrelationID string `json:"correlationId"`
	CausationID   string `json:"causationId"`
	UserID        string `json:"userId,omitempty"`
}

// NewPublished describes e, appended to stream at position pos by a command
// of bounded context bc, as published at now. The stream type and id are
// the event's ExtraStreamType and the rest of the stream id when the
// builder stamped it, else the stream id split at its first '-'
// ("Order-o1": type Order, id o1; a stream id without '-' is all id). The
// category and schema version are the event's (normalized: domain and 1
// when unset), the user id its ExtraUserID.
func NewPublished(e es.Event, stream es.StreamID, pos es.Position, bc string, now time.Time) Published {
	typ, id := splitStream(string(stream), e.Metadata.Extra[ExtraStreamType])
	return Published{
		EventID: e.Metadata.EventID, EventType: e.Type, StreamType: typ, StreamID: id,
		Category: NormalizeCategory(e.Metadata.Category), SchemaVersion: NormalizeSchemaVersion(e.Metadata.SchemaVersion),
		BoundedContext: bc, GlobalPosition: pos, Timestamp: now, Payload: e.Data,
		Correlation: PublishedChain{CorrelationID: e.Metadata.CorrelationID, CausationID: e.Metadata.CausationID, UserID: e.Metadata.Extra[ExtraUserID]},
	}
}

// splitStream splits stream into its type and id: after the known type
// streamType when the stream starts with it and a '-', else at the first
// '-'.
func splitStream(stream, streamType string) (string, string) {
	if streamType != "" && strings.HasPrefix(stream, streamType+"-") {
		return streamType, stream[len(streamType)+1:]
	}
	typ, id, ok := strings.Cut(stream, "-")
	if !ok {
		return "", stream
	}
	return typ, id
}
