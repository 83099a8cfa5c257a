package orchestrator

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"github.com/eventspec/eventspec/es"
)

// Every command reads its aggregate id from the payload and loads and
// stores one CMS document, so these run without encoding/json's
// reflection in the common case. Each fast path gives up (ok false) on
// anything it does not handle exactly like encoding/json — escapes, other
// layouts — and the caller then takes the encoding/json path.

// topLevelString finds the last member named field of the JSON object
// data (encoding/json's map decoding keeps the last duplicate) and returns
// its value when it is a string, as the bytes between the quotes (a view
// of data). ok is false when the fast path cannot answer: data is not a
// valid object, a key or the value has escapes, or the value is not a
// string.
func topLevelString(data []byte, field string) (val []byte, found, ok bool) {
	if !es.ValidJSON(data) {
		return nil, false, false
	}
	return validTopLevelString(data, field)
}

// validTopLevelString is topLevelString for data known to be valid JSON
// (it skips the validation). Should data not be valid after all, it
// answers ok false instead of reading out of bounds.
func validTopLevelString(data []byte, field string) (val []byte, found, ok bool) {
	defer func() {
		if recover() != nil {
			val, found, ok = nil, false, false
		}
	}()
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return nil, false, false
	}
	i++
	for {
		i = skipSpace(data, i)
		if data[i] == '}' {
			return val, found, true
		}
		if data[i] == ',' {
			i = skipSpace(data, i+1)
		}
		kStart := i + 1
		kEnd := bytes.IndexByte(data[kStart:], '"') + kStart
		if bytes.IndexByte(data[kStart:kEnd], '\\') >= 0 {
			return nil, false, false
		}
		i = skipSpace(data, kEnd+1) + 1 // past ':'
		i = skipSpace(data, i)
		if string(data[kStart:kEnd]) == field {
			if data[i] != '"' {
				return nil, false, false
			}
			vEnd := bytes.IndexByte(data[i+1:], '"') + i + 1
			if bytes.IndexByte(data[i+1:vEnd], '\\') >= 0 || !utf8.Valid(data[i+1:vEnd]) {
				return nil, false, false
			}
			val, found = data[i+1:vEnd], true
			i = vEnd + 1
			continue
		}
		i = skipValue(data, i)
	}
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the index just after the valid JSON value at i.
func skipValue(data []byte, i int) int {
	depth := 0
	for ; i < len(data); i++ {
		switch data[i] {
		case '"':
			for i++; data[i] != '"'; i++ {
				if data[i] == '\\' {
					i++
				}
			}
			if depth == 0 {
				return i + 1
			}
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return i // the end of the enclosing object
			}
			depth--
			if depth == 0 {
				return i + 1
			}
		case ',':
			if depth == 0 {
				return i
			}
		case ' ', '\t', '\n', '\r':
			if depth == 0 {
				return i
			}
		}
	}
	return i
}

// encodeCMS encodes d: json.Marshal(d)'s layout, with the state embedded
// as it is, only trimmed of surrounding space. It is not validated here:
// the store refuses a document that is not valid JSON (writeCMS then
// names the state), and a state read back is the very bytes written, so
// the decider handler's state cache recognizes it whatever its spacing.
func encodeCMS(d CMSDocument) json.RawMessage { return appendCMS(nil, d) }

// appendCMS appends encodeCMS(d) to dst.
func appendCMS(dst []byte, d CMSDocument) json.RawMessage {
	state := bytes.TrimSpace(d.State)
	b := grow(dst, 40+len(state))
	b = append(b, `{"stateVersion":`...)
	b = strconv.AppendInt(b, int64(d.StateVersion), 10)
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, d.Version, 10)
	b = append(b, `,"state":`...)
	b = append(b, state...)
	return append(b, '}')
}

// decodeCMS decodes a CMS document. Documents in encodeCMS's exact layout
// are read directly (State aliases data); anything else goes through
// encoding/json.
func decodeCMS(data []byte) (CMSDocument, error) {
	if d, ok := parseCMS(data); ok {
		return d, nil
	}
	var d CMSDocument
	err := json.Unmarshal(data, &d)
	return d, err
}

func parseCMS(data []byte) (CMSDocument, bool) {
	var d CMSDocument
	rest, ok := bytes.CutPrefix(data, []byte(`{"stateVersion":`))
	if !ok {
		return d, false
	}
	n, rest, ok := cutInt(rest, `,"version":`)
	if !ok || int64(int(n)) != n {
		return d, false
	}
	d.StateVersion = int(n)
	if d.Version, rest, ok = cutInt(rest, `,"state":`); !ok {
		return d, false
	}
	state, ok := bytes.CutSuffix(rest, []byte("}"))
	if !ok || !oneValue(state) {
		return d, false
	}
	d.State = state
	return d, true
}

// oneValue reports whether state is exactly one JSON value, with no space
// around it. The document it was cut from is one the store holds, valid
// JSON by the Documents contract, so the value's end is found without
// validating it again; should a store break the contract, oneValue still
// never reads out of bounds, and the state's decoder rejects the bytes.
func oneValue(state []byte) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	if len(state) == 0 || skipSpace(state, 0) != 0 {
		return false
	}
	return skipValue(state, 0) == len(state)
}

// cutInt reads a JSON integer (an optional minus, then digits without a
// leading zero) that fits an int64 and is followed by sep, and returns it
// and what follows sep.
func cutInt(b []byte, sep string) (int64, []byte, bool) {
	i, neg := 0, false
	if len(b) > 0 && b[0] == '-' {
		i, neg = 1, true
	}
	start := i
	var u uint64
	for ; i < len(b) && '0' <= b[i] && b[i] <= '9'; i++ {
		if u > (1<<63)/10 {
			return 0, nil, false
		}
		u = u*10 + uint64(b[i]-'0')
	}
	digits := i - start
	switch {
	case digits == 0, digits > 1 && b[start] == '0', digits > 19:
		return 0, nil, false
	case !neg && u > 1<<63-1, neg && u > 1<<63:
		return 0, nil, false
	}
	rest, ok := bytes.CutPrefix(b[i:], []byte(sep))
	if !ok {
		return 0, nil, false
	}
	n := int64(u)
	if neg {
		n = -n // -(1<<63) wraps onto itself: math.MinInt64
	}
	return n, rest, true
}
