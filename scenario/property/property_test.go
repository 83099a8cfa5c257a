package property_test

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/eventspec/eventspec/platform/decider"
	"github.com/eventspec/eventspec/scenario/internal/testdomain"
	"github.com/eventspec/eventspec/scenario/property"
	"pgregory.net/rapid"
)

func TestMain(m *testing.M) {
	flag.Parse()
	// The tests below make rapid fail on purpose; do not leave fail files
	// in testdata/.
	_ = flag.Set("rapid.nofailfile", "true")
	os.Exit(m.Run())
}

// fakeTB is a rapid.TB that records failures instead of failing the test.
type fakeTB struct {
	name   string
	failed bool
	errors []string
	logs   []string
}

func (f *fakeTB) Helper()      {}
func (f *fakeTB) Name() string { return f.name }
func (f *fakeTB) Logf(format string, args ...any) {
	f.logs = append(f.logs, fmt.Sprintf(format, args...))
}
func (f *fakeTB) Log(args ...any)                  { f.logs = append(f.logs, fmt.Sprint(args...)) }
func (f *fakeTB) Skipf(format string, args ...any) { panic("skip") }
func (f *fakeTB) Skip(args ...any)                 { panic("skip") }
func (f *fakeTB) SkipNow()                         { panic("skip") }
func (f *fakeTB) Errorf(format string, args ...any) {
	f.failed = true
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}
func (f *fakeTB) Error(args ...any) {
	f.failed = true
	f.errors = append(f.errors, fmt.Sprint(args...))
}
func (f *fakeTB) Fatalf(format string, args ...any) { f.Errorf(format, args...) }
func (f *fakeTB) Fatal(args ...any)                 { f.Error(args...) }
func (f *fakeTB) FailNow()                          { f.failed = true }
func (f *fakeTB) Fail()                             { f.failed = true }
func (f *fakeTB) Failed() bool                      { return f.failed }

var commands = rapid.OneOf(
	rapid.Map(rapid.SampledFrom([]string{"", "o1"}), func(id string) testdomain.Command { return testdomain.Place{ID: id, Customer: "c1"} }),
	rapid.Custom(func(t *rapid.T) testdomain.Command {
		return testdomain.AddItem{
			SKU:   rapid.SampledFrom([]string{"a", "b"}).Draw(t, "sku"),
			Qty:   rapid.IntRange(-1, 5).Draw(t, "qty"),
			Price: rapid.IntRange(0, 600).Draw(t, "price"),
		}
	}),
	rapid.Just[testdomain.Command](testdomain.Submit{}),
	rapid.Just[testdomain.Command](testdomain.Confirm{By: "bob"}),
	rapid.Just[testdomain.Command](testdomain.Cancel{Reason: "changed mind"}),
)

func model() property.Model[testdomain.Order, testdomain.Command, testdomain.Event] {
	return property.Model[testdomain.Order, testdomain.Command, testdomain.Event]{
		Decider:    testdomain.Decider,
		Commands:   property.Always[testdomain.Order](commands),
		Invariants: testdomain.Invariants,
		Codec:      testdomain.Codec,
	}
}

func TestCorrectDeciderPasses(t *testing.T) {
	property.Check(t, model())
}

func TestTry(t *testing.T) {
	m := model()
	d := m.Decider
	d.Decide = func(o testdomain.Order, c testdomain.Command, ctx decider.Context) decider.Outcome[testdomain.Event] {
		if _, ok := c.(testdomain.Confirm); ok && o.Status == testdomain.StatusSubmitted {
			return decider.Success[testdomain.Event](testdomain.Confirmed{By: "bob"})
		}
		return testdomain.Decide(o, c, ctx)
	}
	m.Decider = d
	f := &fakeTB{name: t.Name()}
	property.Check(f, m)
	t.Log(strings.Join(f.errors, "\n"))
}
