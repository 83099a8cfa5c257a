// Package ratelimit is a rate limiter whose state lives in the store, so
// its limits hold across processes sharing the store (spec part 2 §7).
//
// A Limiter has a name and a policy — a TokenBucket or a FixedWindow — and
// keeps one document per key in a collection (default "rate_limits"). Each
// decision reads the key's document, computes the new state from the
// injected clock, and writes it back with a compare-and-set on the
// document version; a VERSION_CONFLICT (another process won the race)
// retries with fresh state, so concurrent callers never over-admit.
//
// All arithmetic is integral and in milliseconds: a bucket refills Rate
// tokens per Period exactly, with no floating-point drift, and the same
// clock readings give the same decisions on every machine.
package ratelimit

import (
	"context"
	"encoding/json"
	"math"
	"time"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/store"
)

// DefaultCollection holds the limiters' state documents.
const DefaultCollection = "rate_limits"

// DefaultMaxAttempts bounds the compare-and-set retries of one decision.
const DefaultMaxAttempts = 10

// Decision is a limiter's answer for one request.
type Decision struct {
	Allowed bool
	// RetryAfter is how long to wait before the request could pass (0 when
	// allowed).
	RetryAfter time.Duration
	// Remaining is the number of whole tokens (bucket) or requests (window)
	// left after this decision.
	Remaining int
}

// Checker decides for a key; *Limiter's Check is one. The middleware's
// rate limit takes a Checker, so any limiter can stand behind it.
type Checker func(ctx context.Context, key string) (Decision, error)

// Policy is a TokenBucket or a FixedWindow.
type Policy interface {
	validate() error
	kind() string
	// take consumes n from st at now (ms) and returns the new state and
	// the decision.
	take(st state, now int64, n int64) (state, Decision)
}

// state is a key's stored state.
type state struct {
	Policy string `json:"policy"`
	// Token bucket: Level in units of 1/PeriodMs token; At is the instant
	// (Unix ms) Level was computed. Fixed window: Level is the count in
	// the window that starts at At.
	Level int64 `json:"level"`
	At    int64 `json:"at"`
}

// TokenBucket admits bursts up to Capacity and refills Rate tokens per
// Period, continuously. A new key starts full.
type TokenBucket struct {
	Rate     int
	Period   time.Duration
	Capacity int
}

func (b TokenBucket) periodMs() int64 { return b.Period.Milliseconds() }

func (b TokenBucket) validate() error {
	if b.Rate < 1 || b.Capacity < 1 || b.Period < time.Millisecond {
		return es.Errorf(es.CodeInvalidArgument, "ratelimit: token bucket needs rate ≥ 1, capacity ≥ 1 and a period of at least 1ms (got %d, %d, %s)", b.Rate, b.Capacity, b.Period)
	}
	if int64(b.Capacity) > math.MaxInt64/4/b.periodMs() {
		return es.Errorf(es.CodeInvalidArgument, "ratelimit: token bucket capacity %d × period %s is too large", b.Capacity, b.Period)
	}
	return nil
}

func (TokenBucket) kind() string { return "token-bucket" }

func (b TokenBucket) take(st state, now, n int64) (state, Decision) {
	p, r := b.periodMs(), int64(b.Rate)
	full := int64(b.Capacity) * p
	level := full
	if st.Policy == b.kind() {
		level = st.Level
		if elapsed := now - st.At; elapsed > 0 {
			if elapsed >= (full-level)/r+1 {
				level = full
			} else {
				level = min(full, level+elapsed*r)
			}
		}
	}
	need := n * p
	if level >= need {
		level -= need
		return state{Policy: b.kind(), Level: level, At: max(now, st.At)}, Decision{Allowed: true, Remaining: int(level / p)}
	}
	wait := (need - level + r - 1) / r // ms until enough has refilled
	return state{Policy: b.kind(), Level: level, At: max(now, st.At)},
		Decision{RetryAfter: time.Duration(wait) * time.Millisecond, Remaining: int(level / p)}
}

// FixedWindow admits Rate requests per window of Period; windows are
// aligned to the Unix epoch, so every process agrees on them.
type FixedWindow struct {
	Rate   int
	Period time.Duration
}

func (w FixedWindow) validate() error {
	if w.Rate < 1 || w.Period < time.Millisecond {
		return es.Errorf(es.CodeInvalidArgument, "ratelimit: fixed window needs rate ≥ 1 and a period of at least 1ms (got %d, %s)", w.Rate, w.Period)
	}
	return nil
}

func (FixedWindow) kind() string { return "fixed-window" }

func (w FixedWindow) take(st state, now, n int64) (state, Decision) {
	p := w.Period.Milliseconds()
	start := now - ((now%p)+p)%p
	count := int64(0)
	if st.Policy == w.kind() && st.At == start {
		count = st.Level
	}
	if count+n <= int64(w.Rate) {
		count += n
		return state{Policy: w.kind(), Level: count, At: start}, Decision{Allowed: true, Remaining: int(int64(w.Rate) - count)}
	}
	return state{Policy: w.kind(), Level: count, At: start},
		Decision{RetryAfter: time.Duration(start+p-now) * time.Millisecond, Remaining: int(int64(w.Rate) - count)}
}

// Option configures a Limiter.
type Option func(*Limiter)

// WithCollection stores state in collection (default DefaultCollection).
func WithCollection(c string) Option { return func(l *Limiter) { l.coll = c } }

