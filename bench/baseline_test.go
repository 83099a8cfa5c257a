package bench

import (
	"sync"
	"time"

	"github.com/eventspec/eventspec/es"
)

// baseline is the bare store engines are compared to: one mutex, a map of
// streams to their positions, a map of tags to their positions and the log
// as a slice. It does the same essential work as an engine's append and
// reads — expected-version and DCB checks, positions, versions, a
// timestamp, copies of the records on read — and nothing else: no
// validation, no event ids, no copying of data, no units of work, no
// rollback, no idempotency.
type baseline struct {
	mu      sync.Mutex
	now     func() time.Time
	log     []es.Recorded
	streams map[es.StreamID][]es.Position
	tags    map[es.Tag][]es.Position
}

func newBaseline(now func() time.Time) *baseline {
	return &baseline{now: now, streams: map[es.StreamID][]es.Position{}, tags: map[es.Tag][]es.Position{}}
}

// appendStream appends events to stream if its version is expected; ok is
// false on a version mismatch.
func (s *baseline) appendStream(stream es.StreamID, expected es.Version, events []es.Event) (last es.Position, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ps := s.streams[stream]
	if es.Version(len(ps)) != expected {
		return 0, false
	}
	now := s.now()
	for _, e := range events {
		last = es.Position(len(s.log) + 1)
		ps = append(ps, last)
		s.log = append(s.log, es.Recorded{Event: e, StreamID: stream, StreamVersion: es.Version(len(ps)), Position: last, RecordedAt: now})
	}
	s.streams[stream] = ps
	return last, true
}

// appendIf appends events without a stream unless an event carrying all of
// tags exists after position after (the DCB condition of a one-item tag
// query, checked on the rarest tag's positions).
func (s *baseline) appendIf(tags []es.Tag, after es.Position, events []es.Event) (last es.Position, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var rarest []es.Position
	for i, t := range tags {
		ps := s.tags[t]
		if i == 0 || len(ps) < len(rarest) {
			rarest = ps
		}
	}
	for i := len(rarest) - 1; i >= 0 && rarest[i] > after; i-- {
		e := &s.log[rarest[i]-1]
		all := true
		for _, t := range tags {
			all = all && e.HasTag(t)
		}
		if all {
			return 0, false
		}
	}
	now := s.now()
	for _, e := range events {
		last = es.Position(len(s.log) + 1)
		for _, t := range e.Tags {
			s.tags[t] = append(s.tags[t], last)
		}
		s.log = append(s.log, es.Recorded{Event: e, Position: last, RecordedAt: now})
	}
	return last, true
}

// readStream returns a copy of a stream's records.
func (s *baseline) readStream(stream es.StreamID) []es.Recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	ps := s.streams[stream]
	out := make([]es.Recorded, len(ps))
	for i, p := range ps {
		out[i] = s.log[p-1]
	}
	return out
}

// readAll returns a copy of up to limit records after position after.
func (s *baseline) readAll(after es.Position, limit int) []es.Recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	lo := min(int(after), len(s.log))
	hi := min(lo+limit, len(s.log))
	return append([]es.Recorded(nil), s.log[lo:hi]...)
}
