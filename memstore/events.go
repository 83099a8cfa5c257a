package memstore

import (
	"context"
	"hash/maphash"
	"slices"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/store"
)

// eventLog is a tx seen as a store.EventLog.
type eventLog tx

// idemEntry is the append an idempotency key made.
type idemEntry struct {
	fingerprint string
	result      es.AppendResult // owned: never handed out without cloning
}

func cloneResult(r es.AppendResult) es.AppendResult {
	r.EventIDs = slices.Clone(r.EventIDs)
	r.Positions = slices.Clone(r.Positions)
	return r
}

// Append writes req's events atomically. The checks run in this order, and
// the first that fails decides the outcome, writing nothing: validation
// (es.AppendRequest.Validate), the idempotency key (an earlier append with
// the same key and fingerprint is returned with Duplicate set, even if the
// stream has moved on since; another fingerprint is IDEMPOTENCY_CONFLICT
// and audited), the expected version (CONCURRENCY_CONFLICT), the DCB
// condition (APPEND_CONDITION_FAILED), then explicit event ids (one already
// in the log is INVALID_EVENT: event ids are unique, and a rolled-back
// append frees its ids again). All events of one append share one
// RecordedAt.
func (l *eventLog) Append(ctx context.Context, req es.AppendRequest) (es.AppendResult, error) {
	t := (*tx)(l)
	if err := req.Validate(); err != nil {
		return es.AppendResult{}, err
	}
	var fp string
	if req.Idempotency != nil {
		fp = req.Idempotency.Fingerprint
		if fp == "" {
			var err error
			if fp, err = es.Fingerprint(req); err != nil {
				return es.AppendResult{}, err
			}
		}
	}
	if err := t.beginWrite(ctx, "append"); err != nil {
		return es.AppendResult{}, err
	}
	s := t.s
	defer s.mu.Unlock()
	st := &s.st

	if req.Idempotency != nil {
		key := req.Idempotency.Key
		if prev, ok := st.idem[key]; ok {
			if prev.fingerprint == fp {
				res := cloneResult(prev.result)
				res.Duplicate = true
				return res, nil
			}
			st.audits[key] = append(st.audits[key], store.IdempotencyAudit{
				ID:                  s.ids.NewID(),
				Key:                 key,
				Stream:              req.Stream,
				ExistingFingerprint: prev.fingerprint,
				IncomingFingerprint: fp,
				At:                  t.now(),
			})
			return es.AppendResult{}, &es.IdempotencyConflictError{Key: key, ExistingFingerprint: prev.fingerprint, IncomingFingerprint: fp}
		}
	}

	var sp *postings
	var cur es.Version
	if req.Stream != "" {
		sp = st.streams[req.Stream]
		if sp != nil {
			cur = es.Version(len(sp.pos))
		}
	}
	if !req.Expected.Allows(cur) {
		return es.AppendResult{}, &es.ConcurrencyError{Stream: req.Stream, Expected: req.Expected, Actual: cur}
	}
	if req.Condition != nil && st.conflicts(*req.Condition) {
		return es.AppendResult{}, &es.ConditionFailedError{Condition: *req.Condition}
	}
	explicit := 0 // events with an explicit id
	for i := range req.Events {
		if id := req.Events[i].Metadata.EventID; id != "" {
			if st.byID == nil {
				st.indexEventIDs()
			}
			if st.byID.has(st, id) {
				return es.AppendResult{}, es.Errorf(es.CodeInvalidEvent, "events[%d].metadata.eventId %q is already in the log; event ids are unique", i, id)
			}
			explicit++
		}
	}

	// Every check passed: write.
	if req.Stream != "" && sp == nil {
		sp = &postings{}
		st.streams[req.Stream] = sp
	}
	n := len(req.Events)
	res := es.AppendResult{Stream: req.Stream}
	if n == 1 { // the usual append: both result slices in one allocation
		one := new(struct {
			id  [1]string
			pos [1]es.Position
		})
		res.EventIDs, res.Positions = one.id[:], one.pos[:]
	} else {
		res.EventIDs, res.Positions = make([]string, n), make([]es.Position, n)
	}
	now := t.now()
	sec, nsec := now.Unix(), uint32(now.Nanosecond())
	start := st.log.n
	for i := range req.Events {
		ev := req.WithDefaults(req.Events[i], s.ids)
		if st.byID != nil && req.Events[i].Metadata.EventID == "" && st.mintedTaken(ev.Metadata.EventID, req.Events, explicit) {
			// The id source minted an id already in the log (seen once
			// the index exists) or given explicitly to this append:
			// undo this append's events.
			st.truncate(start)
			if sp != nil && len(sp.pos) == 0 {
				delete(st.streams, req.Stream)
			}
			return es.AppendResult{}, es.Errorf(es.CodeInternal, "memstore: the id source minted event id %q, which is already in the log or in the append", ev.Metadata.EventID)
		}
		pos := es.Position(st.log.n + 1)
		var version es.Version
		if sp != nil {
			sp.pos = append(sp.pos, pos)
			version = es.Version(len(sp.pos))
		}
		st.log.add(&ev, req.Stream, version, sec, nsec)
		if st.byID != nil {
			st.byID.add(ev.Metadata.EventID, pos)
		}
		index(st.byType, ev.Type, pos)
		for _, tg := range ev.Tags {
			index(st.byTag, tg, pos)
		}
		res.EventIDs[i] = ev.Metadata.EventID
		res.Positions[i] = pos
	}
	if sp != nil {
		res.Version = es.Version(len(sp.pos))
	}
	if req.Idempotency != nil {
		st.idem[req.Idempotency.Key] = idemEntry{fingerprint: fp, result: cloneResult(res)}
		t.idemKeys = append(t.idemKeys, req.Idempotency.Key)
	}
	t.wrote = true
	return res, nil
}

