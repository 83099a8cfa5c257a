// Package invariant declares domain rules once — a predicate, a message, a
// code and optional context details — and uses them three ways: as a
// boolean Check, as an Assert that returns an *Error, and as a Validate that
// never fails but describes the violation. Invariants group into a Set
// whose ValidateAll collects every violation in declaration order.
//
// Semantics (spec patterns-core §26):
//
//   - An *Error carries a code, a message and optional context data; its
//     Name is "InvariantError", or "<Context>InvariantError" for errors made
//     by a Class from ForContext("<Context>"). IsInvariantError and HasCode
//     recognise them anywhere in an error chain, and es.CodeOf returns the
//     code.
//   - Assert returns nil when the invariant holds, else an *Error built by
//     the invariant's Class with its code, message and context (nil Data
//     when the invariant has no Context function).
//   - Validate returns Result{Valid: true}, or Valid false with the code,
//     message and context.
//   - A Set copies its invariants; CheckAll is true when all hold, AssertAll
//     returns the first violation in order (fail-fast), ValidateAll
//     evaluates every invariant. An empty set always passes.
//
// Parameterised invariants (a rule that needs an argument besides the
// state, such as a maximum) are declared with New2 and bound to their
// argument with Bind, which yields a plain Invariant usable in a Set.
package invariant

import (
	"errors"
	"fmt"
	"slices"

	"github.com/eventspec/eventspec/es"
)

// CodeInvalidDefinition is the code New returns for a malformed Def.
const CodeInvalidDefinition es.Code = "INVARIANT_INVALID_DEFINITION"

// Error is a violated invariant. Code, Message and Data (the violation's
// context details, nil when none were supplied) describe it; Context names
// the error's class ("" for the base class, "Order" for OrderInvariantError).
type Error struct {
	Context string
	ErrCode string
	Message string
	Data    map[string]any
}

// Name returns "InvariantError" or "<Context>InvariantError".
func (e *Error) Name() string { return e.Context + "InvariantError" }

// Error renders "<Name> <code>: <message>".
func (e *Error) Error() string { return fmt.Sprintf("%s %s: %s", e.Name(), e.ErrCode, e.Message) }

// Code returns the invariant's code, so es.CodeOf works on invariant errors.
func (e *Error) Code() es.Code { return es.Code(e.ErrCode) }

// Is matches another *Error with the same class and code, so
// errors.Is(err, invariant.ForContext("Order").New("X", "", nil)) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Context == e.Context && t.ErrCode == e.ErrCode
}

// Class makes invariant errors of one kind. The zero Class (Base) makes
// plain InvariantErrors; ForContext("Order") makes OrderInvariantErrors.
// Every class's errors are *Error, so IsInvariantError is true for all.
type Class struct {
	context string
}

// Base is the class of plain InvariantErrors.
var Base = Class{}

// ForContext returns the class of errors named "<context>InvariantError".
// Different contexts give different classes.
func ForContext(context string) Class { return Class{context: context} }

// Name returns the class name, e.g. "OrderInvariantError".
func (c Class) Name() string { return c.context + "InvariantError" }

// New builds an error of the class. data may be nil.
func (c Class) New(code, message string, data map[string]any) *Error {
	return &Error{Context: c.context, ErrCode: code, Message: message, Data: data}
}

// Owns reports whether err's chain holds an *Error of this class.
func (c Class) Owns(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Context == c.context
}

// NewError builds a plain InvariantError (Base.New).
func NewError(code, message string, data map[string]any) *Error {
	return Base.New(code, message, data)
}

// IsInvariantError reports whether err's chain holds an *Error of any class.
func IsInvariantError(err error) bool {
	var e *Error
	return errors.As(err, &e)
}

// HasCode reports whether err's chain holds an *Error with code.
func HasCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.ErrCode == code
}

// Def declares an invariant over state S.
type Def[S any] struct {
	// Name identifies the invariant, e.g. "orderHasItems". Required.
	Name string
	// Code is the stable code of a violation, e.g. "ORDER_HAS_NO_ITEMS".
	// Required.
	Code string
	// Check reports whether the invariant holds. Required.
	Check func(state S) bool
	// Message describes a violation. Optional: the default is
	// "invariant <Name> violated".
	Message func(state S) string
	// Context returns details of a violation. Optional.
	Context func(state S) map[string]any
	// Class makes the error Assert returns; the zero value is Base.
	Class Class
}

// Invariant is a declared rule over S. Build it with New (or Must(New(…))).
type Invariant[S any] struct {
	def Def[S]
}

// New checks d and returns its invariant. A missing name, code or check
// function is an INVARIANT_INVALID_DEFINITION error.
func New[S any](d Def[S]) (Invariant[S], error) {
	if err := checkDef(d.Name, d.Code, d.Check != nil); err != nil {
		return Invariant[S]{}, err
	}
	return Invariant[S]{def: d}, nil
}

func checkDef(name, code string, hasCheck bool) error {
	switch {
	case name == "":
		return es.Errorf(CodeInvalidDefinition, "invariant has no name")
	case code == "":
		return es.Errorf(CodeInvalidDefinition, "invariant %q has no code", name)
	case !hasCheck:
		return es.Errorf(CodeInvalidDefinition, "invariant %q has no check function", name)
	}
	return nil
}

// Must returns inv and panics when err is not nil. Use it for invariants
// declared at package level, like regexp.MustCompile.
func Must[S any](inv Invariant[S], err error) Invariant[S] {
	if err != nil {
		panic(err)
	}
	return inv
}

