package upcast

import (
	"bytes"
	"encoding/json"

	"github.com/eventspec/eventspec/es"
)

// payload decodes an event's data as a JSON object, keeping numbers exact.
func payload(r es.Recorded) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(r.Data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, errorf(CodeInvalidEvent, eventContext(r, nil), "event %s data is not a JSON object", r.Type)
	}
	return m, nil
}

func withPayload(r es.Recorded, m map[string]any, next int) (es.Recorded, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return es.Recorded{}, errorf(CodeInvalidEvent, eventContext(r, nil), "event %s: migrated data does not encode: %v", r.Type, err)
	}
	r.Data = bytes.TrimRight(buf.Bytes(), "\n")
	r.Metadata.SchemaVersion = next
	return r, nil
}

// AddField is a migration that sets payload field to value and the schema
// version to next (addFieldMigration with a constant). The payload must be
// a JSON object (INVALID_EVENT otherwise); other fields are kept.
func AddField(field string, value any, next int) Migration {
	return AddFieldFunc(field, func(es.Recorded) any { return value }, next)
}

// AddFieldFunc is AddField with a value computed from the whole event, e.g.
// from its RecordedAt or metadata.
func AddFieldFunc(field string, value func(es.Recorded) any, next int) Migration {
	return func(r es.Recorded) (es.Recorded, error) {
		m, err := payload(r)
		if err != nil {
			return es.Recorded{}, err
		}
		m[field] = value(r)
		return withPayload(r, m, next)
	}
}

// RenameField is a migration that moves payload field old to new (an
// absent old field gives new the value null), removes old, and sets the
// schema version to next.
func RenameField(old, new string, next int) Migration {
	return func(r es.Recorded) (es.Recorded, error) {
		m, err := payload(r)
		if err != nil {
			return es.Recorded{}, err
		}
		v := m[old]
		delete(m, old)
		m[new] = v
		return withPayload(r, m, next)
	}
}

// RemoveField is a migration that deletes payload field and sets the schema
// version to next.
func RemoveField(field string, next int) Migration {
	return func(r es.Recorded) (es.Recorded, error) {
		m, err := payload(r)
		if err != nil {
			return es.Recorded{}, err
		}
		delete(m, field)
		return withPayload(r, m, next)
	}
}