func index[K comparable](m map[K]*postings, k K, pos es.Position) {
	p := m[k]
	if p == nil {
		p = &postings{}
		m[k] = p
	}
	p.pos = append(p.pos, pos)
}

func unindex[K comparable](m map[K]*postings, k K) {
	p := m[k]
	p.pop()
	if len(p.pos) == 0 {
		delete(m, k)
	}
}

// mintedTaken reports whether id, minted for an event of events (explicit
// of which carry an id of their own), is already in the log or is one of
// those explicit ids. Explicit ids are checked against the log before
// anything is written and are unique within an append (es.AppendRequest.
// Validate), so while writing only minted ids need a check. st.byID must
// exist.
func (st *state) mintedTaken(id string, events []es.Event, explicit int) bool {
	if st.byID.has(st, id) {
		return true
	}
	if explicit > 0 {
		for j := range events {
			if events[j].Metadata.EventID == id {
				return true
			}
		}
	}
	return false
}

// truncate removes the events after the first n from the log and from
// every index. Events are removed newest first, so each one is the last
// entry of each of its postings lists.
func (st *state) truncate(n int) {
	var r es.Recorded
	for i := st.log.n - 1; i >= n; i-- {
		st.log.peek(i, &r)
		if r.StreamID != "" {
			unindex(st.streams, r.StreamID)
		}
		if st.byID != nil {
			st.byID.removeNewest(r.Metadata.EventID)
		}
		unindex(st.byType, r.Type)
		for _, tg := range r.Tags {
			unindex(st.byTag, tg)
		}
	}
	st.log.truncate(n)
}

// indexEventIDs builds byID from the whole log. Until then ids minted by
// the store's source are trusted to be unique, as they are everywhere.
func (st *state) indexEventIDs() {
	st.byID = &idIndex{seed: maphash.MakeSeed(), mask: ^uint64(0), first: make(map[uint64]es.Position, st.log.n)}
	for i := 0; i < st.log.n; i++ {
		st.byID.add(st.log.eventID(i), es.Position(i+1))
	}
}

// idIndex finds events by id without holding a pointer, so the garbage
// collector never has to scan it however long the log grows: a 64-bit
// hash of the id (maphash, with a seed of the store's own) maps to the
// position of the oldest indexed event whose id has that hash; the
// positions of later ones with the same hash (a hash collision, which
// practically never happens) are listed in ascending order in more. A hit
// is confirmed by comparing the id stored in the log, so collisions never
// give a wrong answer; the seed only changes where entries sit, never an
// outcome.
type idIndex struct {
	seed maphash.Seed
	// mask is ANDed onto every hash: all ones, except in tests that force
	// collisions.
	mask  uint64
	first map[uint64]es.Position
	more  map[uint64][]es.Position
}

