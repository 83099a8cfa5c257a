package es

// maxJSONDepth is encoding/json's nesting limit: deeper input is invalid.
const maxJSONDepth = 10000

// ValidJSON reports whether data is one valid JSON value (surrounded by
// optional whitespace). It gives exactly the answers of encoding/json.Valid
// — including its nesting limit of 10000 and its acceptance of any bytes
// from 0x20 up inside strings — several times faster, without allocating
// for nesting up to 64 levels. Validation of event data uses it, as the
// store's hot path does.
func ValidJSON(data []byte) bool {
	var buf [64]bool // true: inside an object; false: inside an array
	stack := buf[:0]
	n := len(data)
	i := 0
	var ok bool

value:
	for i < n && isJSONSpace(data[i]) {
		i++
	}
	if i >= n {
		return false
	}
	switch c := data[i]; {
	case c == '{':
		i++
		if stack = append(stack, true); len(stack) > maxJSONDepth {
			return false
		}
		for i < n && isJSONSpace(data[i]) {
			i++
		}
		if i < n && data[i] == '}' {
			i++
			stack = stack[:len(stack)-1]
			goto after
		}
		goto key
	case c == '[':
		i++
		if stack = append(stack, false); len(stack) > maxJSONDepth {
			return false
		}
		for i < n && isJSONSpace(data[i]) {
			i++
		}
		if i < n && data[i] == ']' {
			i++
			stack = stack[:len(stack)-1]
			goto after
		}
		goto value
	case c == '"':
		if i, ok = scanJSONString(data, i+1); !ok {
			return false
		}
	case c == 't':
		if i, ok = scanJSONLiteral(data, i, "true"); !ok {
			return false
		}
	case c == 'f':
		if i, ok = scanJSONLiteral(data, i, "false"); !ok {
			return false
		}
	case c == 'n':
		if i, ok = scanJSONLiteral(data, i, "null"); !ok {
			return false
		}
	case c == '-' || ('0' <= c && c <= '9'):
		if i, ok = scanJSONNumber(data, i); !ok {
			return false
		}
	default:
		return false
	}

after:
	for i < n && isJSONSpace(data[i]) {
		i++
	}
	if len(stack) == 0 {
		return i == n
	}
	if i >= n {
		return false
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
		return false
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
	return false

key:
	for i < n && isJSONSpace(data[i]) {
		i++
	}
	if i >= n || data[i] != '"' {
		return false
	}
	if i, ok = scanJSONString(data, i+1); !ok {
		return false
	}
	for i < n && isJSONSpace(data[i]) {
		i++
	}
	if i >= n || data[i] != ':' {
		return false
	}
	i++
	goto value
}

func isJSONSpace(c byte) bool {
	return c <= ' ' && (c == ' ' || c == '\t' || c == '\r' || c == '\n')
}

// scanJSONString scans a string body starting just after its opening quote
// and returns the index after the closing quote.
func scanJSONString(data []byte, i int) (int, bool) {
	n := len(data)
	for i < n {
		c := data[i]
		switch {
		case c == '"':
			return i + 1, true
		case c == '\\':
			i++
			if i >= n {
				return i, false
			}
			switch data[i] {
			case 'b', 'f', 'n', 'r', 't', '\\', '/', '"':
				i++
			case 'u':
				if i+4 >= n {
					return i, false
				}
				for _, h := range data[i+1 : i+5] {
					if !isHex(h) {
						return i, false
					}
				}
				i += 5
			default:
				return i, false
			}
		case c < 0x20:
			return i, false
		default:
			i++
		}
	}
	return i, false
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

// scanJSONNumber scans -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
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
