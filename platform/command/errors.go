package command

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/eventspec/eventspec/es"
)

// ErrorCategory classifies command errors (spec §11).
type ErrorCategory string

// Error categories.
const (
	ErrorDomain         ErrorCategory = "domain"
	ErrorValidation     ErrorCategory = "validation"
	ErrorConcurrency    ErrorCategory = "concurrency"
	ErrorInfrastructure ErrorCategory = "infra"
)

// ErrorCategories returns the four error categories: domain, validation,
// concurrency, infra.
func ErrorCategories() []ErrorCategory {
	return []ErrorCategory{ErrorDomain, ErrorValidation, ErrorConcurrency, ErrorInfrastructure}
}

// Valid reports whether c is one of the four error categories.
func (c ErrorCategory) Valid() bool {
	switch c {
	case ErrorDomain, ErrorValidation, ErrorConcurrency, ErrorInfrastructure:
		return true
	}
	return false
}

// Error is a categorised command error with retry semantics. It implements
// es.Coder, so es.CodeOf works on it.
type Error struct {
	Category    ErrorCategory
	ErrCode     string
	Message     string
	Recoverable bool
	// Context carries details; nil means none (absent from JSON).
	Context map[string]any
	// Cause is the wrapped error, when the Error was made by From.
	Cause error
}

// NewError builds an *Error.
func NewError(cat ErrorCategory, code, message string, recoverable bool, ctx map[string]any) *Error {
	return &Error{Category: cat, ErrCode: code, Message: message, Recoverable: recoverable, Context: ctx}
}

func (e *Error) Error() string { return e.ErrCode + ": " + e.Message }

// Code returns the error's code.
func (e *Error) Code() es.Code { return es.Code(e.ErrCode) }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Cause }

// MarshalJSON renders {name:"CommandError", category, code, message,
// recoverable, context?}; the context key is absent when Context is nil.
func (e *Error) MarshalJSON() ([]byte, error) {
	type wire struct {
		Name        string         `json:"name"`
		Category    ErrorCategory  `json:"category"`
		Code        string         `json:"code"`
		Message     string         `json:"message"`
		Recoverable bool           `json:"recoverable"`
		Context     map[string]any `json:"context,omitempty"`
	}
	return json.Marshal(wire{"CommandError", e.Category, e.ErrCode, e.Message, e.Recoverable, e.Context})
}

// From turns err into an *Error. An *Error in err's chain is returned as is
// (the same pointer); any other error becomes an infrastructure error with
// defaultCode (CodeUnknownError when empty), err's message, recoverable, and
// context {originalError: the error's Go type}. From(nil) is nil.
func From(err error, defaultCode string) *Error {
	if err == nil {
		return nil
	}
	var ce *Error
	if errors.As(err, &ce) {
		return ce
	}
	if defaultCode == "" {
		defaultCode = CodeUnknownError
	}
	return &Error{
		Category: ErrorInfrastructure, ErrCode: defaultCode, Message: err.Error(), Recoverable: true,
		Context: map[string]any{"originalError": fmt.Sprintf("%T", err)}, Cause: err,
	}
}

// FromValue is From for a value that is not an error (for example what a
// recovered panic carried): an infrastructure error whose message is the
// value printed with %v and whose context is {originalValue: v}.
func FromValue(v any, defaultCode string) *Error {
	if err, ok := v.(error); ok {
		return From(err, defaultCode)
	}
	if defaultCode == "" {
		defaultCode = CodeUnknownError
	}
	return &Error{
		Category: ErrorInfrastructure, ErrCode: defaultCode, Message: fmt.Sprint(v), Recoverable: true,
		Context: map[string]any{"originalValue": v},
	}
}

// DomainError is a business-rule error; not recoverable.
func DomainError(code, message string, ctx map[string]any) *Error {
	return NewError(ErrorDomain, code, message, false, ctx)
}

// ValidationError is an input error; not recoverable.
func ValidationError(code, message string, ctx map[string]any) *Error {
	return NewError(ErrorValidation, code, message, false, ctx)
}

// ConcurrencyError is a conflicting concurrent change; recoverable.
func ConcurrencyError(code, message string, ctx map[string]any) *Error {
	return NewError(ErrorConcurrency, code, message, true, ctx)
}

// InfrastructureError is a failure of the environment; recoverable.
func InfrastructureError(code, message string, ctx map[string]any) *Error {
	return NewError(ErrorInfrastructure, code, message, true, ctx)
}

func withEntity(ctx map[string]any, entityType, id string) map[string]any {
	out := map[string]any{"entityType": entityType, "entityId": id}
	for k, v := range ctx {
		out[k] = v
	}
	return out
}

