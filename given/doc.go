// Package given builds test fixtures: a registry of event and command types
// (name ↔ Go type), builders that make events and commands by name from
// strings, JSON or tables, and a strict decoder from Gherkin-style tables
// ([][]string, no godog dependency) into Go values.
//
// # Tables
//
// A vertical table names one field per row, optionally under a
// "| field | value |" header:
//
//	| field    | value      |
//	| orderId  | o-1        |
//	| quantity | 3          |
//	| placedAt | 2026-01-01T10:00:00Z |
//
// A horizontal table has a header row of field names and decodes one value
// per following row.
//
// Field names match a field's json tag name exactly, or — ignoring case,
// spaces, underscores and hyphens — its json name or Go name. Dotted names
// ("address.city") reach into nested structs (nil pointers are allocated) and
// into maps with string keys ("labels.tier"). Embedded structs are promoted
// as in encoding/json. A `given:"required"` tag marks a field that a table
// must set; `given:"-"` hides a field from tables.
//
// Values are parsed strictly by the Go type of the field: integers in base
// 10 within the type's range ("42abc" is an error), floats (no NaN or
// infinities), booleans (true/yes/1, false/no/0, any case), time.Time in
// RFC 3339, time.Duration as "1h30m", json.RawMessage, maps, structs and
// interface fields as JSON, slices either as a JSON array or comma-separated
// elements, pointers ("null" is nil), and any type implementing
// encoding.TextUnmarshaler or json.Unmarshaler. An empty cell leaves the
// field unset; the cell `""` is an explicit empty string.
//
// Every table problem — an unknown column, a missing required field, a bad
// value, a malformed table — is a *TableError with code INVALID_TABLE that
// names the row, the column, the value and the type expected.
package given
