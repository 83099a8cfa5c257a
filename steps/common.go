package steps

import (
	"context"
	"strings"
	"time"

	"github.com/cucumber/godog"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/given"
)

var units = map[string]time.Duration{
	"millisecond": time.Millisecond,
	"second":      time.Second,
	"minute":      time.Minute,
	"hour":        time.Hour,
	"day":         24 * time.Hour,
}

const unitPattern = `(millisecond|second|minute|hour|day)s?`

// registerCommonSteps adds the time and error vocabulary.
func registerCommonSteps(s *Suite) {
	advance := func(ctx context.Context, n int, unit string) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		w.Clock.Advance(time.Duration(n) * units[unit])
		return nil
	}
	s.When(`^(\d+) `+unitPattern+` pass(?:es)?$`, advance)
	s.When(`^I advance time by (\d+) `+unitPattern+`$`, advance)
	s.Given(`^the time is "([^"]*)"$`, func(ctx context.Context, at string) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		t, err := time.Parse(time.RFC3339Nano, at)
		if err != nil {
			return es.Errorf(es.CodeInvalidArgument, "the time %q is not RFC 3339", at)
		}
		if t.Before(w.Clock.Now()) {
			return es.Errorf(es.CodeInvalidArgument, "the time %s is before the scenario clock (%s): virtual time never runs backwards", at, w.Clock.Now().Format(time.RFC3339Nano))
		}
		w.Clock.Set(t)
		return nil
	})
	s.Then(`^the time should be "([^"]*)"$`, func(ctx context.Context, at string) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		return asFailure(given.ExpectValue("the time", w.Clock.Now(), at))
	})

	s.Then(`^no error should (?:have occurred|occur)$`, func(ctx context.Context) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		if w.LastErr != nil {
			return failf("expected no error, got %v", w.LastErr)
		}
		return nil
	})
	s.Then(`^an error should (?:have occurred|occur)$`, func(ctx context.Context) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		if w.LastErr == nil {
			return failf("expected an error, got none (result %s)", given.Render(w.LastResult))
		}
		return nil
	})
	s.Then(`^the error code should be "([^"]*)"$`, func(ctx context.Context, code string) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		if w.LastErr == nil {
			return failf("expected an error with code %s, got no error (result %s)", code, given.Render(w.LastResult))
		}
		if got := es.CodeOf(w.LastErr); string(got) != code {
			return failf("expected error code %s, got %q: %v", code, got, w.LastErr)
		}
		return nil
	})
	s.Then(`^the error message should be "(.*)"$`, func(ctx context.Context, msg string) error {
		return errorMessage(ctx, msg, false)
	})
	s.Then(`^the error message should be:$`, func(ctx context.Context, doc *godog.DocString) error {
		return errorMessage(ctx, doc.Content, false)
	})
	s.Then(`^the error message should contain "(.*)"$`, func(ctx context.Context, msg string) error {
		return errorMessage(ctx, msg, true)
	})
	s.Then(`^the result should be (.+)$`, func(ctx context.Context, want string) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		if w.LastErr != nil {
			return failf("expected result %s, got %v", want, w.LastErr)
		}
		return asFailure(given.ExpectValue("result", w.LastResult, unquote(want)))
	})
}

// errorMessage compares the last error's message with want. The message
// is the error's text, without its "<CODE>: " prefix when it has one.
func errorMessage(ctx context.Context, want string, contains bool) error {
	w, err := world(ctx)
	if err != nil {
		return err
	}
	if w.LastErr == nil {
		return failf("expected an error with message %q, got no error", want)
	}
	full := w.LastErr.Error()
	bare := full
	if c := es.CodeOf(w.LastErr); c != "" {
		bare = strings.TrimPrefix(full, string(c)+": ")
	}
	if contains {
		if strings.Contains(full, want) {
			return nil
		}
		return failf("expected the error message to contain %q, got %q", want, full)
	}
	if full == want || bare == want {
		return nil
	}
	return failf("expected the error message\n  %q\ngot\n  %q", want, bare)
}

// asFailure turns an expectation error into a step failure with the same
// text, keeping nil as nil.
func asFailure(err error) error {
	if err == nil {
		return nil
	}
	if es.CodeOf(err) == given.CodeMismatch {
		return failf("%s", strings.TrimPrefix(err.Error(), string(given.CodeMismatch)+": "))
	}
	return err
}