// NotFound is the domain error `<Type> with ID "<id>" was not found`, code
// <TYPE>_NOT_FOUND, context {entityType, entityId, …ctx}.
func NotFound(entityType, id string, ctx map[string]any) *Error {
	return DomainError(strings.ToUpper(entityType)+"_NOT_FOUND",
		fmt.Sprintf("%s with ID %q was not found", entityType, id), withEntity(ctx, entityType, id))
}

// AlreadyExists is the domain error `<Type> with ID "<id>" already exists`,
// code <TYPE>_ALREADY_EXISTS, context {entityType, entityId, …ctx}.
func AlreadyExists(entityType, id string, ctx map[string]any) *Error {
	return DomainError(strings.ToUpper(entityType)+"_ALREADY_EXISTS",
		fmt.Sprintf("%s with ID %q already exists", entityType, id), withEntity(ctx, entityType, id))
}

// InvalidState is the domain error `<Type> is in "<current>" state but
// "<required>" is required`, code INVALID_<TYPE>_STATE, context
// {entityType, currentState, requiredState}.
func InvalidState(entityType, current, required string) *Error {
	return DomainError("INVALID_"+strings.ToUpper(entityType)+"_STATE",
		fmt.Sprintf("%s is in %q state but %q is required", entityType, current, required),
		map[string]any{"entityType": entityType, "currentState": current, "requiredState": required})
}

// Unauthorized is the domain error UNAUTHORIZED `Not authorized to perform
// action: <action>`.
func Unauthorized(action string) *Error {
	return DomainError(CodeUnauthorized, "Not authorized to perform action: "+action, map[string]any{"action": action})
}

// RateLimited is the recoverable infrastructure error RATE_LIMITED, context
// {retryAfterMs} (absent when retryAfter is not positive).
func RateLimited(retryAfter time.Duration) *Error {
	var ctx map[string]any
	if retryAfter > 0 {
		ctx = map[string]any{"retryAfterMs": retryAfter.Milliseconds()}
	}
	return InfrastructureError(CodeRateLimited, "Rate limit exceeded", ctx)
}

// IsCategory reports whether err's chain holds an *Error of category c.
func IsCategory(err error, c ErrorCategory) bool {
	var ce *Error
	return errors.As(err, &ce) && ce.Category == c
}

// IsRecoverable reports whether retrying may help: an *Error's flag; true
// for any other non-nil error; false for nil.
func IsRecoverable(err error) bool {
	if err == nil {
		return false
	}
	var ce *Error
	if errors.As(err, &ce) {
		return ce.Recoverable
	}
	return true
}

// RetryDelay is the delay before retry number attempt (1-based; lower
// values count as 1), and false when err should not be retried:
// non-recoverable, domain or validation errors. Concurrency errors wait
// min(50ms·2^(attempt−1), 500ms); infrastructure and unknown errors
// min(1s·2^(attempt−1), 30s).
func RetryDelay(err error, attempt int) (time.Duration, bool) {
	if err == nil {
		return 0, false
	}
	base, max := time.Second, 30*time.Second
	var ce *Error
	if errors.As(err, &ce) {
		if !ce.Recoverable {
			return 0, false
		}
		switch ce.Category {
		case ErrorDomain, ErrorValidation:
			return 0, false
		case ErrorConcurrency:
			base, max = 50*time.Millisecond, 500*time.Millisecond
		}
	}
	if attempt < 1 {
		attempt = 1
	}
	d := base
	for i := 1; i < attempt && d < max; i++ {
		d *= 2
	}
	return min(d, max), true
}

// AbortError aborts a command's unit of work: everything it wrote — CMS,
// events, jobs and the command record — rolls back, so a retry with the
// same command id starts fresh (spec §7 rule 11). Middleware never turns an
// AbortError into a rejection; Dispatch returns it as its error.
type AbortError struct {
	ErrCode string
	Message string
	Context map[string]any
	Cause   error
}

func (e *AbortError) Error() string {
	if e.Cause != nil {
		return e.ErrCode + ": " + e.Message + ": " + e.Cause.Error()
	}
	return e.ErrCode + ": " + e.Message
}

// Code returns the abort code (EVENT_STORE_CONFLICT,
// EVENT_STORE_APPEND_ABORT or EVENT_STORE_POST_APPEND_ABORT).
func (e *AbortError) Code() es.Code { return es.Code(e.ErrCode) }

// Unwrap returns the cause.
func (e *AbortError) Unwrap() error { return e.Cause }

// IsAbort reports whether err's chain holds an *AbortError.
func IsAbort(err error) bool {
	var ae *AbortError
	return errors.As(err, &ae)
}
