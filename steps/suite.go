package steps

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/cucumber/godog"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/given"
	"github.com/eventspec/eventspec/store"
)

// Error codes of the step library.
const (
	// CodeDuplicateStep: two step definitions have the same pattern.
	CodeDuplicateStep es.Code = "DUPLICATE_STEP"
	// CodeAmbiguousStep: two step definitions can match the same text.
	CodeAmbiguousStep es.Code = "AMBIGUOUS_STEP"
	// CodeInvalidStep: a step definition is malformed (bad pattern, bad
	// function signature, arguments that do not fit the pattern).
	CodeInvalidStep es.Code = "INVALID_STEP"
	// CodeInvalidDomain: a domain registration (decider, handler, FSM,
	// invariant) is malformed or clashes with another.
	CodeInvalidDomain es.Code = "INVALID_DOMAIN"
	// CodeStepFailed: a Then step's expectation does not hold.
	CodeStepFailed es.Code = "STEP_FAILED"
)

// Keyword restricts the kind of step a definition matches, as godog does:
// Given matches context steps, When action steps, Then outcome steps, Any
// all of them ("And"/"But" take the kind of the step before them).
type Keyword string

// Keywords.
const (
	Any   Keyword = "Step"
	Given Keyword = "Given"
	When  Keyword = "When"
	Then  Keyword = "Then"
)

// stepDef is one registered step definition.
type stepDef struct {
	keyword Keyword
	pattern string
	re      *regexp.Regexp
	fn      any
	where   string // file:line of the registration
	samples []string
}

func (d *stepDef) String() string {
	return fmt.Sprintf("%s %q (%s)", d.keyword, d.pattern, d.where)
}

// Suite is a godog vocabulary: the built-in eventspec steps, the steps a
// project adds, and the domain they act on (types, deciders, handlers,
// FSMs, invariants). Build it with NewSuite, register the domain, then
// hand it to Run (or to godog through InitializeScenario).
//
// Registration never panics: every problem — a duplicate or ambiguous step
// pattern, a malformed step function, a clashing domain registration — is
// recorded, and Err reports them all. Run fails the test before any
// scenario runs when Err is not nil.
type Suite struct {
	// Registry holds the event and command types steps decode tables into.
	Registry *given.Registry
	// NewStore opens the store a scenario's handler steps use; it is
	// called at most once per scenario, on first use, and the store is
	// closed after the scenario. The default is a memstore on the World's
	// clock and ids.
	NewStore func(w *World) (store.Store, error)
	// Isolate prefixes every stream id the steps address with the
	// scenario's run id (true by default), so scenarios can share a store.
	Isolate bool

	mu          sync.Mutex
	steps       []*stepDef
	errs        []error
	checked     bool
	checkErr    error
	aggregates  map[string]*aggregate
	aggOrder    []string
	deciders    []*deciderEntry
	handlers    []*handlerEntry
	fsms        map[string]*fsmEntry
	fsmOrder    []string
	before      []func(*World) error
	runIDPrefix string
	runIDs      int
}

// NewSuite returns a suite with an empty registry and the built-in
// vocabulary registered (see the package documentation for the list).
func NewSuite() *Suite {
	s := &Suite{
		Registry:   given.NewRegistry(),
		Isolate:    true,
		aggregates: map[string]*aggregate{},
		fsms:       map[string]*fsmEntry{},
	}
	s.NewStore = defaultStore
	registerCommonSteps(s)
	registerDeciderSteps(s)
	registerHandlerSteps(s)
	registerFSMSteps(s)
	registerInvariantSteps(s)
	return s
}

// Given registers a step definition for context steps. pattern is a Go
// regular expression; ^ and $ are added when missing. fn is a function as
// godog accepts: an optional leading context.Context (which carries the
// World, see WorldFrom), one parameter per capture group (string, int,
// int64, float64, …), optionally a trailing *godog.Table or
// *godog.DocString, returning nothing, error, context.Context or
// (context.Context, error).
func (s *Suite) Given(pattern string, fn any) { s.add(Given, pattern, fn, 2) }

