package es

import (
	"encoding/json"
	"strconv"
	"time"
)

// The JSONAppend helpers write JSON values onto a byte slice with exactly
// the bytes encoding/json.Marshal produces for them (HTML-safe escaping
// included), without reflection. Hot paths that store fixed-shape records
// (the command log, command-model state documents) use them in place of
// json.Marshal; the uncommon inputs (strings needing escapes, raw JSON that
// is not already compact) go through encoding/json itself, so the output
// never differs.

// AppendJSONString appends s as a JSON string, as json.Marshal(s) would.
func AppendJSONString(dst []byte, s string) []byte {
	if !jsonPlainString(s) {
		b, _ := json.Marshal(s) // a string always encodes
		return append(dst, b...)
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// jsonPlain reports whether encoding/json writes c unchanged inside a
// string: printable ASCII other than '"', '\\' and the HTML-escaped '<',
// '>' and '&'.
func jsonPlain(c byte) bool {
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
}

// AppendJSONRaw appends raw JSON as json.Marshal(json.RawMessage(raw))
// would: compacted and HTML-escaped, INVALID_ARGUMENT when raw is not valid
// JSON. Empty raw is written as null, as encoding/json does for a nil
// RawMessage.
func AppendJSONRaw(dst []byte, raw []byte) ([]byte, error) {
	if len(raw) == 0 {
		return append(dst, "null"...), nil
	}
	valid, verbatim := scanJSON(raw, true) // one pass for both
	if !valid {
		return dst, Errorf(CodeInvalidArgument, "raw JSON value is not valid JSON")
	}
	if !verbatim {
		b, err := json.Marshal(json.RawMessage(raw))
		if err != nil {
			return dst, Wrap(CodeInvalidArgument, err, "raw JSON value does not encode")
		}
		return append(dst, b...), nil
	}
	return append(dst, raw...), nil
}

// AppendJSONTime appends t as time.Time's MarshalJSON would (RFC 3339 with
// nanoseconds, quoted); INVALID_ARGUMENT where MarshalJSON fails too (a
// year outside [0, 9999], a zone offset of 24 hours or more).
func AppendJSONTime(dst []byte, t time.Time) ([]byte, error) {
	out, err := t.AppendText(append(dst, '"'))
	if err != nil { // AppendText returns no bytes then
		return dst, Wrap(CodeInvalidArgument, err, "time has no JSON form")
	}
	return append(out, '"'), nil
}

// AppendJSONInt appends n as a JSON number.
func AppendJSONInt(dst []byte, n int64) []byte { return strconv.AppendInt(dst, n, 10) }
