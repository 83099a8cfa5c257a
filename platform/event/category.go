package event

import (
	"encoding/json"
	"math"

	"github.com/eventspec/eventspec/es"
)

// Category classifies an event (spec §2 rules 1–6).
type Category string

// Event categories.
const (
	// Domain events record a fact inside one bounded context.
	Domain Category = "domain"
	// Integration events cross bounded contexts (published language).
	Integration Category = "integration"
	// Trigger events carry only an entity id; consumers fetch the rest.
	Trigger Category = "trigger"
	// Fat events carry a full snapshot for external consumers.
	Fat Category = "fat"
)

// Defaults for events that name no category or schema version. They equal
// es.DefaultCategory and es.DefaultSchemaVersion, which the store fills in.
const (
	DefaultCategory      = Category(es.DefaultCategory)
	DefaultSchemaVersion = es.DefaultSchemaVersion
)

// Categories returns the four categories in spec order: domain,
// integration, trigger, fat.
func Categories() []Category { return []Category{Domain, Integration, Trigger, Fat} }

// categoryNames is Categories as strings, for enum checks.
func categoryNames() []string {
	return []string{string(Domain), string(Integration), string(Trigger), string(Fat)}
}

// ParseCategory returns the category named s. Only the four lowercase
// names are accepted ("DOMAIN" and "" are not).
func ParseCategory(s string) (Category, bool) {
	switch c := Category(s); c {
	case Domain, Integration, Trigger, Fat:
		return c, true
	}
	return "", false
}

// IsCategory reports whether v is a string (or Category) naming one of the
// four categories. nil, numbers and other types are not categories.
func IsCategory(v any) bool {
	_, ok := asCategory(v)
	return ok
}

func asCategory(v any) (Category, bool) {
	switch s := v.(type) {
	case string:
		return ParseCategory(s)
	case Category:
		return ParseCategory(string(s))
	}
	return "", false
}

// NormalizeCategory returns v as a category when it names one, else
// DefaultCategory (domain).
func NormalizeCategory(v any) Category {
	if c, ok := asCategory(v); ok {
		return c
	}
	return DefaultCategory
}

// NormalizeSchemaVersion returns v when it is a number holding an integer
// >= 1, else DefaultSchemaVersion (1). 0, negatives, 1.5, the string "1"
// and nil all give 1.
func NormalizeSchemaVersion(v any) int {
	var f float64
	switch n := v.(type) {
	case int:
		f = float64(n)
	case int8:
		f = float64(n)
	case int16:
		f = float64(n)
	case int32:
		f = float64(n)
	case int64:
		f = float64(n)
	case uint:
		f = float64(n)
	case uint8:
		f = float64(n)
	case uint16:
		f = float64(n)
	case uint32:
		f = float64(n)
	case uint64:
		f = float64(n)
	case float32:
		f = float64(n)
	case float64:
		f = n
	case json.Number:
		x, err := n.Float64()
		if err != nil {
			return DefaultSchemaVersion
		}
		f = x
	default:
		return DefaultSchemaVersion
	}
	if f < 1 || f != math.Trunc(f) || f > math.MaxInt32 {
		return DefaultSchemaVersion
	}
	return int(f)
}

// Valid reports whether c is one of the four categories.
func (c Category) Valid() bool { _, ok := ParseCategory(string(c)); return ok }

// IsExternal reports whether events of category c are meant for consumers
// outside the system: true for trigger and fat only.
func (c Category) IsExternal() bool { return c == Trigger || c == Fat }

// IsCrossContext reports whether events of category c cross bounded
// contexts: true for integration only.
func (c Category) IsCrossContext() bool { return c == Integration }