// When registers a step definition for action steps; see Given.
func (s *Suite) When(pattern string, fn any) { s.add(When, pattern, fn, 2) }

// Then registers a step definition for outcome steps; see Given.
func (s *Suite) Then(pattern string, fn any) { s.add(Then, pattern, fn, 2) }

// Step registers a step definition matching any kind of step; see Given.
func (s *Suite) Step(pattern string, fn any) { s.add(Any, pattern, fn, 2) }

// BeforeScenario runs fn on every new World, after the built-in setup.
func (s *Suite) BeforeScenario(fn func(*World) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.before = append(s.before, fn)
}

// Fail records a registration problem of the project's own (for example
// an error from registering types in the Registry) so that Err, and Run,
// report it. A nil err is ignored.
func (s *Suite) Fail(err error) {
	if err != nil {
		s.fail(err)
	}
}

// fail records a registration problem.
func (s *Suite) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errs = append(s.errs, err)
	s.checked = false
}

func (s *Suite) add(kw Keyword, pattern string, fn any, skip int) {
	where := "unknown"
	if _, file, line, ok := runtime.Caller(skip); ok {
		where = fmt.Sprintf("%s:%d", shortPath(file), line)
	}
	pattern = anchor(pattern)
	re, err := regexp.Compile(pattern)
	if err != nil {
		s.fail(es.Errorf(CodeInvalidStep, "step %s %q (%s): the pattern does not compile: %v", kw, pattern, where, err))
		return
	}
	def := &stepDef{keyword: kw, pattern: pattern, re: re, fn: fn, where: where}
	if err := checkStepFunc(def); err != nil {
		s.fail(err)
		return
	}
	samples, err := sampleTexts(pattern)
	if err != nil {
		s.fail(es.Errorf(CodeInvalidStep, "step %s: %v", def, err))
		return
	}
	for _, t := range samples {
		if re.MatchString(t) {
			def.samples = append(def.samples, t)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.steps = append(s.steps, def)
	s.checked = false
}

func shortPath(file string) string {
	parts := strings.Split(file, "/")
	if len(parts) > 2 {
		parts = parts[len(parts)-2:]
	}
	return strings.Join(parts, "/")
}

var (
	contextType   = reflect.TypeFor[context.Context]()
	errorType     = reflect.TypeFor[error]()
	tableType     = reflect.TypeFor[*godog.Table]()
	docStringType = reflect.TypeFor[*godog.DocString]()
	stepsType     = reflect.TypeFor[godog.Steps]()
)

// checkStepFunc checks fn's signature against godog's rules and the
// pattern's capture groups, so a mismatch fails at registration instead
// of in the middle of a run.
func checkStepFunc(d *stepDef) error {
	bad := func(format string, args ...any) error {
		return es.Errorf(CodeInvalidStep, "step %s: %s", d, fmt.Sprintf(format, args...))
	}
	t := reflect.TypeOf(d.fn)
	if t == nil || t.Kind() != reflect.Func {
		return bad("the step function is a %T, not a function", d.fn)
	}
	in := t.NumIn()
	first := 0
	if in > 0 && t.In(0) == contextType {
		first = 1
	}
	groups := d.re.NumSubexp()
	args := in - first
	extra := 0
	if args > 0 {
		if last := t.In(in - 1); last == tableType || last == docStringType {
			extra = 1
		}
	}
	if args-extra != groups {
		return bad("the pattern has %d capture group(s) but the function takes %d argument(s) for them", groups, args-extra)
	}
	for i := first; i < in-extra; i++ {
		switch p := t.In(i); p.Kind() {
		case reflect.String, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		default:
			if p != reflect.TypeFor[[]byte]() {
				return bad("argument %d has type %s, which godog cannot fill from a capture group", i+1, p)
			}
		}
	}
	switch t.NumOut() {
	case 0:
	case 1:
		if o := t.Out(0); o != errorType && o != contextType && o != stepsType {
			return bad("it returns %s; return nothing, error, context.Context or (context.Context, error)", o)
		}
	case 2:
		if t.Out(0) != contextType || t.Out(1) != errorType {
			return bad("it returns (%s, %s); return (context.Context, error)", t.Out(0), t.Out(1))
		}
	default:
		return bad("it returns %d values; return at most (context.Context, error)", t.NumOut())
	}
	return nil
}

// overlap reports whether two keywords can match the same step.
func overlap(a, b Keyword) bool { return a == Any || b == Any || a == b }

// Err reports every registration problem: malformed steps, clashing domain
// registrations, duplicate step patterns (DUPLICATE_STEP) and patterns
// that can match the same step text (AMBIGUOUS_STEP, found by matching
// sample texts generated from each pattern against the others). It
// returns nil when the suite is sound.
func (s *Suite) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.checked {
		return s.checkErr
	}
	errs := append([]error(nil), s.errs...)
	for i, a := range s.steps {
		for _, b := range s.steps[:i] {
			if !overlap(a.keyword, b.keyword) {
				continue
			}
			if a.pattern == b.pattern {
				errs = append(errs, es.Errorf(CodeDuplicateStep, "duplicate step pattern %q: registered at %s and again at %s", a.pattern, b.where, a.where))
				continue
			}
			if t, ok := sharedText(a, b); ok {
				errs = append(errs, es.Errorf(CodeAmbiguousStep, "ambiguous step patterns: %s and %s both match %q", b, a, t))
			}
		}
	}
	s.checked, s.checkErr = true, joinErrors(errs)
	return s.checkErr
}

func sharedText(a, b *stepDef) (string, bool) {
	for _, t := range a.samples {
		if b.re.MatchString(t) {
			return t, true
		}
	}
	for _, t := range b.samples {
		if a.re.MatchString(t) {
			return t, true
		}
	}
	return "", false
}

// joinErrors joins errs into one error whose message lists them one per
// line; nil when errs is empty.
func joinErrors(errs []error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return errors.Join(errs...)
}

// Patterns lists the registered step patterns with their keyword, sorted,
// e.g. "Then ^the decision should be \"(success|rejected|failed)\"$".
func (s *Suite) Patterns() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, len(s.steps))
	for i, d := range s.steps {
		out[i] = string(d.keyword) + " " + d.pattern
	}
	sort.Strings(out)
	return out
}

