package ratelimit_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/memstore"
	"github.com/eventspec/eventspec/platform/middleware/ratelimit"
	"github.com/eventspec/eventspec/store"
)

func newLimiter(t *testing.T, p ratelimit.Policy) (*ratelimit.Limiter, *memstore.Store, *es.VirtualClock) {
	t.Helper()
	clk := es.NewVirtualClock(time.Time{})
	s := memstore.New(memstore.WithClock(clk))
	l, err := ratelimit.New(s, clk, "commandDispatch", p)
	if err != nil {
		t.Fatal(err)
	}
	return l, s, clk
}

func take(t *testing.T, l *ratelimit.Limiter, key string, n int) ratelimit.Decision {
	t.Helper()
	d, err := l.Limit(context.Background(), key, n)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestTokenBucket(t *testing.T) {
	// 100 per minute, capacity 100 (the roadmap's scenario).
	l, _, clk := newLimiter(t, ratelimit.TokenBucket{Rate: 100, Period: time.Minute, Capacity: 100})
	if d := take(t, l, "user:alice", 50); !d.Allowed || d.Remaining != 50 {
		t.Fatalf("first 50 = %+v", d)
	}
	if d := take(t, l, "user:alice", 1); !d.Allowed || d.Remaining != 49 {
		t.Errorf("51st = %+v (51 consumed)", d)
	}
	if d := take(t, l, "user:alice", 49); !d.Allowed || d.Remaining != 0 {
		t.Errorf("to 100 = %+v", d)
	}
	d := take(t, l, "user:alice", 1)
	if d.Allowed || d.RetryAfter != 600*time.Millisecond || d.Remaining != 0 {
		t.Errorf("101st = %+v, want denied with retry 600ms (one token per 0.6s)", d)
	}
	clk.Advance(599 * time.Millisecond)
	if d := take(t, l, "user:alice", 1); d.Allowed || d.RetryAfter != time.Millisecond {
		t.Errorf("at 599ms = %+v", d)
	}
	clk.Advance(time.Millisecond)
	if d := take(t, l, "user:alice", 1); !d.Allowed {
		t.Errorf("at 600ms = %+v", d)
	}
	// Depleted bucket refills 50 tokens in 30s.
	clk.Advance(30 * time.Second)
	if d := take(t, l, "user:alice", 50); !d.Allowed || d.Remaining != 0 {
		t.Errorf("after 30s = %+v", d)
	}
	// Never above capacity.
	clk.Advance(24 * time.Hour)
	if d := take(t, l, "user:alice", 1); !d.Allowed || d.Remaining != 99 {
		t.Errorf("after a day = %+v", d)
	}
	// Keys are isolated.
	if d := take(t, l, "user:bob", 100); !d.Allowed {
		t.Errorf("bob = %+v", d)
	}
	if d := take(t, l, "user:alice:CreateOrder", 100); !d.Allowed {
		t.Errorf("alice/CreateOrder = %+v", d)
	}
}

func TestTokenBucketBurstCapacity(t *testing.T) {
	// 100/min with capacity 150: a burst of 150, then 100 per minute.
	l, _, clk := newLimiter(t, ratelimit.TokenBucket{Rate: 100, Period: time.Minute, Capacity: 150})
	if d := take(t, l, "k", 150); !d.Allowed {
		t.Fatalf("burst = %+v", d)
	}
	clk.Advance(time.Minute)
	if d := take(t, l, "k", 101); d.Allowed || d.RetryAfter != 600*time.Millisecond || d.Remaining != 100 {
		t.Errorf("101 after a minute = %+v", d)
	}
	if d := take(t, l, "k", 100); !d.Allowed || d.Remaining != 0 {
		t.Errorf("100 after a minute = %+v", d)
	}
}

func TestFixedWindow(t *testing.T) {
	// adminOperations: 10 per hour, windows aligned to the epoch.
	l, _, clk := newLimiter(t, ratelimit.FixedWindow{Rate: 10, Period: time.Hour})
	clk.Advance(15 * time.Minute)
	for i := range 10 {
		if d := take(t, l, "admin", 1); !d.Allowed || d.Remaining != 9-i {
			t.Fatalf("request %d = %+v", i+1, d)
		}
	}
	d := take(t, l, "admin", 1)
	if d.Allowed || d.RetryAfter != 45*time.Minute {
		t.Errorf("11th = %+v, want retry at the next window (45m)", d)
	}
	clk.Advance(45*time.Minute - time.Millisecond)
	if d := take(t, l, "admin", 1); d.Allowed || d.RetryAfter != time.Millisecond {
		t.Errorf("just before the window = %+v", d)
	}
	clk.Advance(time.Millisecond)
	if d := take(t, l, "admin", 3); !d.Allowed || d.Remaining != 7 {
		t.Errorf("new window = %+v", d)
	}
}

func TestStateIsInTheStoreAndSharedAcrossLimiters(t *testing.T) {
	l, s, clk := newLimiter(t, ratelimit.TokenBucket{Rate: 10, Period: time.Minute, Capacity: 10})
	take(t, l, "k", 7)
	// A second limiter (another process) over the same store sees the state.
	other, err := ratelimit.New(s, clk, "commandDispatch", ratelimit.TokenBucket{Rate: 10, Period: time.Minute, Capacity: 10})
	if err != nil {
		t.Fatal(err)
	}
	if d := take(t, other, "k", 4); d.Allowed || d.Remaining != 3 {
		t.Errorf("other process = %+v", d)
	}
	var raw string
	err = s.Atomic(context.Background(), func(tx store.Tx) error {
		d, err := tx.Documents().Get(context.Background(), ratelimit.DefaultCollection, "commandDispatch:k")
		raw = string(d.Data)
		return err
	})
	if err != nil || raw != fmt.Sprintf(`{"policy":"token-bucket","level":180000,"at":%d}`, es.DefaultVirtualStart.UnixMilli()) {
		t.Errorf("stored = %s %v", raw, err)
	}
	// Different names do not share state.
	named, _ := ratelimit.New(s, clk, "adminOperations", ratelimit.TokenBucket{Rate: 10, Period: time.Minute, Capacity: 10})
	if d := take(t, named, "k", 10); !d.Allowed {
		t.Errorf("other name = %+v", d)
	}
}

func TestLimitInJoinsTheCallersUnitOfWork(t *testing.T) {
	l, s, _ := newLimiter(t, ratelimit.FixedWindow{Rate: 2, Period: time.Minute})
	ctx := context.Background()
	rollback := errors.New("rollback")
	err := s.Atomic(ctx, func(tx store.Tx) error {
		d, err := l.LimitIn(ctx, tx.Documents(), "k", 2)
		if err != nil || !d.Allowed {
			t.Errorf("LimitIn = %+v %v", d, err)
		}
		return rollback
	})
	if err != rollback {
		t.Fatal(err)
	}
	if d := take(t, l, "k", 2); !d.Allowed {
		t.Errorf("consumption survived a rollback: %+v", d)
	}
}

func TestConcurrentConsumptionNeverOverAdmits(t *testing.T) {
	l, _, _ := newLimiter(t, ratelimit.TokenBucket{Rate: 1, Period: time.Hour, Capacity: 10})
	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				d, err := l.Check(context.Background(), "hot")
				if err != nil {
					t.Error(err)
					return
				}
				if d.Allowed {
					mu.Lock()
					allowed++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if allowed != 10 {
		t.Errorf("allowed %d of 40, want exactly the capacity 10", allowed)
	}
}

// conflictingDocs makes the first n updates fail with VERSION_CONFLICT, as
// a competing process would.
type conflictingDocs struct {
	store.Documents
	n int
}

func (c *conflictingDocs) Update(ctx context.Context, coll, key string, expected int64, data json.RawMessage) (store.Document, error) {
	if c.n > 0 {
		c.n--
		return store.Document{}, &es.VersionConflictError{Collection: coll, Key: key, Expected: expected, Actual: expected + 1}
	}
	return c.Documents.Update(ctx, coll, key, expected, data)
}

func TestRetriesOnVersionConflict(t *testing.T) {
	l, s, _ := newLimiter(t, ratelimit.FixedWindow{Rate: 5, Period: time.Minute})
	take(t, l, "k", 1) // create the document
	ctx := context.Background()
	err := s.Atomic(ctx, func(tx store.Tx) error {
		d, err := l.LimitIn(ctx, &conflictingDocs{Documents: tx.Documents(), n: 3}, "k", 1)
		if err != nil || !d.Allowed || d.Remaining != 3 {
			t.Errorf("after 3 conflicts = %+v %v", d, err)
		}
		_, err = l.LimitIn(ctx, &conflictingDocs{Documents: tx.Documents(), n: ratelimit.DefaultMaxAttempts}, "k", 1)
		if es.CodeOf(err) != es.CodeVersionConflict || !strings.Contains(err.Error(), "still contended after 10 attempts") {
			t.Errorf("always conflicting = %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestValidation(t *testing.T) {
	clk := es.NewVirtualClock(time.Time{})
	s := memstore.New()
	good := ratelimit.TokenBucket{Rate: 1, Period: time.Second, Capacity: 1}
	for name, tc := range map[string]struct {
		s    store.Store
		name string
		p    ratelimit.Policy
		opts []ratelimit.Option
		code es.Code
	}{
		"no store":      {nil, "n", good, nil, es.CodeInvalidArgument},
		"no policy":     {s, "n", nil, nil, es.CodeInvalidArgument},
		"empty name":    {s, "", good, nil, es.CodeInvalidArgument},
		"zero rate":     {s, "n", ratelimit.TokenBucket{Period: time.Second, Capacity: 1}, nil, es.CodeInvalidArgument},
		"tiny period":   {s, "n", ratelimit.FixedWindow{Rate: 1, Period: time.Microsecond}, nil, es.CodeInvalidArgument},
		"huge bucket":   {s, "n", ratelimit.TokenBucket{Rate: 1, Period: 1e6 * time.Hour, Capacity: 1 << 40}, nil, es.CodeInvalidArgument},
		"bad attempts":  {s, "n", good, []ratelimit.Option{ratelimit.WithMaxAttempts(0)}, es.CodeInvalidArgument},
		"bad collecton": {s, "n", good, []ratelimit.Option{ratelimit.WithCollection("")}, es.CodeInvalidCollection},
	} {
		if _, err := ratelimit.New(tc.s, clk, tc.name, tc.p, tc.opts...); es.CodeOf(err) != tc.code {
			t.Errorf("%s: %v, want %s", name, err, tc.code)
		}
	}
	l, _ := ratelimit.New(s, clk, "n", good, ratelimit.WithCollection("limits"))
	if l.Name() != "n" {
		t.Error("Name")
	}
	for _, n := range []int{0, 2} {
		if _, err := l.Limit(context.Background(), "k", n); es.CodeOf(err) != es.CodeInvalidArgument {
			t.Errorf("take %d: %v", n, err)
		}
	}
	if _, err := l.Check(context.Background(), "bad\x00key"); es.CodeOf(err) != es.CodeInvalidKey {
		t.Errorf("control character key: %v", err)
	}
}

func ExampleLimiter() {
	clock := es.NewVirtualClock(time.Time{})
	s := memstore.New(memstore.WithClock(clock))
	limiter, _ := ratelimit.New(s, clock, "testLimit", ratelimit.TokenBucket{Rate: 10, Period: time.Minute, Capacity: 10})
	ctx := context.Background()
	for range 10 {
		_, _ = limiter.Check(ctx, "user:alice")
	}
	d, _ := limiter.Check(ctx, "user:alice")
	fmt.Println(d.Allowed, d.RetryAfter)
	clock.Advance(6 * time.Second)
	d, _ = limiter.Check(ctx, "user:alice")
	fmt.Println(d.Allowed, d.Remaining)
	// Output:
	// false 6s
	// true 0
}
