// Package query describes read-model queries and pages through documents
// (spec §27).
//
// Descriptors (NewReadModelQuery, NewPaginatedQuery) record what a query
// reads and returns; a Registry groups a bounded context's queries. Page
// sizes are normalised the same way everywhere (Normalize,
// EffectivePageSize) and cursors are opaque URL-safe base64 JSON
// (EncodeCursor, DecodeCursor).
//
// Documents[T] is a query factory over a store.Documents collection: it
// returns pages in a stable order (ascending document key), optionally
// filtered, with a continue cursor that resumes exactly after the previous
// page. Page sizes default to DefaultPageSize (100) and are capped at
// MaxPageSize (1000), the store's list limits; a descriptor may set
// smaller ones (the original platform's 20 / 100 are DefaultPaginated and
// MaxPaginated).
package query

import (
	"math"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/store"
)

// Page-size bounds.
const (
	// DefaultPageSize is the page size when none is requested.
	DefaultPageSize = store.DefaultListLimit
	// MaxPageSize caps every page.
	MaxPageSize = store.MaxListLimit
	// DefaultPaginated and MaxPaginated are the original platform's
	// DEFAULT_PAGE_SIZE and MAX_PAGE_SIZE, the defaults of
	// NewPaginatedQuery descriptors.
	DefaultPaginated = 20
	MaxPaginated     = 100
)

// ResultType is what a query returns.
type ResultType string

// Result types.
const (
	Single    ResultType = "single"
	List      ResultType = "list"
	Count     ResultType = "count"
	Paginated ResultType = "paginated"
)

// Config describes a read-model query.
type Config struct {
	// QueryName identifies the query, e.g. "getOrderSummary".
	QueryName   string `json:"queryName"`
	Description string `json:"description,omitempty"`
	// SourceProjection is the projection that maintains the read model.
	SourceProjection string `json:"sourceProjection"`
	// TargetTable is the read model's collection.
	TargetTable string `json:"targetTable"`
}

func (c Config) validate() error {
	if c.QueryName == "" {
		return es.Errorf(es.CodeInvalidArgument, "query: queryName is empty")
	}
	if c.SourceProjection == "" {
		return es.Errorf(es.CodeInvalidArgument, "query %s: sourceProjection is empty", c.QueryName)
	}
	return es.ValidateName(es.CodeInvalidCollection, "query "+c.QueryName+": targetTable", c.TargetTable)
}

// Descriptor is a read-model query: its config and result type.
type Descriptor struct {
	Config     Config     `json:"config"`
	ResultType ResultType `json:"resultType"`
}

// NewReadModelQuery describes a single, list or count query
// (createReadModelQuery). Other result types, or an incomplete config, are
// INVALID_ARGUMENT; use NewPaginatedQuery for paginated queries.
func NewReadModelQuery(cfg Config, rt ResultType) (Descriptor, error) {
	if err := cfg.validate(); err != nil {
		return Descriptor{}, err
	}
	switch rt {
	case Single, List, Count:
	default:
		return Descriptor{}, es.Errorf(es.CodeInvalidArgument, "query %s: result type %q is not single, list or count", cfg.QueryName, rt)
	}
	return Descriptor{Config: cfg, ResultType: rt}, nil
}

// PaginatedConfig describes a paginated query.
type PaginatedConfig struct {
	Config
	// DefaultPageSize (0: DefaultPaginated) and MaxPageSize (0:
	// MaxPaginated) bound its pages.
	DefaultPageSize int `json:"defaultPageSize"`
	MaxPageSize     int `json:"maxPageSize"`
	// PaginationIndex names the index pages follow, when relevant.
	PaginationIndex string `json:"paginationIndex,omitempty"`
}

// Defaults are a paginated query's page-size bounds.
type Defaults struct {
	PageSize    int `json:"pageSize"`
	MaxPageSize int `json:"maxPageSize"`
}

// PaginatedDescriptor is a paginated query (createPaginatedQuery).
type PaginatedDescriptor struct {
	Config     PaginatedConfig `json:"config"`
	ResultType ResultType      `json:"resultType"`
	Defaults   Defaults        `json:"defaults"`
}