// InitializeScenario wires the suite into a godog scenario: a fresh World
// per scenario (in the context every step receives), every step
// definition, and the cleanup after the scenario. Use it as
// godog.TestSuite.ScenarioInitializer when not using Run; check Err first.
func (s *Suite) InitializeScenario(sc *godog.ScenarioContext) {
	s.mu.Lock()
	defs := append([]*stepDef(nil), s.steps...)
	s.mu.Unlock()
	sc.Before(func(ctx context.Context, p *godog.Scenario) (context.Context, error) {
		w, err := s.newWorld(p.Name)
		if err != nil {
			return ctx, err
		}
		return context.WithValue(ctx, worldKey{}, w), nil
	})
	sc.After(func(ctx context.Context, _ *godog.Scenario, _ error) (context.Context, error) {
		if w := WorldFrom(ctx); w != nil {
			return ctx, w.close()
		}
		return ctx, nil
	})
	for _, d := range defs {
		switch d.keyword {
		case Given:
			sc.Given(d.re, d.fn)
		case When:
			sc.When(d.re, d.fn)
		case Then:
			sc.Then(d.re, d.fn)
		default:
			sc.Step(d.re, d.fn)
		}
	}
}

// nextRunID returns a run id unique within the suite: "r", a tag derived
// from the suite's seed, "-" and a counter.
func (s *Suite) nextRunID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.runIDs++
	prefix := s.runIDPrefix
	if prefix == "" {
		prefix = "r0"
	}
	return fmt.Sprintf("%s-%d", prefix, s.runIDs)
}

// SetSeed derives the run ids of later scenarios from seed (Run does this
// with the godog seed), so runs with different seeds use different stream
// ids in a shared store.
func (s *Suite) SetSeed(seed int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := uint64(seed)
	s.runIDPrefix = "r" + strings.ToLower(fmt.Sprintf("%x", (u*0x9e3779b97f4a7c15)>>40))
	s.runIDs = 0
}
