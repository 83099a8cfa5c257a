package query

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"unicode/utf8"

	"github.com/eventspec/eventspec/es"
)

// CodeInvalidCursor is the error code of a cursor that does not decode, or
// belongs to another query.
const CodeInvalidCursor es.Code = "INVALID_CURSOR"

// EncodeCursor renders v as an opaque cursor: its JSON, base64-encoded
// with the URL-safe alphabet ('-', '_') and '=' padding. A value that does
// not encode is INVALID_ARGUMENT.
func EncodeCursor(v any) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", es.Wrap(es.CodeInvalidArgument, err, "query: cursor value does not encode")
	}
	return base64.URLEncoding.EncodeToString(bytes.TrimRight(buf.Bytes(), "\n")), nil
}

// DecodeCursor decodes a cursor made by EncodeCursor into T. It returns
// false for an empty string, bad base64 (wrong length, or any character
// outside the URL-safe alphabet and padding — '+' and '/' included),
// invalid UTF-8, invalid JSON, trailing data, or JSON that does not fit T
// (wrong types, or unknown fields when T is a struct).
func DecodeCursor[T any](s string) (T, bool) {
	var zero T
	if s == "" {
		return zero, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '=') {
			return zero, false
		}
	}
	raw, err := base64.URLEncoding.Strict().DecodeString(s)
	if err != nil || !utf8.Valid(raw) {
		return zero, false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var v T
	if err := dec.Decode(&v); err != nil || len(bytes.TrimSpace(raw[dec.InputOffset():])) > 0 {
		return zero, false
	}
	return v, true
}
