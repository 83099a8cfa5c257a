package es

import (
	"encoding/binary"
	"math/bits"
)

// maxJSONDepth is encoding/json's nesting limit: deeper input is invalid.
const maxJSONDepth = 10000

// ValidJSON reports whether data is one valid JSON value (surrounded by
// optional whitespace). It gives exactly the answers of encoding/json.Valid
// — including its nesting limit of 10000 and its acceptance of any bytes
// from 0x20 up inside strings — several times faster, without allocating
// for nesting up to 64 levels. Validation of event data uses it, as the
// store's hot path does.
func ValidJSON(data []byte) bool {
	valid, _ := scanJSON(data, false)
	return valid
}

// scanJSON validates data exactly as encoding/json.Valid does. With
// checkVerbatim it also reports, in the same pass, whether valid data is
// already byte for byte what encoding/json's compact-and-HTML-escape pass
// (json.Marshal of a json.RawMessage) writes for it: no whitespace outside
// strings, and no '<', '>', '&', U+2028 or U+2029 inside strings. (Valid
// JSON has none of those outside strings, and the bytes of an escape
// sequence are never among them.) Without checkVerbatim, or when data is
// invalid, verbatim is false.
func scanJSON(data []byte, checkVerbatim bool) (valid, verbatim bool) {
	// verbatim is also the scan's mode: while it is true, strings are
	// searched for the bytes above too; once it is false (or was never
	// asked for) they are only validated, which is cheaper.
	verbatim = checkVerbatim
	var buf [64]bool // true: inside an object; false: inside an array
	stack := buf[:0]
	n := len(data)
	i := 0
	var ok bool

value:
	i, verbatim = skipJSONSpace(data, i, verbatim)
	if i >= n {
		return false, false
	}
	switch data[i] {
	case '{':
		i++
		if stack = append(stack, true); len(stack) > maxJSONDepth {
			return false, false
		}
		i, verbatim = skipJSONSpace(data, i, verbatim)
		if i < n && data[i] == '}' {
			i++
			stack = stack[:len(stack)-1]
			goto after
		}
		goto key
	case '[':
		i++
		if stack = append(stack, false); len(stack) > maxJSONDepth {
			return false, false
		}
		i, verbatim = skipJSONSpace(data, i, verbatim)
		if i < n && data[i] == ']' {
			i++
			stack = stack[:len(stack)-1]
			goto after
		}
		goto value
	case '"':
		if i, ok, verbatim = scanJSONString(data, i+1, verbatim); !ok {
			return false, false
		}
	case 't':
		if i, ok = scanJSONLiteral(data, i, "true"); !ok {
			return false, false
		}
	case 'f':
		if i, ok = scanJSONLiteral(data, i, "false"); !ok {
			return false, false
		}
	case 'n':
		if i, ok = scanJSONLiteral(data, i, "null"); !ok {
			return false, false
		}
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		if i, ok = scanJSONNumber(data, i); !ok {
			return false, false
		}
	default:
		return false, false
	}

after:
	i, verbatim = skipJSONSpace(data, i, verbatim)
	if len(stack) == 0 {
		if i != n {
			return false, false
		}
		return true, verbatim
	}
	if i >= n {
		return false, false
	}
	if stack[len(stack)-1] { // in an object
		switch data[i] {
		case ',':
			i++
			goto key
		case '}':
			i++
			stack = stack[:len(stack)-1]
			goto after
		}
		return false, false
	}
	switch data[i] { // in an array
	case ',':
		i++
		goto value
	case ']':
		i++
		stack = stack[:len(stack)-1]
		goto after
	}
	return false, false

key:
	i, verbatim = skipJSONSpace(data, i, verbatim)
	if i >= n || data[i] != '"' {
		return false, false
	}
	if i, ok, verbatim = scanJSONString(data, i+1, verbatim); !ok {
		return false, false
	}
	i, verbatim = skipJSONSpace(data, i, verbatim)
	if i >= n || data[i] != ':' {
		return false, false
	}
	i++
	goto value
}

