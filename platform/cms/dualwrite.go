package cms

import (
	"context"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/store"
)

// Change is one dual write: the new state of an aggregate and the events
// it results from.
type Change[T any] struct {
	// ID is the aggregate id (the CMS document key).
	ID string
	// State is the new state. Its version field is set by DualWrite.
	State T
	// Expected is the aggregate version the decision was made on: the
	// loaded document's Version, or 0 to create the aggregate.
	Expected int64
	// Stream is the aggregate's event stream.
	Stream es.StreamID
	// Events are appended to Stream; at least one.
	Events []es.Event
}

// Written reports a dual write.
type Written struct {
	// Version is the aggregate version after the write: Expected plus the
	// number of events, which is also the stream's new version.
	Version int64
	// Append is the event append's result.
	Append es.AppendResult
}

// DualWrite stores c.State and appends c.Events in the caller's unit of
// work (spec §3 rules 2–3). The new aggregate version is c.Expected +
// len(c.Events) — with one event per command, old version + 1 — so the CMS
// version keeps mirroring the stream version. The document is inserted when
// c.Expected is 0 and updated iff its version is c.Expected otherwise
// (*VersionConflictError); the append expects the stream at c.Expected
// (CONCURRENCY_CONFLICT otherwise).
//
// On any error, return it from the unit of work: the store then rolls back
// whatever part was written, so CMS and events commit together or not at
// all. A change without events is INVALID_ARGUMENT: state changes only
// through events, and a write without a version bump would defeat the
// optimistic check of concurrent writers.
func (r *Repository[T]) DualWrite(ctx context.Context, tx store.Tx, c Change[T]) (Written, error) {
	if len(c.Events) == 0 {
		return Written{}, es.Errorf(es.CodeInvalidArgument, "cms: dual write of %s/%s has no events", r.coll, c.ID)
	}
	if c.Expected < 0 {
		return Written{}, es.Errorf(es.CodeInvalidArgument, "cms: dual write of %s/%s expects negative version %d", r.coll, c.ID, c.Expected)
	}
	if err := es.ValidateStreamID(c.Stream); err != nil {
		return Written{}, err
	}
	d, err := Encode(c.State)
	if err != nil {
		return Written{}, err
	}
	version := c.Expected + int64(len(c.Events))
	d[FieldVersion] = version
	if c.Expected == 0 {
		err = r.insertDoc(ctx, tx.Documents(), c.ID, d)
	} else {
		err = r.write(ctx, tx.Documents(), c.ID, c.Expected, func(Doc) (Doc, error) { return d, nil })
	}
	if err != nil {
		return Written{}, err
	}
	res, err := tx.Events().Append(ctx, es.AppendRequest{Stream: c.Stream, Expected: es.Exact(es.Version(c.Expected)), Events: c.Events})
	if err != nil {
		return Written{}, err
	}
	return Written{Version: version, Append: res}, nil
}
