package store

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/eventspec/eventspec/es"
)

func TestDocumentValidators(t *testing.T) {
	for _, c := range []struct {
		err  error
		code es.Code
	}{
		{ValidateDocumentRef("", "k"), es.CodeInvalidCollection},
		{ValidateDocumentRef("c", "k\x00"), es.CodeInvalidKey},
		{ValidateDocumentRef("c", "k"), ""},
		{ValidateDocumentData("c", "k", nil), es.CodeInvalidArgument},
		{ValidateDocumentData("c", "k", json.RawMessage(`{`)), es.CodeInvalidArgument},
		{ValidateDocumentData("c", "k", json.RawMessage(`"`+strings.Repeat("x", es.MaxPayloadBytes)+`"`)), es.CodePayloadTooLarge},
		{ValidateDocumentData("c", "k", json.RawMessage(`{}`)), ""},
		{ValidateExpectedDocVersion("c", "k", -1), es.CodeInvalidArgument},
		{ValidateExpectedDocVersion("c", "k", 0), ""},
		{ValidateLease(Lease{}), es.CodeInvalidArgument},
		{ValidateLease(Lease{JobID: "j"}), ""},
	} {
		if got := es.CodeOf(c.err); got != c.code {
			t.Errorf("got %q (%v), want %q", got, c.err, c.code)
		}
	}
}

func TestValidateClaim(t *testing.T) {
	if _, err := ValidateClaim(0, 0); es.CodeOf(err) != es.CodeInvalidArgument {
		t.Errorf("max 0: %v", err)
	}
	if _, err := ValidateClaim(1, -time.Second); es.CodeOf(err) != es.CodeInvalidArgument {
		t.Errorf("negative lease: %v", err)
	}
	if l, err := ValidateClaim(1, 0); err != nil || l != DefaultLease {
		t.Errorf("lease 0: %v %v, want the default", l, err)
	}
	if l, err := ValidateClaim(3, time.Minute); err != nil || l != time.Minute {
		t.Errorf("lease 1m: %v %v", l, err)
	}
}
