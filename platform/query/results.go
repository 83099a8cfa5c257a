package query

import "encoding/json"

// Page is one page of a paginated query (PagedQueryResult): its items, the
// cursor that continues after it ("" when this is the last page, rendered
// as null in JSON) and whether the listing is done.
type Page[T any] struct {
	Items          []T
	ContinueCursor string
	IsDone         bool
}

type pageJSON[T any] struct {
	Page           []T     `json:"page"`
	ContinueCursor *string `json:"continueCursor"`
	IsDone         bool    `json:"isDone"`
}

// MarshalJSON renders {"page":[…],"continueCursor":…|null,"isDone":…}.
func (p Page[T]) MarshalJSON() ([]byte, error) {
	w := pageJSON[T]{Page: p.Items, IsDone: p.IsDone}
	if w.Page == nil {
		w.Page = []T{}
	}
	if p.ContinueCursor != "" {
		w.ContinueCursor = &p.ContinueCursor
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads the form MarshalJSON writes.
func (p *Page[T]) UnmarshalJSON(b []byte) error {
	var w pageJSON[T]
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	p.Items, p.IsDone, p.ContinueCursor = w.Page, w.IsDone, ""
	if w.ContinueCursor != nil {
		p.ContinueCursor = *w.ContinueCursor
	}
	return nil
}

// EmptyPage is the page of an empty listing: no items, no cursor, done.
func EmptyPage[T any]() Page[T] { return Page[T]{Items: []T{}, IsDone: true} }

// NewPage builds a page; it is done exactly when cursor is empty
// (createPagedResult).
func NewPage[T any](items []T, cursor string) Page[T] {
	if items == nil {
		items = []T{}
	}
	return Page[T]{Items: items, ContinueCursor: cursor, IsDone: cursor == ""}
}

// Status is the outcome of a single, list or count query.
type Status string

// Query statuses.
const (
	StatusSuccess  Status = "success"
	StatusError    Status = "error"
	StatusNotFound Status = "not_found"
)

// SingleResult is the result of a single-item query.
type SingleResult[T any] struct {
	Status Status `json:"status"`
	Data   *T     `json:"data,omitempty"`
	Error  string `json:"error,omitempty"`
}

// ListResult is the result of a list query. TotalCount is set when known.
type ListResult[T any] struct {
	Status     Status `json:"status"`
	Data       []T    `json:"data"`
	TotalCount *int   `json:"totalCount,omitempty"`
	Error      string `json:"error,omitempty"`
}

// CountResult is the result of a count query.
type CountResult struct {
	Status Status `json:"status"`
	Count  int    `json:"count"`
	Error  string `json:"error,omitempty"`
}

// Found is a successful single result.
func Found[T any](v T) SingleResult[T] { return SingleResult[T]{Status: StatusSuccess, Data: &v} }

// NotFound is a single result for a missing item.
func NotFound[T any]() SingleResult[T] { return SingleResult[T]{Status: StatusNotFound} }

// Failed is a single result for a failed query.
func Failed[T any](err error) SingleResult[T] {
	return SingleResult[T]{Status: StatusError, Error: err.Error()}
}