// NewPaginatedQuery describes a paginated query, filling the page-size
// defaults. Sizes must satisfy 1 ≤ default ≤ max ≤ MaxPageSize
// (INVALID_ARGUMENT).
func NewPaginatedQuery(cfg PaginatedConfig) (PaginatedDescriptor, error) {
	if err := cfg.validate(); err != nil {
		return PaginatedDescriptor{}, err
	}
	if cfg.DefaultPageSize == 0 {
		cfg.DefaultPageSize = DefaultPaginated
	}
	if cfg.MaxPageSize == 0 {
		cfg.MaxPageSize = MaxPaginated
	}
	if cfg.MaxPageSize < 1 || cfg.MaxPageSize > MaxPageSize || cfg.DefaultPageSize < 1 || cfg.DefaultPageSize > cfg.MaxPageSize {
		return PaginatedDescriptor{}, es.Errorf(es.CodeInvalidArgument,
			"query %s: page sizes default %d / max %d must satisfy 1 ≤ default ≤ max ≤ %d",
			cfg.QueryName, cfg.DefaultPageSize, cfg.MaxPageSize, MaxPageSize)
	}
	return PaginatedDescriptor{Config: cfg, ResultType: Paginated,
		Defaults: Defaults{PageSize: cfg.DefaultPageSize, MaxPageSize: cfg.MaxPageSize}}, nil
}

// Options are a caller's pagination options.
type Options struct {
	// PageSize is the requested size; 0 means the default, negative values
	// count as 1, values above the maximum are capped.
	PageSize int `json:"pageSize,omitempty"`
	// Cursor continues after a previous page ("" starts at the beginning).
	Cursor string `json:"cursor,omitempty"`
}

// Normalized are options with the page size resolved.
type Normalized struct {
	PageSize int
	Cursor   string
}

// Normalize resolves opts against a default and maximum page size
// (normalizePaginationOptions): PageSize 0 → def, else clamped to [1,
// max]. The cursor passes through.
func Normalize(opts Options, def, max int) Normalized {
	return Normalized{PageSize: EffectivePageSize(opts.PageSize, def, max), Cursor: opts.Cursor}
}

// Options resolves opts against the descriptor's defaults
// (getPaginationOptions).
func (d PaginatedDescriptor) Options(opts Options) Normalized {
	return Normalize(opts, d.Defaults.PageSize, d.Defaults.MaxPageSize)
}

// EffectivePageSize returns def for requested 0 (not clamped), else
// requested clamped to [1, max].
func EffectivePageSize(requested, def, max int) int {
	switch {
	case requested == 0:
		return def
	case requested < 1:
		return 1
	case requested > max:
		return max
	}
	return requested
}

// PageSizeFromFloat turns a page size that arrived as a JSON number into an
// int the way the original does: floor(f), then clamped to [1, max]. NaN
// and infinities are not page sizes (false).
func PageSizeFromFloat(f float64, max int) (int, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	f = math.Floor(f)
	switch {
	case f < 1:
		return 1, true
	case f > float64(max):
		return max, true
	}
	return int(f), true
}

// IsValidPageSize reports whether n is an integer with 1 ≤ n ≤ max (NaN,
// fractions, 0 and values above max are not).
func IsValidPageSize(n float64, max int) bool {
	return !math.IsNaN(n) && n == math.Trunc(n) && n >= 1 && n <= float64(max)
}

// Registry groups a bounded context's queries (createQueryRegistry).
type Registry struct {
	Context          string                         `json:"context"`
	SourceProjection string                         `json:"sourceProjection"`
	Queries          map[string]Descriptor          `json:"queries"`
	PaginatedQueries map[string]PaginatedDescriptor `json:"paginatedQueries,omitempty"`
}

// NewRegistry returns a registry of queries keyed by name. A repeated name
// is INVALID_ARGUMENT.
func NewRegistry(context, sourceProjection string, queries []Descriptor, paginated ...PaginatedDescriptor) (*Registry, error) {
	r := &Registry{Context: context, SourceProjection: sourceProjection,
		Queries: map[string]Descriptor{}, PaginatedQueries: map[string]PaginatedDescriptor{}}
	for _, q := range queries {
		if r.has(q.Config.QueryName) {
			return nil, es.Errorf(es.CodeInvalidArgument, "query registry %s: query %q registered twice", context, q.Config.QueryName)
		}
		r.Queries[q.Config.QueryName] = q
	}
	for _, q := range paginated {
		if r.has(q.Config.QueryName) {
			return nil, es.Errorf(es.CodeInvalidArgument, "query registry %s: query %q registered twice", context, q.Config.QueryName)
		}
		r.PaginatedQueries[q.Config.QueryName] = q
	}
	return r, nil
}

func (r *Registry) has(name string) bool {
	_, a := r.Queries[name]
	_, b := r.PaginatedQueries[name]
	return a || b
}

// Get returns the single/list/count query named name.
func (r *Registry) Get(name string) (Descriptor, bool) {
	d, ok := r.Queries[name]
	return d, ok
}

// GetPaginated returns the paginated query named name.
func (r *Registry) GetPaginated(name string) (PaginatedDescriptor, bool) {
	d, ok := r.PaginatedQueries[name]
	return d, ok
}