// Name returns the invariant's name.
func (i Invariant[S]) Name() string { return i.def.Name }

// Code returns the invariant's code.
func (i Invariant[S]) Code() string { return i.def.Code }

// Check reports whether the invariant holds for state.
func (i Invariant[S]) Check(state S) bool { return i.def.Check(state) }

// Assert returns nil when the invariant holds for state, else an *Error of
// the invariant's class with its code, message and context.
func (i Invariant[S]) Assert(state S) error {
	if i.def.Check(state) {
		return nil
	}
	v := i.violation(state)
	return i.def.Class.New(v.Code, v.Message, v.Context)
}

// Validate describes the invariant's verdict on state without failing.
func (i Invariant[S]) Validate(state S) Result {
	if i.def.Check(state) {
		return Result{Valid: true}
	}
	v := i.violation(state)
	return Result{Code: v.Code, Message: v.Message, Context: v.Context}
}

func (i Invariant[S]) violation(state S) Violation {
	msg := "invariant " + i.def.Name + " violated"
	if i.def.Message != nil {
		msg = i.def.Message(state)
	}
	var ctx map[string]any
	if i.def.Context != nil {
		ctx = i.def.Context(state)
	}
	return Violation{Name: i.def.Name, Code: i.def.Code, Message: msg, Context: ctx}
}

// Result is an invariant's verdict. When Valid is false, Code and Message
// describe the violation and Context holds its details (nil when the
// invariant has no Context function).
type Result struct {
	Valid   bool
	Code    string
	Message string
	Context map[string]any
}

// Violation is one broken invariant of a set.
type Violation struct {
	Name    string
	Code    string
	Message string
	Context map[string]any
}

// SetResult is a set's verdict: Valid, or every violation in declaration
// order.
type SetResult struct {
	Valid      bool
	Violations []Violation
}

// Set is an ordered group of invariants over S. Its zero value is an empty
// set.
type Set[S any] struct {
	list []Invariant[S]
}

// NewSet groups invariants. The list is copied: later changes to the
// caller's slice do not affect the set.
func NewSet[S any](invariants ...Invariant[S]) Set[S] {
	return Set[S]{list: slices.Clone(invariants)}
}

// Invariants returns a copy of the set's invariants in order.
func (s Set[S]) Invariants() []Invariant[S] { return slices.Clone(s.list) }

// Len returns the number of invariants in the set.
func (s Set[S]) Len() int { return len(s.list) }

// CheckAll reports whether every invariant holds.
func (s Set[S]) CheckAll(state S) bool {
	for _, i := range s.list {
		if !i.Check(state) {
			return false
		}
	}
	return true
}

// AssertAll evaluates the invariants in order and returns the first
// violation as an *Error; later invariants are not evaluated.
func (s Set[S]) AssertAll(state S) error {
	for _, i := range s.list {
		if err := i.Assert(state); err != nil {
			return err
		}
	}
	return nil
}

// ValidateAll evaluates every invariant and returns all violations in
// declaration order.
func (s Set[S]) ValidateAll(state S) SetResult {
	var out []Violation
	for _, i := range s.list {
		if !i.Check(state) {
			out = append(out, i.violation(state))
		}
	}
	return SetResult{Valid: len(out) == 0, Violations: out}
}

// Def2 declares an invariant over state S that also takes a parameter P
// (for example a limit).
type Def2[S, P any] struct {
	// Name and Code are required, as in Def.
	Name string
	Code string
	// Check reports whether the invariant holds for state and param.
	// Required.
	Check func(state S, param P) bool
	// Message and Context are optional, as in Def; they get the same param.
	Message func(state S, param P) string
	Context func(state S, param P) map[string]any
	// Class makes the error Assert returns; the zero value is Base.
	Class Class
}

// Invariant2 is a parameterised invariant; Bind fixes its parameter.
type Invariant2[S, P any] struct {
	def Def2[S, P]
}

// New2 checks d and returns its parameterised invariant, with the same
// rules as New.
func New2[S, P any](d Def2[S, P]) (Invariant2[S, P], error) {
	if err := checkDef(d.Name, d.Code, d.Check != nil); err != nil {
		return Invariant2[S, P]{}, err
	}
	return Invariant2[S, P]{def: d}, nil
}

// Check reports whether the invariant holds for state and param.
func (i Invariant2[S, P]) Check(state S, param P) bool { return i.def.Check(state, param) }

// Assert is Bind(param).Assert(state).
func (i Invariant2[S, P]) Assert(state S, param P) error { return i.Bind(param).Assert(state) }

// Validate is Bind(param).Validate(state).
func (i Invariant2[S, P]) Validate(state S, param P) Result { return i.Bind(param).Validate(state) }

// Bind returns the invariant with its parameter fixed to param; the same
// param flows to the check, message and context functions.
func (i Invariant2[S, P]) Bind(param P) Invariant[S] {
	d := Def[S]{
		Name:  i.def.Name,
		Code:  i.def.Code,
		Check: func(s S) bool { return i.def.Check(s, param) },
		Class: i.def.Class,
	}
	if i.def.Message != nil {
		d.Message = func(s S) string { return i.def.Message(s, param) }
	}
	if i.def.Context != nil {
		d.Context = func(s S) map[string]any { return i.def.Context(s, param) }
	}
	return Invariant[S]{def: d}
}

// Must2 is Must for parameterised invariants.
func Must2[S, P any](inv Invariant2[S, P], err error) Invariant2[S, P] {
	if err != nil {
		panic(err)
	}
	return inv
}
