package es_test

import (
	"sync"
	"testing"
	"time"

	"github.com/eventspec/eventspec/es"
)

func TestVirtualClock(t *testing.T) {
	c := es.NewVirtualClock(time.Time{})
	if !c.Now().Equal(es.DefaultVirtualStart) || es.DefaultVirtualStart != time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) {
		t.Fatalf("zero start gives %s, want %s", c.Now(), es.DefaultVirtualStart)
	}
	if got := c.Advance(90 * time.Second); !got.Equal(es.DefaultVirtualStart.Add(90*time.Second)) || !c.Now().Equal(got) {
		t.Errorf("Advance(90s) = %s, Now %s", got, c.Now())
	}
	before := c.Now()
	if got := c.Advance(-time.Hour); !got.Equal(before) {
		t.Errorf("a negative Advance moved the clock to %s", got)
	}
	if got := c.Set(before.Add(-time.Minute)); !got.Equal(before) {
		t.Errorf("Set into the past moved the clock to %s", got)
	}
	later := before.Add(time.Hour)
	if got := c.Set(later); !got.Equal(later) {
		t.Errorf("Set(%s) = %s", later, got)
	}

	zone := time.FixedZone("UTC+5", 5*3600)
	z := es.NewVirtualClock(time.Date(2030, 6, 1, 12, 0, 0, 0, zone))
	if z.Now().Location() != time.UTC || z.Now().Hour() != 7 {
		t.Errorf("start is not kept in UTC: %s", z.Now())
	}
	if z.Set(time.Date(2031, 1, 1, 0, 0, 0, 0, zone)).Location() != time.UTC {
		t.Errorf("Set does not keep UTC")
	}
}

func TestVirtualClockConcurrentAdvance(t *testing.T) {
	c := es.NewVirtualClock(es.DefaultVirtualStart)
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Advance(time.Second)
			_ = c.Now()
		}()
	}
	wg.Wait()
	if want := es.DefaultVirtualStart.Add(50 * time.Second); !c.Now().Equal(want) {
		t.Errorf("after 50 concurrent Advance(1s): %s, want %s", c.Now(), want)
	}
}

func TestRealClockIsUTC(t *testing.T) {
	if loc := (es.RealClock{}).Now().Location(); loc != time.UTC {
		t.Errorf("RealClock location %s, want UTC", loc)
	}
}

// TestVirtualClockZeroValueAndReads: a zero VirtualClock starts at the
// zero time and moves; Now reads without allocating.
func TestVirtualClockZeroValueAndReads(t *testing.T) {
	var z es.VirtualClock
	if !z.Now().IsZero() {
		t.Fatalf("zero VirtualClock: Now = %s, want the zero time", z.Now())
	}
	if got := z.Advance(time.Second); !got.Equal(time.Time{}.Add(time.Second)) || !z.Now().Equal(got) {
		t.Fatalf("zero VirtualClock Advance(1s) = %s, Now %s", got, z.Now())
	}
	c := es.NewVirtualClock(es.DefaultVirtualStart)
	if n := testing.AllocsPerRun(100, func() { _ = c.Now() }); n != 0 {
		t.Fatalf("Now allocates %v times, want 0", n)
	}
}
