package correlation

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/platform/command"
	"github.com/eventspec/eventspec/platform/commandbus"
	"github.com/eventspec/eventspec/store"
)

// Kind tells a command link from an event link.
type Kind string

// Link kinds.
const (
	KindCommand Kind = "command"
	KindEvent   Kind = "event"
)

// Link is one hop of a traced action.
type Link struct {
	Kind Kind
	// ID is the command id or event id; Type the command or event type.
	ID   string
	Type string
	// CausationID is what caused this hop: for a command, itself (root) or
	// the event it reacts to; for an event, the command that emitted it.
	CausationID string
	// At is the command's timestamp or the event's recording time.
	At time.Time
	// Status is a command's status; Stream and Position locate an event.
	Status   command.Status
	Stream   es.StreamID
	Position es.Position
}

// Root reports whether the link starts a chain: a command that caused
// itself, or a hop whose cause is not part of the trace.
func (l Link) root(ids map[string]bool) bool {
	return l.CausationID == "" || l.CausationID == l.ID || !ids[l.CausationID]
}

// Trace is everything recorded under one correlation id, in causal order:
// each root, then depth-first what it caused (siblings by time, then by
// position or command id).
type Trace struct {
	CorrelationID string
	Links         []Link
}

// CausedBy returns the links directly caused by id, in trace order.
func (t Trace) CausedBy(id string) []Link {
	var out []Link
	for _, l := range t.Links {
		if l.CausationID == id && l.ID != id {
			out = append(out, l)
		}
	}
	return out
}

// Commands returns the command links, in trace order.
func (t Trace) Commands() []Link { return t.ofKind(KindCommand) }

// Events returns the event links, in trace order.
func (t Trace) Events() []Link { return t.ofKind(KindEvent) }

func (t Trace) ofKind(k Kind) []Link {
	var out []Link
	for _, l := range t.Links {
		if l.Kind == k {
			out = append(out, l)
		}
	}
	return out
}

// Events returns the events recorded with correlationID, in position
// order. It scans the global log page by page (the log has no index on
// correlation ids), so its cost grows with the log; use it for
// diagnostics, tests and admin tools, not on hot paths.
func Events(ctx context.Context, log store.EventLog, correlationID string) ([]es.Recorded, error) {
	if correlationID == "" {
		return nil, es.Errorf(es.CodeInvalidArgument, "correlation: correlation id is empty")
	}
	var out []es.Recorded
	after := es.Position(0)
	for {
		page, err := log.ReadAll(ctx, store.LogRead{After: after, Limit: store.MaxLogLimit})
		if err != nil {
			return nil, err
		}
		for _, e := range page.Events {
			if e.Metadata.CorrelationID == correlationID {
				out = append(out, e)
			}
		}
		if !page.HasMore || len(page.Events) == 0 {
			return out, nil
		}
		after = page.Next
	}
}

// Load assembles the trace of correlationID inside tx: the commands the
// command log holds for it and the events the log holds for it (see
// Events for the cost), linked by causation.
func Load(ctx context.Context, tx store.Tx, log *commandbus.Log, correlationID string) (Trace, error) {
	events, err := Events(ctx, tx.Events(), correlationID)
	if err != nil {
		return Trace{}, err
	}
	var links []Link
	cursor := ""
	for {
		page, err := log.ByCorrelation(ctx, tx, correlationID, commandbus.MaxPageSize, cursor)
		if err != nil {
			return Trace{}, err
		}
		for _, s := range page.Commands {
			l := Link{Kind: KindCommand, ID: s.CommandID, Type: s.CommandType, CausationID: s.CommandID, At: s.Timestamp, Status: s.Status}
			stored, err := log.Get(ctx, tx, s.CommandID)
			if err != nil {
				return Trace{}, err
			}
			if stored != nil && stored.Metadata.CausationID != "" {
				l.CausationID = stored.Metadata.CausationID
			}
			links = append(links, l)
		}
		if !page.HasMore {
			break
		}
		cursor = page.NextCursor
	}
	for _, e := range events {
		links = append(links, Link{Kind: KindEvent, ID: e.Metadata.EventID, Type: e.Type, CausationID: e.Metadata.CausationID,
			At: e.RecordedAt, Stream: e.StreamID, Position: e.Position})
	}
	return Trace{CorrelationID: correlationID, Links: causalOrder(links)}, nil
}

// causalOrder orders links roots first, then depth-first by causation.
func causalOrder(links []Link) []Link {
	ids := make(map[string]bool, len(links))
	for _, l := range links {
		ids[l.ID] = true
	}
	slices.SortStableFunc(links, func(a, b Link) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		if a.Kind != b.Kind { // at the same instant a command precedes events
			if a.Kind == KindCommand {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(a.Position, b.Position); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	children := map[string][]Link{}
	var roots []Link
	for _, l := range links {
		if l.root(ids) {
			roots = append(roots, l)
		} else {
			children[l.CausationID] = append(children[l.CausationID], l)
		}
	}
	out := make([]Link, 0, len(links))
	seen := map[string]bool{}
	var walk func(l Link)
	walk = func(l Link) {
		key := string(l.Kind) + ":" + l.ID
		if seen[key] {
			return
		}
		seen[key] = true
		out = append(out, l)
		for _, c := range children[l.ID] {
			walk(c)
		}
	}
	for _, r := range roots {
		walk(r)
	}
	for _, l := range links { // cycles (malformed metadata) still appear once
		walk(l)
	}
	return out
}
