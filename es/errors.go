package es

import (
	"errors"
	"fmt"
)

// Code is a stable, machine-readable error code. Codes never change once
// released; messages may.
type Code string

// Error codes used across eventspec.
const (
	CodeConcurrency         Code = "CONCURRENCY_CONFLICT"
	CodeAppendCondition     Code = "APPEND_CONDITION_FAILED"
	CodeIdempotencyConflict Code = "IDEMPOTENCY_CONFLICT"
	CodeEmptyAppend         Code = "EMPTY_APPEND"
	CodeTooManyEvents       Code = "TOO_MANY_EVENTS"
	CodePayloadTooLarge     Code = "PAYLOAD_TOO_LARGE"
	CodeInvalidStreamID     Code = "INVALID_STREAM_ID"
	CodeInvalidQuery        Code = "INVALID_QUERY"
	CodeInvalidEvent        Code = "INVALID_EVENT"
	CodeInvalidTag          Code = "INVALID_TAG"
	CodeInvalidArgument     Code = "INVALID_ARGUMENT"
	CodeInvalidCollection   Code = "INVALID_COLLECTION"
	CodeInvalidKey          Code = "INVALID_KEY"
	CodeNotFound            Code = "NOT_FOUND"
	CodeVersionConflict     Code = "VERSION_CONFLICT"
	CodeLeaseLost           Code = "LEASE_LOST"
	CodeInjectedFault       Code = "INJECTED_FAULT"
	CodeClosed              Code = "STORE_CLOSED"
	CodeSchemaMismatch      Code = "SCHEMA_MISMATCH"
	CodeTransactionAborted  Code = "TRANSACTION_ABORTED"
	CodeUnsupported         Code = "UNSUPPORTED"
	CodeInternal            Code = "INTERNAL"
)

// Coder is implemented by every eventspec error.
type Coder interface {
	error
	Code() Code
}

// CodeOf returns the code of the first Coder in err's chain, or "" when
// there is none.
func CodeOf(err error) Code {
	var c Coder
	if errors.As(err, &c) {
		return c.Code()
	}
	return ""
}

// sameCode implements errors.Is by code: an eventspec error "is" any other
// eventspec error that carries the same code, so errors.Is(err,
// es.ErrConcurrency) works for every concurrency error.
func sameCode(c Code, target error) bool {
	t, ok := target.(Coder)
	return ok && t.Code() == c
}

// Error is the general eventspec error: a code, a message and an optional
// cause.
type Error struct {
	ErrCode Code
	Message string
	Cause   error
}

// Errorf builds an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{ErrCode: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap builds an *Error with code and message that wraps cause.
func Wrap(code Code, cause error, format string, args ...any) *Error {
	return &Error{ErrCode: code, Message: fmt.Sprintf(format, args...), Cause: cause}
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%s: %s: %v", e.ErrCode, e.Message, e.Cause)
	}
	return fmt.Sprintf("%s: %s", e.ErrCode, e.Message)
}

// Code returns the stable error code.
func (e *Error) Code() Code { return e.ErrCode }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Cause }

// Is matches any eventspec error with the same code.
func (e *Error) Is(target error) bool { return sameCode(e.ErrCode, target) }

