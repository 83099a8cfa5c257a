package es_test

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/eventspec/eventspec/es"
)

func TestErrorCodesIsAndAs(t *testing.T) {
	after := es.Position(3)
	cases := []struct {
		err      error
		code     es.Code
		sentinel error
		text     string
	}{
		{&es.ConcurrencyError{Stream: "s", Expected: es.Exact(2), Actual: 3}, es.CodeConcurrency, es.ErrConcurrency,
			`CONCURRENCY_CONFLICT: stream "s": expected version 2, actual 3`},
		{&es.ConcurrencyError{Stream: "s", Expected: es.NoStream, Actual: 1}, es.CodeConcurrency, es.ErrConcurrency,
			`CONCURRENCY_CONFLICT: stream "s": expected version no-stream, actual 1`},
		{&es.ConditionFailedError{Condition: es.FailIfMatch(es.Tags("c:1")).WithAfter(after)}, es.CodeAppendCondition, es.ErrAppendCondition,
			"APPEND_CONDITION_FAILED: an event matching [tags(c:1)] exists at a position after 3"},
		{&es.ConditionFailedError{Condition: es.FailIfMatch(es.All())}, es.CodeAppendCondition, es.ErrAppendCondition,
			"APPEND_CONDITION_FAILED: an event matching All exists at any position"},
		{&es.IdempotencyConflictError{Key: "k", ExistingFingerprint: "aa", IncomingFingerprint: "bb"}, es.CodeIdempotencyConflict, es.ErrIdempotencyConflict,
			`IDEMPOTENCY_CONFLICT: idempotency key "k" was used with fingerprint aa, not bb`},
		{&es.VersionConflictError{Collection: "c", Key: "k", Expected: 1, Actual: 2}, es.CodeVersionConflict, es.ErrVersionConflict,
			`VERSION_CONFLICT: document c/"k": expected version 1, actual 2`},
		{es.Errorf(es.CodeNotFound, "job %q not found", "j"), es.CodeNotFound, es.ErrNotFound, `NOT_FOUND: job "j" not found`},
		{es.Wrap(es.CodeInternal, io.EOF, "reading %s", "x"), es.CodeInternal, &es.Error{ErrCode: es.CodeInternal}, "INTERNAL: reading x: EOF"},
	}
	for _, c := range cases {
		if got := c.err.Error(); got != c.text {
			t.Errorf("Error() = %q, want %q", got, c.text)
		}
		wrapped := fmt.Errorf("handler: %w", c.err)
		for _, err := range []error{c.err, wrapped} {
			if got := es.CodeOf(err); got != c.code {
				t.Errorf("CodeOf(%v) = %q, want %q", err, got, c.code)
			}
			if !errors.Is(err, c.sentinel) {
				t.Errorf("errors.Is(%v, sentinel %s) is false", err, c.code)
			}
			if errors.Is(err, es.ErrLeaseLost) {
				t.Errorf("errors.Is(%v, ErrLeaseLost) is true", err)
			}
		}
	}

	var ce *es.ConcurrencyError
	if !errors.As(fmt.Errorf("x: %w", cases[0].err), &ce) || ce.Actual != 3 || ce.Expected != es.Exact(2) {
		t.Errorf("errors.As to *ConcurrencyError failed: %+v", ce)
	}
	var vc *es.VersionConflictError
	if !errors.As(cases[5].err, &vc) || vc.Key != "k" {
		t.Errorf("errors.As to *VersionConflictError failed")
	}
	wrappedEOF := cases[7].err
	if !errors.Is(wrappedEOF, io.EOF) || errors.Unwrap(wrappedEOF) != io.EOF {
		t.Errorf("Wrap does not expose its cause")
	}
	for _, err := range []error{nil, io.EOF, fmt.Errorf("plain")} {
		if got := es.CodeOf(err); got != "" {
			t.Errorf("CodeOf(%v) = %q, want empty", err, got)
		}
	}
	if !errors.Is(es.Errorf(es.CodeConcurrency, "x"), &es.ConcurrencyError{}) {
		t.Errorf("a generic CONCURRENCY_CONFLICT error is not a *ConcurrencyError by errors.Is")
	}
}

func TestSentinelsCarryTheirCodes(t *testing.T) {
	for sentinel, code := range map[*es.Error]es.Code{
		es.ErrConcurrency: es.CodeConcurrency, es.ErrAppendCondition: es.CodeAppendCondition,
		es.ErrIdempotencyConflict: es.CodeIdempotencyConflict, es.ErrEmptyAppend: es.CodeEmptyAppend,
		es.ErrTooManyEvents: es.CodeTooManyEvents, es.ErrPayloadTooLarge: es.CodePayloadTooLarge,
		es.ErrInvalidStreamID: es.CodeInvalidStreamID, es.ErrInvalidQuery: es.CodeInvalidQuery,
		es.ErrInvalidEvent: es.CodeInvalidEvent, es.ErrInvalidTag: es.CodeInvalidTag,
		es.ErrInvalidArgument: es.CodeInvalidArgument, es.ErrInvalidCollection: es.CodeInvalidCollection,
		es.ErrInvalidKey: es.CodeInvalidKey, es.ErrNotFound: es.CodeNotFound,
		es.ErrVersionConflict: es.CodeVersionConflict, es.ErrLeaseLost: es.CodeLeaseLost,
		es.ErrInjectedFault: es.CodeInjectedFault, es.ErrClosed: es.CodeClosed,
		es.ErrSchemaMismatch: es.CodeSchemaMismatch, es.ErrTransactionAborted: es.CodeTransactionAborted,
		es.ErrUnsupported: es.CodeUnsupported,
	} {
		if sentinel.Code() != code || es.CodeOf(sentinel) != code {
			t.Errorf("sentinel %v has code %s, want %s", sentinel, sentinel.Code(), code)
		}
		if !errors.Is(es.Errorf(code, "some message"), sentinel) {
			t.Errorf("an error with code %s is not errors.Is its sentinel", code)
		}
	}
}
