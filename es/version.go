package es

import "fmt"

type expectKind uint8

const (
	expectAny expectKind = iota
	expectNoStream
	expectStreamExists
	expectExact
)

// ExpectedVersion is the optimistic-concurrency precondition of a stream
// append. The zero value is Any.
type ExpectedVersion struct {
	kind    expectKind
	version Version
}

var (
	// Any accepts the append whatever the stream's version.
	Any = ExpectedVersion{kind: expectAny}
	// NoStream requires the stream not to exist (version 0).
	NoStream = ExpectedVersion{kind: expectNoStream}
	// StreamExists requires the stream to hold at least one event.
	StreamExists = ExpectedVersion{kind: expectStreamExists}
)

// Exact requires the stream's current version to be v. Exact(0) is
// NoStream. A negative v is rejected by Validate.
func Exact(v Version) ExpectedVersion {
	if v == 0 {
		return NoStream
	}
	return ExpectedVersion{kind: expectExact, version: v}
}

// IsAny reports whether e accepts any version.
func (e ExpectedVersion) IsAny() bool { return e.kind == expectAny }

// ExactVersion returns the version e requires and true when e is Exact or
// NoStream (version 0).
func (e ExpectedVersion) ExactVersion() (Version, bool) {
	switch e.kind {
	case expectExact:
		return e.version, true
	case expectNoStream:
		return 0, true
	}
	return 0, false
}

// Validate rejects an Exact expectation with a negative version.
func (e ExpectedVersion) Validate() error {
	if e.kind == expectExact && e.version < 0 {
		return Errorf(CodeInvalidArgument, "expected version %d is negative", e.version)
	}
	return nil
}

// Allows reports whether a stream currently at version current satisfies e.
func (e ExpectedVersion) Allows(current Version) bool {
	switch e.kind {
	case expectNoStream:
		return current == 0
	case expectStreamExists:
		return current > 0
	case expectExact:
		return current == e.version
	}
	return true
}

// String renders e as "any", "no-stream", "stream-exists" or the version.
func (e ExpectedVersion) String() string {
	switch e.kind {
	case expectNoStream:
		return "no-stream"
	case expectStreamExists:
		return "stream-exists"
	case expectExact:
		return fmt.Sprint(int64(e.version))
	}
	return "any"
}
