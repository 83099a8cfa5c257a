package memstore

import (
	"context"
	"hash/maphash"
	"maps"
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
	for i := range req.Events {
		if id := req.Events[i].Metadata.EventID; id != "" {
			if st.byID == nil {
				st.indexEventIDs()
			}
			if st.byID.has(st, id) {
				return es.AppendResult{}, es.Errorf(es.CodeInvalidEvent, "events[%d].metadata.eventId %q is already in the log; event ids are unique", i, id)
			}
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
	dataN, tagN := 0, 0
	for i := range req.Events {
		dataN += len(req.Events[i].Data)
		tagN += len(req.Events[i].Tags)
	}
	data := make([]byte, dataN)
	var tags []es.Tag
	if tagN > 0 {
		tags = make([]es.Tag, tagN)
	}
	start := st.log.n
	for i := range req.Events {
		ev := es.WithDefaults(req.Events[i], s.ids)
		if st.byID != nil {
			if st.byID.has(st, ev.Metadata.EventID) {
				// Explicit ids were checked above, so the id source
				// minted an id already in the log (seen once the index
				// exists): undo this append's events.
				st.truncate(start)
				if sp != nil && len(sp.pos) == 0 {
					delete(st.streams, req.Stream)
				}
				return es.AppendResult{}, es.Errorf(es.CodeInternal, "memstore: the id source minted event id %q, which is already in the log", ev.Metadata.EventID)
			}
		}
		d := copy(data, ev.Data)
		ev.Data, data = data[:d:d], data[d:]
		if len(ev.Tags) > 0 {
			k := copy(tags, ev.Tags)
			ev.Tags, tags = tags[:k:k], tags[k:]
		} else {
			ev.Tags = nil
		}
		if ev.Metadata.Extra != nil {
			ev.Metadata.Extra = maps.Clone(ev.Metadata.Extra)
		}
		pos := es.Position(st.log.n + 1)
		rec := st.log.grow()
		rec.Event, rec.Position, rec.RecordedAt = ev, pos, now
		if sp != nil {
			sp.pos = append(sp.pos, pos)
			rec.StreamID = req.Stream
			rec.StreamVersion = es.Version(len(sp.pos))
		}
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

// truncate removes the events after the first n from the log and from
// every index. Events are removed newest first, so each one is the last
// entry of each of its postings lists.
func (st *state) truncate(n int) {
	for i := st.log.n - 1; i >= n; i-- {
		r := st.log.at(i)
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
		st.byID.add(st.log.at(i).Metadata.EventID, es.Position(i+1))
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
	if st.at(p).Metadata.EventID == id {
		return true
	}
	for _, q := range x.more[h] {
		if st.at(q).Metadata.EventID == id {
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

func (st *state) at(p es.Position) *es.Recorded { return st.log.at(int(p - 1)) }

// export copies n recorded events, the i-th being at(i), so callers never
// share memory with the log: one allocation for the events, one for all
// their data and one for all their tags.
func export(n int, at func(i int) *es.Recorded) []es.Recorded {
	if n == 0 {
		return nil
	}
	dataN, tagN := 0, 0
	for i := 0; i < n; i++ {
		r := at(i)
		dataN += len(r.Data)
		tagN += len(r.Tags)
	}
	out := make([]es.Recorded, n)
	data := make([]byte, dataN)
	var tags []es.Tag
	if tagN > 0 {
		tags = make([]es.Tag, tagN)
	}
	for i := range out {
		r := at(i)
		o := &out[i]
		*o = *r
		d := copy(data, r.Data)
		o.Data, data = data[:d:d], data[d:]
		if len(r.Tags) > 0 {
			k := copy(tags, r.Tags)
			o.Tags, tags = tags[:k:k], tags[k:]
		}
		if r.Metadata.Extra != nil {
			o.Metadata.Extra = maps.Clone(r.Metadata.Extra)
		}
	}
	return out
}

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
		return export(len(sel), func(i int) *es.Recorded { return st.at(sel[i]) }), nil
	}
	end := cur // versions < From, i.e. indexes < From-1+1
	if opts.From > 0 && opts.From-1 < end {
		end = opts.From - 1
	}
	start := max(end-es.Version(limit), 0)
	sel = sp.pos[start:end]
	last := len(sel) - 1
	return export(len(sel), func(i int) *es.Recorded { return st.at(sel[last-i]) }), nil
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
	page.Events = export(hi-lo, func(i int) *es.Recorded { return st.log.at(lo + i) })
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
	for i := 0; i < n; i++ {
		p := posAt(i)
		if !all && !q.Matches(st.at(p).Event) {
			continue
		}
		if opts.Limit > 0 && len(hits) == opts.Limit {
			res.Complete = false
			break
		}
		hits = append(hits, p)
	}
	res.Events = export(len(hits), func(i int) *es.Recorded { return st.at(hits[i]) })
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
	if c.FailIfEventsMatch.IsAll() {
		for p := after + 1; p <= st.head(); p++ {
			if c.ConflictsWith(st.at(p).Event, p) {
				return true
			}
		}
		return false
	}
	var buf [4][]es.Position
	for _, l := range st.candidateLists(c.FailIfEventsMatch, after, buf[:0]) {
		for _, p := range l {
			if c.ConflictsWith(st.at(p).Event, p) {
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

// chunkBits sets the size of the log's chunks: 1<<chunkBits records.
const chunkBits = 10

// recLog is the global log, kept in fixed-size chunks so that growing it
// never copies (or makes the garbage collector rescan) what is stored.
type recLog struct {
	chunks [][]es.Recorded
	n      int
}

// at returns the i-th record (0-based; position i+1).
func (l *recLog) at(i int) *es.Recorded { return &l.chunks[i>>chunkBits][i&(1<<chunkBits-1)] }

// grow adds a zero record at the end of the log and returns it to be
// filled in place.
func (l *recLog) grow() *es.Recorded {
	c := l.n >> chunkBits
	if c == len(l.chunks) {
		capacity := 1 << chunkBits
		if c == 0 {
			capacity = 16 // small stores stay small; the first chunk grows
		}
		l.chunks = append(l.chunks, make([]es.Recorded, 0, capacity))
	}
	l.chunks[c] = append(l.chunks[c], es.Recorded{})
	l.n++
	return &l.chunks[c][len(l.chunks[c])-1]
}

// truncate keeps the first n records.
func (l *recLog) truncate(n int) {
	for l.n > n {
		c := (l.n - 1) >> chunkBits
		keep := max(n-c<<chunkBits, 0)
		clear(l.chunks[c][keep:])
		l.chunks[c] = l.chunks[c][:keep]
		l.n = c<<chunkBits + keep
		if keep == 0 && c > 0 {
			l.chunks[c] = nil
			l.chunks = l.chunks[:c]
		}
	}
}
