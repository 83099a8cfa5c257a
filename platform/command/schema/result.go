package schema

import (
	"encoding/json"
	"fmt"

	"github.com/eventspec/eventspec/platform/command"
	"github.com/eventspec/eventspec/platform/event/field"
)

// Result statuses of the command result union (spec §9 rule 7).
const (
	StatusSuccess  = "success"
	StatusRejected = "rejected"
	StatusConflict = "conflict"
	StatusError    = "error"
)

// CodeConcurrentModification is the only code a conflict result carries.
const CodeConcurrentModification = "CONCURRENT_MODIFICATION"

// ResultStatuses lists the union's statuses.
func ResultStatuses() []string {
	return []string{StatusSuccess, StatusRejected, StatusConflict, StatusError}
}

// Result is a command result: one of success {data?, version}, rejected
// {code, reason, context?}, conflict {code CONCURRENT_MODIFICATION,
// currentVersion} and error {message}. Fields of other statuses are zero.
type Result struct {
	Status string `json:"status"`
	// success
	Data    json.RawMessage `json:"data,omitempty"`
	Version int64           `json:"version"`
	// rejected, conflict
	Code string `json:"code,omitempty"`
	// rejected
	Reason  string         `json:"reason,omitempty"`
	Context map[string]any `json:"context,omitempty"`
	// conflict
	CurrentVersion int64 `json:"currentVersion"`
	// error
	Message string `json:"message,omitempty"`
}

// MarshalJSON writes only the fields of r's status.
func (r Result) MarshalJSON() ([]byte, error) {
	switch r.Status {
	case StatusSuccess:
		return json.Marshal(struct {
			Status  string          `json:"status"`
			Data    json.RawMessage `json:"data,omitempty"`
			Version int64           `json:"version"`
		}{r.Status, r.Data, r.Version})
	case StatusRejected:
		return json.Marshal(struct {
			Status  string         `json:"status"`
			Code    string         `json:"code"`
			Reason  string         `json:"reason"`
			Context map[string]any `json:"context,omitempty"`
		}{r.Status, r.Code, r.Reason, r.Context})
	case StatusConflict:
		return json.Marshal(struct {
			Status         string `json:"status"`
			Code           string `json:"code"`
			CurrentVersion int64  `json:"currentVersion"`
		}{r.Status, r.Code, r.CurrentVersion})
	case StatusError:
		return json.Marshal(struct {
			Status  string `json:"status"`
			Message string `json:"message"`
		}{r.Status, r.Message})
	}
	return json.Marshal(struct {
		Status string `json:"status"`
	}{r.Status})
}

// Validate checks r against the union (ParseResult of its JSON form).
func (r Result) Validate() error {
	raw, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = ParseResult(raw)
	return err
}

// ParseSuccessResult checks a success result: status "success", optional
// data (absent or null is kept as nil), version an integer >= 0.
func ParseSuccessResult(raw []byte) (Result, error) { return parseResult(raw, StatusSuccess) }

// ParseRejectedResult checks a rejected result: status "rejected", code
// and reason non-empty strings, optional context object.
func ParseRejectedResult(raw []byte) (Result, error) { return parseResult(raw, StatusRejected) }

// ParseConflictResult checks a conflict result: status "conflict", code
// exactly CONCURRENT_MODIFICATION, currentVersion an integer >= 0.
func ParseConflictResult(raw []byte) (Result, error) { return parseResult(raw, StatusConflict) }

// ParseErrorResult checks an error result: status "error", message a
// non-empty string.
func ParseErrorResult(raw []byte) (Result, error) { return parseResult(raw, StatusError) }

// ParseResult checks a result of any of the four statuses, discriminating
// on status; an unknown or missing status is invalid.
func ParseResult(raw []byte) (Result, error) { return parseResult(raw, "") }

func parseResult(raw []byte, want string) (Result, error) {
	o := field.Decode(raw, "")
	var r Result
	if want != "" {
		r.Status = o.Literal("status", want, true)
	} else {
		r.Status = o.Enum("status", ResultStatuses(), "", true)
	}
	switch r.Status {
	case StatusSuccess:
		if d, ok := o.Raw("data", false); ok {
			r.Data = append(json.RawMessage(nil), d...)
		}
		r.Version = o.Int("version", 0, 0, true)
	case StatusRejected:
		r.Code = o.String("code", true)
		r.Reason = o.String("reason", true)
		r.Context = o.Map("context", false)
	case StatusConflict:
		r.Code = o.Literal("code", CodeConcurrentModification, true)
		r.CurrentVersion = o.Int("currentVersion", 0, 0, true)
	case StatusError:
		r.Message = o.String("message", true)
	}
	what := "command result"
	if want != "" {
		what = fmt.Sprintf("command %s result", want)
	}
	if err := errOf(o, what); err != nil {
		return Result{}, err
	}
	return r, nil
}

// ParseStatus returns the stored command status named s (pending,
// executed, rejected, failed).
func ParseStatus(s string) (command.Status, bool) {
	st := command.Status(s)
	return st, st.Valid()
}
