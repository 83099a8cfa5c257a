package command

import "fmt"

// Category classifies commands (spec §9).
type Category string

// Command categories.
const (
	CategoryAggregate Category = "aggregate"
	CategoryProcess   Category = "process"
	CategorySystem    Category = "system"
	CategoryBatch     Category = "batch"
	// DefaultCategory is the category of a command whose definition names none.
	DefaultCategory = CategoryAggregate
)

// Categories returns every category, in spec order: aggregate, process,
// system, batch.
func Categories() []Category {
	return []Category{CategoryAggregate, CategoryProcess, CategorySystem, CategoryBatch}
}

// ParseCategory returns the category named s. Only the four lowercase names
// are accepted.
func ParseCategory(s string) (Category, bool) {
	switch c := Category(s); c {
	case CategoryAggregate, CategoryProcess, CategorySystem, CategoryBatch:
		return c, true
	}
	return "", false
}

// NormalizeCategory returns the category named s, or DefaultCategory when s
// names none.
func NormalizeCategory(s string) Category {
	if c, ok := ParseCategory(s); ok {
		return c
	}
	return DefaultCategory
}

// Valid reports whether c is one of the four categories.
func (c Category) Valid() bool { _, ok := ParseCategory(string(c)); return ok }

// IsAggregate reports whether c is aggregate.
func (c Category) IsAggregate() bool { return c == CategoryAggregate }

// IsProcess reports whether c is process.
func (c Category) IsProcess() bool { return c == CategoryProcess }

// IsSystem reports whether c is system.
func (c Category) IsSystem() bool { return c == CategorySystem }

// IsBatch reports whether c is batch.
func (c Category) IsBatch() bool { return c == CategoryBatch }

// AggregateTarget names the aggregate type a command targets and the payload
// field holding the aggregate id.
type AggregateTarget struct {
	Type    string `json:"type"`
	IDField string `json:"idField"`
}

// Validate requires both fields to be non-empty.
func (t AggregateTarget) Validate() error {
	if t.Type == "" {
		return NewError(ErrorValidation, CodeValidation, "aggregate target type is empty", false, nil)
	}
	if t.IDField == "" {
		return NewError(ErrorValidation, CodeValidation, fmt.Sprintf("aggregate target %q has an empty idField", t.Type), false, nil)
	}
	return nil
}