// Sentinels for errors.Is. Each matches every error carrying its code.
var (
	ErrConcurrency         = &Error{ErrCode: CodeConcurrency, Message: "stream version does not match the expected version"}
	ErrAppendCondition     = &Error{ErrCode: CodeAppendCondition, Message: "an event matching the append condition exists"}
	ErrIdempotencyConflict = &Error{ErrCode: CodeIdempotencyConflict, Message: "idempotency key reused with a different fingerprint"}
	ErrEmptyAppend         = &Error{ErrCode: CodeEmptyAppend, Message: "append holds no events"}
	ErrTooManyEvents       = &Error{ErrCode: CodeTooManyEvents, Message: "append holds too many events"}
	ErrPayloadTooLarge     = &Error{ErrCode: CodePayloadTooLarge, Message: "payload too large"}
	ErrInvalidStreamID     = &Error{ErrCode: CodeInvalidStreamID, Message: "invalid stream id"}
	ErrInvalidQuery        = &Error{ErrCode: CodeInvalidQuery, Message: "invalid query"}
	ErrInvalidEvent        = &Error{ErrCode: CodeInvalidEvent, Message: "invalid event"}
	ErrInvalidTag          = &Error{ErrCode: CodeInvalidTag, Message: "invalid tag"}
	ErrInvalidArgument     = &Error{ErrCode: CodeInvalidArgument, Message: "invalid argument"}
	ErrInvalidCollection   = &Error{ErrCode: CodeInvalidCollection, Message: "invalid collection"}
	ErrInvalidKey          = &Error{ErrCode: CodeInvalidKey, Message: "invalid key"}
	ErrNotFound            = &Error{ErrCode: CodeNotFound, Message: "not found"}
	ErrVersionConflict     = &Error{ErrCode: CodeVersionConflict, Message: "document version does not match"}
	ErrLeaseLost           = &Error{ErrCode: CodeLeaseLost, Message: "job lease lost"}
	ErrInjectedFault       = &Error{ErrCode: CodeInjectedFault, Message: "injected fault"}
	ErrClosed              = &Error{ErrCode: CodeClosed, Message: "store closed"}
	ErrSchemaMismatch      = &Error{ErrCode: CodeSchemaMismatch, Message: "schema mismatch"}
	ErrTransactionAborted  = &Error{ErrCode: CodeTransactionAborted, Message: "transaction aborted"}
	ErrUnsupported         = &Error{ErrCode: CodeUnsupported, Message: "unsupported"}
)

// ConcurrencyError reports a stream append whose expected version did not
// match. Code CONCURRENCY_CONFLICT.
type ConcurrencyError struct {
	Stream   StreamID
	Expected ExpectedVersion
	Actual   Version
}

func (e *ConcurrencyError) Error() string {
	return fmt.Sprintf("%s: stream %q: expected version %s, actual %d", CodeConcurrency, e.Stream, e.Expected, e.Actual)
}

// Code returns CONCURRENCY_CONFLICT.
func (e *ConcurrencyError) Code() Code { return CodeConcurrency }

// Is matches ErrConcurrency.
func (e *ConcurrencyError) Is(target error) bool { return sameCode(CodeConcurrency, target) }

// ConditionFailedError reports a DCB append rejected by its condition.
// Code APPEND_CONDITION_FAILED.
type ConditionFailedError struct {
	Condition AppendCondition
}

func (e *ConditionFailedError) Error() string {
	after := "any position"
	if e.Condition.After != nil {
		after = fmt.Sprintf("a position after %d", *e.Condition.After)
	}
	return fmt.Sprintf("%s: an event matching %s exists at %s", CodeAppendCondition, e.Condition.FailIfEventsMatch, after)
}

// Code returns APPEND_CONDITION_FAILED.
func (e *ConditionFailedError) Code() Code { return CodeAppendCondition }

// Is matches ErrAppendCondition.
func (e *ConditionFailedError) Is(target error) bool { return sameCode(CodeAppendCondition, target) }

// IdempotencyConflictError reports an idempotency key reused with a
// different fingerprint. The attempt is audited. Code IDEMPOTENCY_CONFLICT.
type IdempotencyConflictError struct {
	Key                 string
	ExistingFingerprint string
	IncomingFingerprint string
}

func (e *IdempotencyConflictError) Error() string {
	return fmt.Sprintf("%s: idempotency key %q was used with fingerprint %s, not %s", CodeIdempotencyConflict, e.Key, e.ExistingFingerprint, e.IncomingFingerprint)
}

// Code returns IDEMPOTENCY_CONFLICT.
func (e *IdempotencyConflictError) Code() Code { return CodeIdempotencyConflict }

// Is matches ErrIdempotencyConflict.
func (e *IdempotencyConflictError) Is(target error) bool {
	return sameCode(CodeIdempotencyConflict, target)
}

// VersionConflictError reports a document write whose expected version did
// not match. Expected 0 means "must not exist" (insert). Actual 0 means the
// document does not exist. Code VERSION_CONFLICT.
type VersionConflictError struct {
	Collection string
	Key        string
	Expected   int64
	Actual     int64
}

func (e *VersionConflictError) Error() string {
	return fmt.Sprintf("%s: document %s/%q: expected version %d, actual %d", CodeVersionConflict, e.Collection, e.Key, e.Expected, e.Actual)
}

// Code returns VERSION_CONFLICT.
func (e *VersionConflictError) Code() Code { return CodeVersionConflict }

// Is matches ErrVersionConflict.
func (e *VersionConflictError) Is(target error) bool { return sameCode(CodeVersionConflict, target) }
