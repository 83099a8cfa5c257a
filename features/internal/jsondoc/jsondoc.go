// Package jsondoc edits and reads generic JSON documents from Gherkin
// tables, for feature steps that build raw inputs field by field.
package jsondoc

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Absent is the cell text that deletes a field.
const Absent = "<absent>"

// Value parses a cell as JSON; a cell that is not JSON is a string, and
// "undefined" is nil.
func Value(cell string) any {
	cell = strings.TrimSpace(cell)
	if cell == "undefined" {
		return nil
	}
	var v any
	if err := json.Unmarshal([]byte(cell), &v); err != nil {
		return cell
	}
	return v
}

// Lookup follows a dotted path through objects and (by index) arrays; it
// returns nil when the path does not exist.
func Lookup(doc map[string]any, path string) any {
	var v any = doc
	for _, k := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// Apply sets the rows of a | field | value | table on doc (an optional
// header row "field | value" is skipped): values go through Value, a dotted
// field sets a nested value (creating objects on the way), and Absent
// deletes the field.
func Apply(doc map[string]any, rows [][]string) error {
	for i, row := range rows {
		if i == 0 && len(row) > 0 && row[0] == "field" {
			continue
		}
		if len(row) != 2 {
			return fmt.Errorf("row %d: want | field | value |", i+1)
		}
		keys := strings.Split(row[0], ".")
		m := doc
		for _, k := range keys[:len(keys)-1] {
			sub, ok := m[k].(map[string]any)
			if !ok {
				sub = map[string]any{}
				m[k] = sub
			}
			m = sub
		}
		last := keys[len(keys)-1]
		if row[1] == Absent {
			delete(m, last)
			continue
		}
		m[last] = Value(row[1])
	}
	return nil
}