func (x *idIndex) hash(id string) uint64 { return maphash.String(x.seed, id) & x.mask }

// has reports whether an event with id is in the log.
func (x *idIndex) has(st *state, id string) bool {
	h := x.hash(id)
	p, ok := x.first[h]
	if !ok {
		return false
	}
	if st.log.eventID(int(p-1)) == id {
		return true
	}
	for _, q := range x.more[h] {
		if st.log.eventID(int(q-1)) == id {
			return true
		}
	}
	return false
}

// add indexes the event with id at pos, newer than every indexed event.
func (x *idIndex) add(id string, pos es.Position) {
	h := x.hash(id)
	if _, ok := x.first[h]; !ok {
		x.first[h] = pos
		return
	}
	if x.more == nil {
		x.more = make(map[uint64][]es.Position)
	}
	x.more[h] = append(x.more[h], pos)
}

// removeNewest drops the newest indexed event, whose id is id (truncate
// removes events newest first): the last position indexed under its hash.
func (x *idIndex) removeNewest(id string) {
	h := x.hash(id)
	if m := x.more[h]; len(m) > 0 {
		if len(m) == 1 {
			delete(x.more, h)
		} else {
			x.more[h] = m[:len(m)-1]
		}
		return
	}
	delete(x.first, h)
}

func (st *state) head() es.Position { return es.Position(st.log.n) }

// ReadStream reads one stream; see store.StreamRead. A missing stream reads
// as empty (nil).
func (l *eventLog) ReadStream(ctx context.Context, stream es.StreamID, opts store.StreamRead) ([]es.Recorded, error) {
	t := (*tx)(l)
	limit, err := opts.Validate(stream)
	if err != nil {
		return nil, err
	}
	if err := t.begin(ctx); err != nil {
		return nil, err
	}
	defer t.s.mu.Unlock()
	st := &t.s.st
	sp := st.streams[stream]
	if sp == nil {
		return nil, nil
	}
	var sel []es.Position // positions of the selected versions, ascending
	cur := es.Version(len(sp.pos))
	if !opts.Backwards {
		if opts.From >= cur {
			return nil, nil
		}
		sel = sp.pos[opts.From:]
		if len(sel) > limit {
			sel = sel[:limit]
		}
		return st.log.export(len(sel), func(i int) int { return int(sel[i] - 1) }), nil
	}
	end := cur // versions < From, i.e. indexes < From-1+1
	if opts.From > 0 && opts.From-1 < end {
		end = opts.From - 1
	}
	start := max(end-es.Version(limit), 0)
	sel = sp.pos[start:end]
	last := len(sel) - 1
	return st.log.export(len(sel), func(i int) int { return int(sel[last-i] - 1) }), nil
}

// StreamVersion returns the stream's version (0 when missing).
func (l *eventLog) StreamVersion(ctx context.Context, stream es.StreamID) (es.Version, error) {
	t := (*tx)(l)
	if err := es.ValidateStreamID(stream); err != nil {
		return 0, err
	}
	if err := t.begin(ctx); err != nil {
		return 0, err
	}
	defer t.s.mu.Unlock()
	if sp := t.s.st.streams[stream]; sp != nil {
		return es.Version(len(sp.pos)), nil
	}
	return 0, nil
}

// ReadAll reads the global log after opts.After. Head is the last position
// (positions are gapless).
func (l *eventLog) ReadAll(ctx context.Context, opts store.LogRead) (store.LogPage, error) {
	t := (*tx)(l)
	limit, err := opts.Validate()
	if err != nil {
		return store.LogPage{}, err
	}
	if err := t.begin(ctx); err != nil {
		return store.LogPage{}, err
	}
	defer t.s.mu.Unlock()
	st := &t.s.st
	head := st.head()
	page := store.LogPage{Next: opts.After, Head: head}
	if opts.After >= head {
		return page, nil
	}
	lo := int(opts.After)
	hi := min(lo+limit, st.log.n)
	page.Events = st.log.export(hi-lo, func(i int) int { return lo + i })
	page.Next = es.Position(hi)
	page.HasMore = hi < st.log.n
	return page, nil
}