func isJSONSpace(c byte) bool {
	return c <= ' ' && (c == ' ' || c == '\t' || c == '\r' || c == '\n')
}

// skipJSONSpace returns the index of the first byte at or after i that is
// not JSON whitespace, and verbatim cleared if it skipped any (compacting
// removes whitespace outside strings).
func skipJSONSpace(data []byte, i int, verbatim bool) (int, bool) {
	for i < len(data) && isJSONSpace(data[i]) {
		i++
		verbatim = false
	}
	return i, verbatim
}

// scanJSONString scans a string body starting just after its opening quote
// and returns the index after the closing quote and whether the string is
// well-formed. While verbatim is true it also looks for the bytes that
// encoding/json's HTML-safe compaction rewrites ('<', '>', '&', U+2028,
// U+2029) and returns verbatim false if there is one; otherwise verbatim
// is returned as given.
func scanJSONString(data []byte, i int, verbatim bool) (int, bool, bool) {
	n := len(data)
	for {
		// Skip ordinary bytes, 8 at a time while 8 are left (see
		// jsonscan.go), then one at a time, and handle the byte stopped at.
		for n-i >= 8 {
			w := binary.LittleEndian.Uint64(data[i:])
			var m uint64
			if verbatim {
				m = verbatimStringStops(w)
			} else {
				m = stringStops(w)
			}
			if m != 0 {
				i += bits.TrailingZeros64(m) / 8
				break
			}
			i += 8
		}
		for i < n && !isStringStop(data[i], verbatim) {
			i++
		}
		if i >= n {
			return i, false, verbatim // unterminated
		}
		switch data[i] {
		case '"':
			return i + 1, true, verbatim
		case '\\':
			if i+1 >= n {
				return i + 1, false, verbatim
			}
			switch data[i+1] {
			case 'b', 'f', 'n', 'r', 't', '\\', '/', '"':
				i += 2
			case 'u':
				if n-i < 6 || !isHex(data[i+2]) || !isHex(data[i+3]) || !isHex(data[i+4]) || !isHex(data[i+5]) {
					return i + 1, false, verbatim
				}
				i += 6
			default:
				return i + 1, false, verbatim
			}
		case '<', '>', '&': // only stopped at while verbatim
			verbatim = false
			i++
		case 0xE2: // only stopped at while verbatim
			if i+2 < n && data[i+1] == 0x80 && (data[i+2] == 0xA8 || data[i+2] == 0xA9) {
				verbatim = false // U+2028 or U+2029
			}
			i++
		default: // a control byte
			return i, false, verbatim
		}
	}
}

func isHex(c byte) bool {
	return ('0' <= c && c <= '9') || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}

func scanJSONLiteral(data []byte, i int, lit string) (int, bool) {
	if len(data)-i < len(lit) || string(data[i:i+len(lit)]) != lit {
		return i, false
	}
	return i + len(lit), true
}

// ScanJSONNumber returns the index just after the JSON number that starts
// at data[i] — -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? — and false
// when no valid number starts there. It reads only the number's own bytes:
// what follows (a delimiter, or "1" after a leading "0") is the caller's to
// check.
func ScanJSONNumber(data []byte, i int) (int, bool) {
	if i < 0 || i >= len(data) {
		return i, false
	}
	return scanJSONNumber(data, i)
}

// scanJSONNumber is ScanJSONNumber for i < len(data).
func scanJSONNumber(data []byte, i int) (int, bool) {
	n := len(data)
	if data[i] == '-' {
		i++
		if i >= n {
			return i, false
		}
	}
	switch c := data[i]; {
	case c == '0':
		i++
	case '1' <= c && c <= '9':
		i++
		for i < n && isDigit(data[i]) {
			i++
		}
	default:
		return i, false
	}
	if i < n && data[i] == '.' {
		i++
		if i >= n || !isDigit(data[i]) {
			return i, false
		}
		for i < n && isDigit(data[i]) {
			i++
		}
	}
	if i < n && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < n && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if i >= n || !isDigit(data[i]) {
			return i, false
		}
		for i < n && isDigit(data[i]) {
			i++
		}
	}
	return i, true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