// WithMaxAttempts bounds compare-and-set retries (default
// DefaultMaxAttempts).
func WithMaxAttempts(n int) Option { return func(l *Limiter) { l.attempts = n } }

// Limiter is a named, store-backed rate limiter. It is safe for concurrent
// use, and several processes may share one store.
type Limiter struct {
	s        store.Store
	clock    es.Clock
	name     string
	policy   Policy
	coll     string
	attempts int
}

// New returns the limiter name with policy p over s, reading time from
// clock (use the store's). Invalid arguments are INVALID_ARGUMENT.
func New(s store.Store, clock es.Clock, name string, p Policy, opts ...Option) (*Limiter, error) {
	l := &Limiter{s: s, clock: clock, name: name, policy: p, coll: DefaultCollection, attempts: DefaultMaxAttempts}
	for _, o := range opts {
		o(l)
	}
	switch {
	case s == nil || clock == nil:
		return nil, es.Errorf(es.CodeInvalidArgument, "ratelimit %q: needs a store and a clock", name)
	case p == nil:
		return nil, es.Errorf(es.CodeInvalidArgument, "ratelimit %q: needs a policy", name)
	case l.attempts < 1:
		return nil, es.Errorf(es.CodeInvalidArgument, "ratelimit %q: max attempts %d must be at least 1", name, l.attempts)
	}
	if err := es.ValidateName(es.CodeInvalidArgument, "ratelimit: name", name); err != nil {
		return nil, err
	}
	if err := es.ValidateName(es.CodeInvalidCollection, "ratelimit: collection", l.coll); err != nil {
		return nil, err
	}
	if err := p.validate(); err != nil {
		return nil, err
	}
	return l, nil
}

// Name returns the limiter's name.
func (l *Limiter) Name() string { return l.name }

func (l *Limiter) docKey(key string) (string, error) {
	k := l.name + ":" + key
	if err := es.ValidateName(es.CodeInvalidKey, "ratelimit: key", k); err != nil {
		return "", err
	}
	return k, nil
}

// Check takes one token (or window slot) for key in its own unit of work.
// It implements Checker.
func (l *Limiter) Check(ctx context.Context, key string) (Decision, error) {
	return l.Limit(ctx, key, 1)
}

// Limit takes n for key in its own unit of work, retrying on concurrent
// updates. n must be at least 1 and fit the policy (at most Capacity or
// Rate), else INVALID_ARGUMENT. Do not call it from inside a unit of work
// of the same store; use LimitIn there.
func (l *Limiter) Limit(ctx context.Context, key string, n int) (Decision, error) {
	var d Decision
	var err error
	for range l.attempts {
		err = l.s.Atomic(ctx, func(tx store.Tx) error {
			var err error
			d, err = l.takeOnce(ctx, tx.Documents(), key, n)
			return err
		})
		if es.CodeOf(err) != es.CodeVersionConflict {
			return d, err
		}
	}
	return Decision{}, es.Wrap(es.CodeVersionConflict, err, "ratelimit %q: key %q still contended after %d attempts", l.name, key, l.attempts)
}

// LimitIn takes n for key through docs, the documents of the caller's unit
// of work, retrying on concurrent updates within it; the state commits or
// rolls back with the caller's work.
func (l *Limiter) LimitIn(ctx context.Context, docs store.Documents, key string, n int) (Decision, error) {
	var err error
	for range l.attempts {
		var d Decision
		d, err = l.takeOnce(ctx, docs, key, n)
		if es.CodeOf(err) != es.CodeVersionConflict {
			return d, err
		}
	}
	return Decision{}, es.Wrap(es.CodeVersionConflict, err, "ratelimit %q: key %q still contended after %d attempts", l.name, key, l.attempts)
}

func (l *Limiter) maxTake() int {
	switch p := l.policy.(type) {
	case TokenBucket:
		return p.Capacity
	case FixedWindow:
		return p.Rate
	}
	return math.MaxInt32
}

func (l *Limiter) takeOnce(ctx context.Context, docs store.Documents, key string, n int) (Decision, error) {
	if n < 1 || n > l.maxTake() {
		return Decision{}, es.Errorf(es.CodeInvalidArgument, "ratelimit %q: cannot take %d at once (1…%d)", l.name, n, l.maxTake())
	}
	k, err := l.docKey(key)
	if err != nil {
		return Decision{}, err
	}
	now := l.clock.Now().UnixMilli()
	doc, err := docs.Get(ctx, l.coll, k)
	exists := err == nil
	if err != nil && es.CodeOf(err) != es.CodeNotFound {
		return Decision{}, err
	}
	var st state
	if exists {
		if err := json.Unmarshal(doc.Data, &st); err != nil {
			return Decision{}, es.Wrap(es.CodeInternal, err, "ratelimit %q: state of %q does not decode", l.name, key)
		}
	}
	next, d := l.policy.take(st, now, int64(n))
	if exists && next == st {
		return d, nil // nothing changed (a denial at the same instant)
	}
	raw, err := json.Marshal(next)
	if err != nil {
		return Decision{}, es.Wrap(es.CodeInternal, err, "ratelimit %q: encoding state", l.name)
	}
	if exists {
		_, err = docs.Update(ctx, l.coll, k, doc.Version, raw)
	} else {
		_, err = docs.Insert(ctx, l.coll, k, raw)
	}
	if err != nil {
		return Decision{}, err
	}
	return d, nil
}