// ReadQuery reads the events matching q after opts.After, with the head of
// the log from the same snapshot (units of work are serialised, so the
// whole unit is one snapshot).
func (l *eventLog) ReadQuery(ctx context.Context, q es.Query, opts store.QueryRead) (store.QueryResult, error) {
	t := (*tx)(l)
	if err := opts.Validate(q); err != nil {
		return store.QueryResult{}, err
	}
	if err := t.begin(ctx); err != nil {
		return store.QueryResult{}, err
	}
	defer t.s.mu.Unlock()
	st := &t.s.st
	res := store.QueryResult{Head: st.head(), Complete: true}

	// cand lists candidate positions > After in ascending order; every
	// matching event is among them.
	var cand []es.Position
	all := q.IsAll()
	n := 0
	if all {
		n = max(int(res.Head-opts.After), 0)
	} else {
		cand = st.candidates(q, opts.After)
		n = len(cand)
	}
	posAt := func(i int) es.Position {
		if opts.Backwards {
			i = n - 1 - i
		}
		if all {
			return opts.After + 1 + es.Position(i)
		}
		return cand[i]
	}
	var hits []es.Position
	var r es.Recorded
	for i := 0; i < n; i++ {
		p := posAt(i)
		if !all {
			if st.log.peek(int(p-1), &r); !q.Matches(r.Event) {
				continue
			}
		}
		if opts.Limit > 0 && len(hits) == opts.Limit {
			res.Complete = false
			break
		}
		hits = append(hits, p)
	}
	res.Events = st.log.export(len(hits), func(i int) int { return int(hits[i] - 1) })
	return res, nil
}

// candidates returns, in ascending order and without duplicates, positions
// greater than after that include every event matching q (which is not
// All). The result may alias an index: do not modify it.
func (st *state) candidates(q es.Query, after es.Position) []es.Position {
	lists := st.candidateLists(q, after, nil)
	switch len(lists) {
	case 0:
		return nil
	case 1:
		return lists[0]
	}
	total := 0
	for _, l := range lists {
		total += len(l)
	}
	merged := make([]es.Position, 0, total)
	for _, l := range lists {
		merged = append(merged, l...)
	}
	slices.Sort(merged)
	return slices.Compact(merged)
}

// candidateLists appends to dst, per query item, the ascending positions
// after `after` that may match the item: for an item with tags, the
// postings of its rarest tag (none when a tag was never used); for a
// type-only item, the postings of each of its types.
func (st *state) candidateLists(q es.Query, after es.Position, dst [][]es.Position) [][]es.Position {
	for _, it := range q.QueryItems() {
		if len(it.Tags) > 0 {
			var best *postings
			for _, tg := range it.Tags {
				p := st.byTag[tg]
				if p == nil {
					best = nil
					break
				}
				if best == nil || len(p.pos) < len(best.pos) {
					best = p
				}
			}
			if best != nil {
				if l := best.after(after); len(l) > 0 {
					dst = append(dst, l)
				}
			}
			continue
		}
		for _, typ := range it.Types {
			if p := st.byType[typ]; p != nil {
				if l := p.after(after); len(l) > 0 {
					dst = append(dst, l)
				}
			}
		}
	}
	return dst
}

// conflicts reports whether a stored event violates c, deciding each
// candidate with the reference es.AppendCondition.ConflictsWith.
func (st *state) conflicts(c es.AppendCondition) bool {
	var after es.Position
	if c.After != nil {
		after = *c.After
	}
	var r es.Recorded
	if c.FailIfEventsMatch.IsAll() {
		for p := after + 1; p <= st.head(); p++ {
			if st.log.peek(int(p-1), &r); c.ConflictsWith(r.Event, p) {
				return true
			}
		}
		return false
	}
	var buf [4][]es.Position
	for _, l := range st.candidateLists(c.FailIfEventsMatch, after, buf[:0]) {
		for _, p := range l {
			if st.log.peek(int(p-1), &r); c.ConflictsWith(r.Event, p) {
				return true
			}
		}
	}
	return false
}

// IdempotencyAudits lists the rejected reuses of key, oldest first.
func (l *eventLog) IdempotencyAudits(ctx context.Context, key string) ([]store.IdempotencyAudit, error) {
	t := (*tx)(l)
	if err := es.ValidateName(es.CodeInvalidArgument, "idempotency key", key); err != nil {
		return nil, err
	}
	if err := t.begin(ctx); err != nil {
		return nil, err
	}
	defer t.s.mu.Unlock()
	return slices.Clone(t.s.st.audits[key]), nil
}
