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
	for i := 0; i < len(s); i++ {
		if !jsonPlain(s[i]) {
			b, _ := json.Marshal(s) // a string always encodes
			return append(dst, b...)
		}
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
	if !ValidJSON(raw) {
		return dst, Errorf(CodeInvalidArgument, "raw JSON value is not valid JSON")
	}
	if !jsonVerbatim(raw) {
		b, err := json.Marshal(json.RawMessage(raw))
		if err != nil {
			return dst, Wrap(CodeInvalidArgument, err, "raw JSON value does not encode")
		}
		return append(dst, b...), nil
	}
	return append(dst, raw...), nil
}

// jsonVerbatim reports whether valid JSON raw is already what
// encoding/json's compact-and-escape pass would produce: no whitespace
// outside strings, no '<', '>' or '&', no U+2028 or U+2029.
func jsonVerbatim(raw []byte) bool {
	in := false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '<' || c == '>' || c == '&':
			return false
		case c == 0xE2 && i+2 < len(raw) && raw[i+1] == 0x80 && (raw[i+2] == 0xA8 || raw[i+2] == 0xA9):
			return false
		case in:
			switch c {
			case '\\':
				i++ // the escaped byte cannot end the string
			case '"':
				in = false
			}
		case c == '"':
			in = true
		case isJSONSpace(c):
			return false
		}
	}
	return true
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
