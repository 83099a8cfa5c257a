package es

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"
)

// CanonicalJSON re-encodes raw JSON with object keys sorted recursively, no
// insignificant whitespace and numbers kept exactly as written. Two JSON
// texts that differ only in key order or spacing have the same canonical
// form.
func CanonicalJSON(raw []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, Wrap(CodeInvalidArgument, err, "not valid JSON")
	}
	if dec.More() {
		return nil, Errorf(CodeInvalidArgument, "not valid JSON: trailing data")
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil { // maps encode with sorted keys
		return nil, Wrap(CodeInternal, err, "encoding canonical JSON")
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// Fingerprint is the default idempotency fingerprint of an append: a
// SHA-256 over the stream and, per event, the type, the canonical JSON of
// the data, the tags (as a set), the category and the schema version. Event ids,
// correlation and causation ids are not part of it, so a retried request
// with fresh ids still matches.
func Fingerprint(r AppendRequest) (string, error) {
	h := sha256.New()
	write := func(s string) {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	write(string(r.Stream))
	for i, e := range r.Events {
		data, err := CanonicalJSON(e.Data)
		if err != nil {
			return "", Wrap(CodeInvalidEvent, err, "events[%d].data", i)
		}
		write(e.Type)
		h.Write(data)
		h.Write([]byte{0})
		tags := make([]string, len(e.Tags))
		for j, t := range e.Tags {
			tags[j] = string(t)
		}
		sort.Strings(tags) // tags are a set
		for _, t := range tags {
			write(t)
		}
		cat := e.Metadata.Category
		if cat == "" {
			cat = DefaultCategory
		}
		sv := e.Metadata.SchemaVersion
		if sv == 0 {
			sv = DefaultSchemaVersion
		}
		write(cat)
		h.Write([]byte{byte(sv >> 24), byte(sv >> 16), byte(sv >> 8), byte(sv)})
		h.Write([]byte{1})
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
