package memstore

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"
	"unsafe"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/store"
)

// commandLog is a tx seen as store.CommandLog.
//
// Records are held typed, never as JSON, and without pointers (see
// cmdstore.go): a record's strings, payload, result and event ids are
// copied into the log's byte chunks when it is written, its times are
// packed, and it is addressed by index. Records read back get fresh
// Payload, Result and EventIDs; their strings share the store's bytes,
// which are never written again.
//
// Listings return a non-nil slice (empty when nothing matches), and a
// correlation record's EventIDs read back as a non-nil slice: a record
// written with nil or empty EventIDs reads back []string{}.
type commandLog tx

// Every length a record stores fits its field (validation bounds them):
// these constants fail to compile otherwise.
const (
	_ = uint8(store.MaxCommandIDBytes) // command, correlation, causation, user and event ids
	_ = uint16(es.MaxNameBytes)        // command type, target and bounded contexts, cursor
	_ = uint32(es.MaxPayloadBytes)     // payload, result
)

// statuses names a cmdSlot's status; the index is cmdSlot.status.
var statuses = [...]string{store.CommandPending, store.CommandExecuted, store.CommandRejected, store.CommandFailed}

// statusCode returns the index of status in statuses (validated input is
// always one of them).
func statusCode(status string) uint8 {
	for i, s := range statuses {
		if s == status {
			return uint8(i)
		}
	}
	return 0
}

const statusPending = 0

// cmdSlot is a stored command record without its bytes. They sit in arena
// chunk `chunk` from offset off, in this order: command id, cursor,
// correlation id, command type, target context, user id, causation id,
// payload. The result (none when result.n is 0) is a piece apart, as a
// completion sets it. Only completion changes a record in place (status,
// result, executedAt), and its undo puts it back to pending.
type cmdSlot struct {
	timestamp, executedAt, expiresAt ptime
	ttl                              time.Duration
	chunk, off                       uint32
	result                           clPiece
	payload                          uint32
	typ, target, cursor              uint16
	id, corr, user, caus             uint8
	status                           uint8
}

// corrSlot is a stored correlation record without its bytes: command id,
// command type and bounded context in arena chunk `chunk` from offset off,
// and its event ids in the piece ev, each preceded by its length in one
// byte. A merge points ev at a new piece; nothing else changes in place.
type corrSlot struct {
	createdAt, expiresAt ptime
	ttl                  time.Duration
	chunk, off           uint32
	ev                   clPiece
	typ, bc              uint16
	id                   uint8
}

// idPair is what the command log holds of one command id: the indexes of
// its command record and of its correlation record (0: none; not both).
type idPair struct {
	cmd, corr uint32
}

// corrSeq holds a correlation id's command records in ascending cursor
// order: one alone in one (most correlation ids have one command), else
// all of them (at least two) in cmdLog.seqs[many-1].
type corrSeq struct {
	one, many uint32
}

// cmdLog is the command log's storage.
type cmdLog struct {
	arena clArena
	cmds  slots[cmdSlot]
	corrs slots[corrSlot]
	times times

	// ids maps a command id to its records: one index for both kinds, so
	// an insert with its correlation record hashes the id once.
	ids hindex[idPair]
	// byCorr maps a correlation id to its command records. It is filed
	// lazily: a new record waits in unfiled, in insertion order, until a
	// listing by correlation or a removal needs byCorr complete (fileAll).
	// Listing by correlation is rare next to inserting, and most
	// correlation ids have one command, so most records never cost an
	// index insert until someone asks.
	byCorr  hindex[corrSeq]
	seqs    [][]uint32 // the record lists of byCorr; nil: free
	seqFree []uint32   // free entries of seqs, plus one
	unfiled []uint32
	// cmdExpiry holds the final records (pending ones are never deleted)
	// by (ExpiresAt, CommandID).
	cmdExpiry queue[uint32]

	// byContext holds each bounded context's correlation records by
	// (CreatedAt, CommandID); its keys are copies.
	byContext map[string]*queue[uint32]
	// corrExpiry holds every correlation record by (ExpiresAt, CommandID).
	corrExpiry queue[uint32]

	// The orders of the indexes, bound to the log once.
	byCursor, byCmdExpiry, byCreated, byCorrExpiry func(a, b uint32) int
}

func (l *cmdLog) init() {
	l.arena.cur = -1
	l.ids.init(func(e idPair) string {
		if e.cmd != 0 {
			return l.cmdID(e.cmd)
		}
		return l.corrID(e.corr)
	})
	l.byCorr.init(func(v corrSeq) string {
		r := v.one
		if v.many != 0 {
			r = l.seqs[v.many-1][0]
		}
		return l.cmdCorrID(r)
	})
	l.byContext = make(map[string]*queue[uint32])
	l.byCursor, l.byCmdExpiry = l.cmpCursor, l.cmpCmdExpiry
	l.byCreated, l.byCorrExpiry = l.cmpCreated, l.cmpCorrExpiry
}

// The strings of a command record and of a correlation record that the
// indexes need, sharing the arena's bytes.

func (l *cmdLog) cmdID(r uint32) string {
	s := l.cmds.at(r)
	return l.arena.at(s.chunk, s.off, uint32(s.id))
}

func (l *cmdLog) cmdCursor(r uint32) string {
	s := l.cmds.at(r)
	return l.arena.at(s.chunk, s.off+uint32(s.id), uint32(s.cursor))
}

func (l *cmdLog) cmdCorrID(r uint32) string {
	s := l.cmds.at(r)
	return l.arena.at(s.chunk, s.off+uint32(s.id)+uint32(s.cursor), uint32(s.corr))
}

func (l *cmdLog) corrID(c uint32) string {
	s := l.corrs.at(c)
	return l.arena.at(s.chunk, s.off, uint32(s.id))
}

func (l *cmdLog) corrContext(c uint32) string {
	s := l.corrs.at(c)
	return l.arena.at(s.chunk, s.off+uint32(s.id)+uint32(s.typ), uint32(s.bc))
}

// take splits the first n bytes off b as a string sharing them.
func take(b []byte, n int) (string, []byte) {
	return arenaString(b[:n]), b[n:]
}

// exportCmd returns command record r with a fresh Payload and Result.
func (l *cmdLog) exportCmd(r uint32) store.CommandRecord {
	s := l.cmds.at(r)
	b := l.arena.chunks[s.chunk][s.off:]
	var c store.CommandRecord
	c.CommandID, b = take(b, int(s.id))
	c.CorrelationCursor, b = take(b, int(s.cursor))
	c.CorrelationID, b = take(b, int(s.corr))
	c.CommandType, b = take(b, int(s.typ))
	c.TargetContext, b = take(b, int(s.target))
	c.UserID, b = take(b, int(s.user))
	c.CausationID, b = take(b, int(s.caus))
	payload, _ := take(b, int(s.payload))
	c.Payload = json.RawMessage(payload)
	c.Timestamp = l.times.unpack(s.timestamp, r, tfCmdTimestamp)
	c.Status = statuses[s.status]
	if s.result.n > 0 {
		c.Result = json.RawMessage(l.arena.str(s.result))
	}
	c.ExecutedAt = l.times.unpack(s.executedAt, r, tfCmdExecuted)
	c.TTL = s.ttl
	c.ExpiresAt = l.times.unpack(s.expiresAt, r, tfCmdExpires)
	return c
}

// eventCount returns the number of ids encoded in ev.
func eventCount(ev string) int {
	n := 0
	for i := 0; i < len(ev); i += 1 + int(ev[i]) {
		n++
	}
	return n
}

// hasEvent reports whether ev holds id.
func hasEvent(ev, id string) bool {
	for i := 0; i < len(ev); {
		n := int(ev[i])
		if n == len(id) && ev[i+1:i+1+n] == id {
			return true
		}
		i += 1 + n
	}
	return false
}

// exportCorr returns correlation record c with a fresh EventIDs (never
// nil).
func (l *cmdLog) exportCorr(c uint32) store.CorrelationRecord {
	s := l.corrs.at(c)
	b := l.arena.chunks[s.chunk][s.off:]
	var o store.CorrelationRecord
	o.CommandID, b = take(b, int(s.id))
	o.CommandType, b = take(b, int(s.typ))
	o.BoundedContext, _ = take(b, int(s.bc))
	ev := l.arena.str(s.ev)
	o.EventIDs = make([]string, 0, eventCount(ev))
	for i := 0; i < len(ev); {
		n := int(ev[i])
		o.EventIDs = append(o.EventIDs, ev[i+1:i+1+n])
		i += 1 + n
	}
	o.CreatedAt = l.times.unpack(s.createdAt, c, tfCorrCreated)
	o.TTL = s.ttl
	o.ExpiresAt = l.times.unpack(s.expiresAt, c, tfCorrExpires)
	return o
}

// cmdSize returns the size of rec's bytes but its cursor and its result.
func cmdSize(rec *store.CommandRecord) int {
	return len(rec.CommandID) + len(rec.CorrelationID) + len(rec.CommandType) +
		len(rec.TargetContext) + len(rec.UserID) + len(rec.CausationID) + len(rec.Payload)
}

// corrSize returns the size of c's bytes, event ids included.
func corrSize(c *store.CorrelationRecord) int {
	n := len(c.CommandID) + len(c.CommandType) + len(c.BoundedContext)
	for _, id := range c.EventIDs {
		n += 1 + len(id)
	}
	return n
}

// newRecords stores a copy of rec and, when corr is not nil, of corr (in
// the indexes of neither), their bytes in one piece of the arena, and
// returns their indexes (c is 0 without corr).
func (l *cmdLog) newRecords(rec *store.CommandRecord, corr *store.CorrelationRecord) (r, c uint32) {
	cursor := rec.CorrelationCursor
	var buf [store.MaxCommandIDBytes + 32]byte
	if cursor == "" { // the canonical cursor, built on the stack
		b := store.AppendCorrelationCursor(buf[:0], rec.Timestamp, rec.CommandID)
		cursor = unsafe.String(unsafe.SliceData(b), len(b)) // copied into the arena below
	}
	size := cmdSize(rec) + len(cursor) + len(rec.Result)
	if corr != nil {
		size += corrSize(corr)
	}
	b, chunk, off := l.arena.reserve(size)
	p := copy(b, rec.CommandID)
	p += copy(b[p:], cursor)
	p += copy(b[p:], rec.CorrelationID)
	p += copy(b[p:], rec.CommandType)
	p += copy(b[p:], rec.TargetContext)
	p += copy(b[p:], rec.UserID)
	p += copy(b[p:], rec.CausationID)
	p += copy(b[p:], rec.Payload)
	r = l.cmds.alloc()
	s := l.cmds.at(r)
	*s = cmdSlot{
		ttl: rec.TTL, chunk: chunk, off: off, payload: uint32(len(rec.Payload)),
		typ: uint16(len(rec.CommandType)), target: uint16(len(rec.TargetContext)), cursor: uint16(len(cursor)),
		id: uint8(len(rec.CommandID)), corr: uint8(len(rec.CorrelationID)), user: uint8(len(rec.UserID)), caus: uint8(len(rec.CausationID)),
		status: statusCode(rec.Status),
	}
	l.arena.ref(chunk)
	if len(rec.Result) > 0 {
		s.result = clPiece{chunk, off + uint32(p), uint32(len(rec.Result))}
		p += copy(b[p:], rec.Result)
		l.arena.ref(chunk)
	}
	s.timestamp = l.times.pack(rec.Timestamp, r, tfCmdTimestamp)
	s.executedAt = l.times.pack(rec.ExecutedAt, r, tfCmdExecuted)
	s.expiresAt = l.times.pack(rec.ExpiresAt, r, tfCmdExpires)
	if corr != nil {
		c = l.fillCorr(corr, b[p:], chunk, off+uint32(p))
	}
	return r, c
}

// newCorr stores a copy of rec (in no index) and returns its index.
func (l *cmdLog) newCorr(rec *store.CorrelationRecord) uint32 {
	b, chunk, off := l.arena.reserve(corrSize(rec))
	return l.fillCorr(rec, b, chunk, off)
}

// fillCorr writes rec's bytes to b, which is at off in chunk, and stores
// a correlation record of them.
func (l *cmdLog) fillCorr(rec *store.CorrelationRecord, b []byte, chunk, off uint32) uint32 {
	p := copy(b, rec.CommandID)
	p += copy(b[p:], rec.CommandType)
	p += copy(b[p:], rec.BoundedContext)
	main := p
	for _, id := range rec.EventIDs {
		b[p] = byte(len(id))
		p += 1 + copy(b[p+1:], id)
	}
	c := l.corrs.alloc()
	s := l.corrs.at(c)
	*s = corrSlot{
		ttl: rec.TTL, chunk: chunk, off: off,
		typ: uint16(len(rec.CommandType)), bc: uint16(len(rec.BoundedContext)), id: uint8(len(rec.CommandID)),
	}
	l.arena.ref(chunk)
	if p > main {
		s.ev = clPiece{chunk, off + uint32(main), uint32(p - main)}
		l.arena.ref(chunk)
	}
	s.createdAt = l.times.pack(rec.CreatedAt, c, tfCorrCreated)
	s.expiresAt = l.times.pack(rec.ExpiresAt, c, tfCorrExpires)
	return c
}

// freeCmd gives back the space of command record r, which is in no index
// and in no undo entry.
func (l *cmdLog) freeCmd(r uint32) {
	s := l.cmds.at(r)
	l.arena.unref(s.chunk)
	if s.result.n > 0 {
		l.arena.unref(s.result.chunk)
	}
	l.times.drop(s.timestamp, r, tfCmdTimestamp)
	l.times.drop(s.executedAt, r, tfCmdExecuted)
	l.times.drop(s.expiresAt, r, tfCmdExpires)
	l.cmds.release(r)
}

// freeCorr is freeCmd for correlation record c.
func (l *cmdLog) freeCorr(c uint32) {
	s := l.corrs.at(c)
	l.arena.unref(s.chunk)
	if s.ev.n > 0 {
		l.arena.unref(s.ev.chunk)
	}
	l.times.drop(s.createdAt, c, tfCorrCreated)
	l.times.drop(s.expiresAt, c, tfCorrExpires)
	l.corrs.release(c)
}

// queue is a list kept in ascending order (by the cmp its methods are
// given; elements are unique under it), whose live part is items[head:].
// Elements usually arrive in increasing order and leave from the front
// (expiry), and a rolled-back removal from the front comes back to it: all
// three are O(1) amortized. Any other insert or removal is a binary search
// and a copy. items[:head] is zeroed so it holds nothing alive.
type queue[T comparable] struct {
	items []T
	head  int
}

func (q *queue[T]) live() []T { return q.items[q.head:] }

func (q *queue[T]) add(x T, cmp func(a, b T) int) {
	live := q.items[q.head:]
	n := len(live)
	switch {
	case n == 0 || cmp(live[n-1], x) < 0:
		q.push(x)
	case q.head > 0 && cmp(x, live[0]) < 0:
		q.head--
		q.items[q.head] = x
	default:
		i, _ := slices.BinarySearchFunc(live, x, cmp)
		q.items = slices.Insert(q.items, q.head+i, x)
	}
}

// push appends x. When items is full and the dead front is at least as
// long as the live part, the live part moves to the front instead of
// growing the array; a growth copies only the live part.
func (q *queue[T]) push(x T) {
	if len(q.items) == cap(q.items) && q.head > 0 {
		live := q.items[q.head:]
		if q.head >= len(live) {
			n := copy(q.items, live)
			clear(q.items[n:])
			q.items = q.items[:n]
		} else {
			grown := make([]T, len(live), 2*len(live)+4)
			copy(grown, live)
			q.items = grown
		}
		q.head = 0
	}
	q.items = append(q.items, x)
}

func (q *queue[T]) remove(x T, cmp func(a, b T) int) {
	var zero T
	live := q.items[q.head:]
	switch n := len(live); {
	case n == 0:
	case live[0] == x:
		q.items[q.head] = zero
		q.head++
		if q.head == len(q.items) {
			q.items, q.head = q.items[:0], 0
		}
	case live[n-1] == x:
		q.items[len(q.items)-1] = zero
		q.items = q.items[:len(q.items)-1]
	default:
		if i, ok := slices.BinarySearchFunc(live, x, cmp); ok {
			q.items = slices.Delete(q.items, q.head+i, q.head+i+1)
		}
	}
}

// The orders of the indexes. Ties (equal cursor, time) fall to the
// command id, unique in each index.

func (l *cmdLog) cmpCursor(a, b uint32) int {
	if c := strings.Compare(l.cmdCursor(a), l.cmdCursor(b)); c != 0 {
		return c
	}
	return strings.Compare(l.cmdID(a), l.cmdID(b))
}

func (l *cmdLog) cmpCmdExpiry(a, b uint32) int {
	if c := l.times.compare(l.cmds.at(a).expiresAt, a, tfCmdExpires, l.cmds.at(b).expiresAt, b, tfCmdExpires); c != 0 {
		return c
	}
	return strings.Compare(l.cmdID(a), l.cmdID(b))
}

func (l *cmdLog) cmpCreated(a, b uint32) int {
	if c := l.times.compare(l.corrs.at(a).createdAt, a, tfCorrCreated, l.corrs.at(b).createdAt, b, tfCorrCreated); c != 0 {
		return c
	}
	return strings.Compare(l.corrID(a), l.corrID(b))
}

func (l *cmdLog) cmpCorrExpiry(a, b uint32) int {
	if c := l.times.compare(l.corrs.at(a).expiresAt, a, tfCorrExpires, l.corrs.at(b).expiresAt, b, tfCorrExpires); c != 0 {
		return c
	}
	return strings.Compare(l.corrID(a), l.corrID(b))
}

// setID puts a command id's entry at p (a position ids.find returned),
// removing it when it holds no record.
func (l *cmdLog) setID(p hpos, e idPair) {
	if e == (idPair{}) {
		l.ids.remove(p)
		return
	}
	l.ids.set(p, e)
}

// addCmd files record r (made earlier, then removed).
func (l *cmdLog) addCmd(r uint32) {
	e, p, _ := l.ids.find(l.cmdID(r))
	e.cmd = r
	l.ids.set(p, e)
	l.indexCmd(r)
}

// indexCmd files r in the indexes (not in ids); byCorr lazily.
func (l *cmdLog) indexCmd(r uint32) {
	l.unfiled = append(l.unfiled, r)
	if l.cmds.at(r).status != statusPending {
		l.cmdExpiry.add(r, l.byCmdExpiry)
	}
}

// fileAll files the unfiled records in byCorr, in the order they came.
func (l *cmdLog) fileAll() {
	for _, r := range l.unfiled {
		l.fileCorr(r)
	}
	l.unfiled = l.unfiled[:0]
	if cap(l.unfiled) > 1<<12 {
		l.unfiled = nil // do not pin a large array for good
	}
}

// fileCorr files r under its correlation id in byCorr.
func (l *cmdLog) fileCorr(r uint32) {
	v, p, ok := l.byCorr.find(l.cmdCorrID(r))
	switch {
	case !ok:
		v.one = r
	case v.many == 0:
		seq := []uint32{v.one, r}
		if l.byCursor(v.one, r) > 0 {
			seq[0], seq[1] = r, v.one
		}
		v = corrSeq{many: l.newSeq(seq)}
	default:
		seq := l.seqs[v.many-1]
		if n := len(seq); l.byCursor(seq[n-1], r) < 0 {
			seq = append(seq, r)
		} else {
			i, _ := slices.BinarySearchFunc(seq, r, l.byCursor)
			seq = slices.Insert(seq, i, r)
		}
		l.seqs[v.many-1] = seq
	}
	l.byCorr.set(p, v)
}

// newSeq files seq in seqs and returns its index plus one.
func (l *cmdLog) newSeq(seq []uint32) uint32 {
	if n := len(l.seqFree); n > 0 {
		m := l.seqFree[n-1]
		l.seqFree = l.seqFree[:n-1]
		l.seqs[m-1] = seq
		return m
	}
	l.seqs = append(l.seqs, seq)
	return uint32(len(l.seqs))
}

// unfileCorr removes r from byCorr (complete).
func (l *cmdLog) unfileCorr(r uint32) {
	v, p, ok := l.byCorr.find(l.cmdCorrID(r))
	if !ok {
		return
	}
	if v.many == 0 {
		l.byCorr.remove(p)
		return
	}
	seq := l.seqs[v.many-1]
	if i, ok := slices.BinarySearchFunc(seq, r, l.byCursor); ok {
		seq = slices.Delete(seq, i, i+1)
	}
	if len(seq) > 1 {
		l.seqs[v.many-1] = seq
		return
	}
	l.seqs[v.many-1] = nil
	l.seqFree = append(l.seqFree, v.many)
	l.byCorr.set(p, corrSeq{one: seq[0]})
}

// removeCmd unfiles r (its record stays, to be filed again or freed).
func (l *cmdLog) removeCmd(r uint32) {
	e, p, _ := l.ids.find(l.cmdID(r))
	e.cmd = 0
	l.setID(p, e)
	if n := len(l.unfiled); n > 0 && l.unfiled[n-1] == r {
		// The last record filed (a rolled-back insert): never in byCorr.
		l.unfiled = l.unfiled[:n-1]
	} else {
		l.fileAll()
		l.unfileCorr(r)
	}
	if l.cmds.at(r).status != statusPending {
		l.cmdExpiry.remove(r, l.byCmdExpiry)
	}
}

// addCorr files record c (made earlier, then removed).
func (l *cmdLog) addCorr(c uint32) {
	e, p, _ := l.ids.find(l.corrID(c))
	e.corr = c
	l.ids.set(p, e)
	l.indexCorr(c)
}

// indexCorr files c in the indexes (not in ids).
func (l *cmdLog) indexCorr(c uint32) {
	bc := l.corrContext(c)
	q := l.byContext[bc]
	if q == nil {
		q = &queue[uint32]{}
		l.byContext[strings.Clone(bc)] = q
	}
	q.add(c, l.byCreated)
	l.corrExpiry.add(c, l.byCorrExpiry)
}

// removeCorr unfiles c (its record stays, to be filed again or freed).
func (l *cmdLog) removeCorr(c uint32) {
	e, p, _ := l.ids.find(l.corrID(c))
	e.corr = 0
	l.setID(p, e)
	l.byContext[l.corrContext(c)].remove(c, l.byCreated)
	l.corrExpiry.remove(c, l.byCorrExpiry)
}

// clOp names the command log write an undoEntry undoes.
type clOp uint8

const (
	clNone        clOp = iota
	clCmdInsert        // remove and free rec
	clCmdComplete      // make rec pending again
	clCmdDelete        // file rec again (commit frees it)
	clCorrPut          // remove and free rec
	clCorrMerge        // put rec's previous event ids (piece) back (commit unrefs them)
	clCorrDelete       // file rec again (commit frees it)
)

// undoCommandLog applies a command log undo entry.
func (u *undoEntry) undoCommandLog(l *cmdLog) {
	switch u.op {
	case clCmdInsert:
		l.removeCmd(u.rec)
		l.freeCmd(u.rec)
	case clCmdComplete:
		r := u.rec
		l.cmdExpiry.remove(r, l.byCmdExpiry)
		s := l.cmds.at(r)
		if s.result.n > 0 {
			l.arena.unref(s.result.chunk)
		}
		l.times.drop(s.executedAt, r, tfCmdExecuted)
		s.status, s.result, s.executedAt = statusPending, clPiece{}, zeroPtime
	case clCmdDelete:
		l.addCmd(u.rec)
	case clCorrPut:
		l.removeCorr(u.rec)
		l.freeCorr(u.rec)
	case clCorrMerge:
		s := l.corrs.at(u.rec)
		l.arena.unref(s.ev.chunk) // a merge adds ids: never empty
		s.ev = u.piece
	case clCorrDelete:
		l.addCorr(u.rec)
	}
}

// commit gives back what a committing unit of work deleted or replaced in
// the command log (undo is its undo log): the records it deleted and the
// event ids its merges replaced.
func (l *cmdLog) commit(undo []undoEntry) {
	for i := range undo {
		switch u := &undo[i]; u.op {
		case clCmdDelete:
			l.freeCmd(u.rec)
		case clCorrDelete:
			l.freeCorr(u.rec)
		case clCorrMerge:
			if u.piece.n > 0 {
				l.arena.unref(u.piece.chunk)
			}
		}
	}
}

// logCmd records the undo of a command log write.
func (t *tx) logCmd(op clOp, rec uint32, piece clPiece) {
	t.undo = append(t.undo, undoEntry{op: op, rec: rec, piece: piece})
	t.wrote = true
}

// putCorr stores rec as PutCorrelation does. s.mu is held.
func (t *tx) putCorr(rec *store.CorrelationRecord) {
	l := &t.s.st.cl
	e, p, _ := l.ids.find(rec.CommandID)
	if e.corr != 0 {
		t.mergeEvents(e.corr, rec.EventIDs)
		return
	}
	c := l.newCorr(rec)
	e.corr = c
	l.ids.set(p, e)
	l.indexCorr(c)
	t.logCmd(clCorrPut, c, clPiece{})
}

// mergeEvents appends to correlation record c's event ids those of ids it
// does not hold, in order (ids hold no repeats): all of them in a new
// piece. s.mu is held.
func (t *tx) mergeEvents(c uint32, ids []string) {
	l := &t.s.st.cl
	ev := l.arena.str(l.corrs.at(c).ev)
	var seen map[string]struct{}
	if len(ids) > 8 && len(ev) > 512 {
		// Many against many: one pass over the stored ids, not one per id.
		seen = make(map[string]struct{})
		for i := 0; i < len(ev); {
			n := int(ev[i])
			seen[ev[i+1:i+1+n]] = struct{}{}
			i += 1 + n
		}
	}
	held := func(id string) bool {
		if seen != nil {
			_, ok := seen[id]
			return ok
		}
		return hasEvent(ev, id)
	}
	n := 0
	for _, id := range ids {
		if !held(id) {
			n += 1 + len(id)
		}
	}
	if n == 0 {
		return
	}
	b, chunk, off := l.arena.reserve(len(ev) + n)
	p := copy(b, ev)
	for _, id := range ids {
		if !held(id) {
			b[p] = byte(len(id))
			p += 1 + copy(b[p+1:], id)
		}
	}
	l.arena.ref(chunk)
	s := l.corrs.at(c)
	prev := s.ev
	s.ev = clPiece{chunk, off, uint32(len(b))}
	t.logCmd(clCorrMerge, c, prev)
}

// InsertCommand stores a new command record and, when corr is not nil, its
// correlation record; see store.CommandLog.
func (cl *commandLog) InsertCommand(ctx context.Context, rec store.CommandRecord, corr *store.CorrelationRecord) error {
	t := (*tx)(cl)
	if err := store.ValidateCommandInsert(rec, corr); err != nil {
		return err
	}
	if err := t.beginWrite(ctx, "command insert"); err != nil {
		return err
	}
	defer t.s.mu.Unlock()
	l := &t.s.st.cl
	e, p, _ := l.ids.find(rec.CommandID)
	if e.cmd != 0 {
		return store.CommandExists(rec.CommandID)
	}
	if corr != nil && e.corr != 0 {
		// The command's correlation record exists: merge into it.
		r, _ := l.newRecords(&rec, nil)
		e.cmd = r
		l.ids.set(p, e)
		l.indexCmd(r)
		t.logCmd(clCmdInsert, r, clPiece{})
		t.mergeEvents(e.corr, corr.EventIDs)
		return nil
	}
	r, c := l.newRecords(&rec, corr)
	e.cmd = r
	if c != 0 {
		e.corr = c
	}
	l.ids.set(p, e)
	l.indexCmd(r)
	t.logCmd(clCmdInsert, r, clPiece{})
	if c != 0 {
		l.indexCorr(c)
		t.logCmd(clCorrPut, c, clPiece{})
	}
	return nil
}

// GetCommand returns the record of a command id, or false.
func (cl *commandLog) GetCommand(ctx context.Context, commandID string) (store.CommandRecord, bool, error) {
	t := (*tx)(cl)
	if err := store.ValidateCommandID("commandId", commandID); err != nil {
		return store.CommandRecord{}, false, err
	}
	if err := t.begin(ctx); err != nil {
		return store.CommandRecord{}, false, err
	}
	defer t.s.mu.Unlock()
	l := &t.s.st.cl
	e, _, _ := l.ids.find(commandID)
	if e.cmd == 0 {
		return store.CommandRecord{}, false, nil
	}
	return l.exportCmd(e.cmd), true, nil
}

// CompleteCommand completes a pending record; the first completion wins.
func (cl *commandLog) CompleteCommand(ctx context.Context, commandID string, status string, result json.RawMessage, executedAt time.Time) (bool, error) {
	t := (*tx)(cl)
	if err := store.ValidateCommandCompletion(commandID, status, result); err != nil {
		return false, err
	}
	if err := t.beginWrite(ctx, "command completion"); err != nil {
		return false, err
	}
	defer t.s.mu.Unlock()
	l := &t.s.st.cl
	e, _, _ := l.ids.find(commandID)
	r := e.cmd
	if r == 0 || l.cmds.at(r).status != statusPending {
		return false, nil
	}
	var res clPiece
	if len(result) > 0 {
		b, chunk, off := l.arena.reserve(len(result))
		copy(b, result)
		l.arena.ref(chunk)
		res = clPiece{chunk, off, uint32(len(result))}
	}
	s := l.cmds.at(r)
	s.status, s.result = statusCode(status), res
	s.executedAt = l.times.pack(executedAt, r, tfCmdExecuted)
	l.cmdExpiry.add(r, l.byCmdExpiry)
	t.logCmd(clCmdComplete, r, clPiece{})
	return true, nil
}

// CommandsByCorrelation lists a correlation id's records after a cursor.
func (cl *commandLog) CommandsByCorrelation(ctx context.Context, correlationID, after string, limit int) ([]store.CommandRecord, error) {
	t := (*tx)(cl)
	if err := store.ValidateCommandsByCorrelation(correlationID, after, limit); err != nil {
		return nil, err
	}
	if err := t.begin(ctx); err != nil {
		return nil, err
	}
	defer t.s.mu.Unlock()
	l := &t.s.st.cl
	l.fileAll()
	var recs []uint32
	if v, _, ok := l.byCorr.find(correlationID); ok {
		if v.many != 0 {
			recs = l.seqs[v.many-1]
		} else {
			recs = []uint32{v.one}
		}
	}
	// The first record whose cursor sorts after after.
	i, _ := slices.BinarySearchFunc(recs, after, func(r uint32, after string) int {
		if l.cmdCursor(r) <= after {
			return -1
		}
		return 1
	})
	recs = recs[i:]
	if len(recs) > limit {
		recs = recs[:limit]
	}
	out := make([]store.CommandRecord, len(recs))
	for i, r := range recs {
		out[i] = l.exportCmd(r)
	}
	return out, nil
}

// DeleteExpiredCommands deletes final records that expired before before.
func (cl *commandLog) DeleteExpiredCommands(ctx context.Context, before time.Time, limit int) (int, bool, error) {
	return (*tx)(cl).deleteExpired(ctx, "command deletion", limit, func(l *cmdLog) (*queue[uint32], bool) {
		live := l.cmdExpiry.live()
		return &l.cmdExpiry, len(live) > 0 && l.times.before(l.cmds.at(live[0]).expiresAt, live[0], tfCmdExpires, before)
	}, func(t *tx, l *cmdLog, r uint32) {
		l.removeCmd(r)
		t.logCmd(clCmdDelete, r, clPiece{})
	})
}

// PutCorrelation stores a correlation record or merges its event ids.
func (cl *commandLog) PutCorrelation(ctx context.Context, c store.CorrelationRecord) error {
	t := (*tx)(cl)
	if err := store.ValidateCorrelationRecord(c); err != nil {
		return err
	}
	if err := t.beginWrite(ctx, "correlation put"); err != nil {
		return err
	}
	defer t.s.mu.Unlock()
	t.putCorr(&c)
	return nil
}

// GetCorrelation returns the correlation record of a command id, or false.
func (cl *commandLog) GetCorrelation(ctx context.Context, commandID string) (store.CorrelationRecord, bool, error) {
	t := (*tx)(cl)
	if err := store.ValidateCommandID("commandId", commandID); err != nil {
		return store.CorrelationRecord{}, false, err
	}
	if err := t.begin(ctx); err != nil {
		return store.CorrelationRecord{}, false, err
	}
	defer t.s.mu.Unlock()
	l := &t.s.st.cl
	e, _, _ := l.ids.find(commandID)
	if e.corr == 0 {
		return store.CorrelationRecord{}, false, nil
	}
	return l.exportCorr(e.corr), true, nil
}

// CorrelationsByContext lists a bounded context's correlation records
// created at or after since.
func (cl *commandLog) CorrelationsByContext(ctx context.Context, boundedContext string, since time.Time, limit int) ([]store.CorrelationRecord, error) {
	t := (*tx)(cl)
	if err := store.ValidateCorrelationsByContext(boundedContext, limit); err != nil {
		return nil, err
	}
	if err := t.begin(ctx); err != nil {
		return nil, err
	}
	defer t.s.mu.Unlock()
	l := &t.s.st.cl
	var recs []uint32
	if q := l.byContext[boundedContext]; q != nil {
		recs = q.live()
	}
	// The first record created at or after since.
	i, _ := slices.BinarySearchFunc(recs, since, func(c uint32, since time.Time) int {
		if l.times.before(l.corrs.at(c).createdAt, c, tfCorrCreated, since) {
			return -1
		}
		return 1
	})
	recs = recs[i:]
	if len(recs) > limit {
		recs = recs[:limit]
	}
	out := make([]store.CorrelationRecord, len(recs))
	for i, c := range recs {
		out[i] = l.exportCorr(c)
	}
	return out, nil
}

// DeleteExpiredCorrelations deletes correlation records that expired
// before before.
func (cl *commandLog) DeleteExpiredCorrelations(ctx context.Context, before time.Time, limit int) (int, bool, error) {
	return (*tx)(cl).deleteExpired(ctx, "correlation deletion", limit, func(l *cmdLog) (*queue[uint32], bool) {
		live := l.corrExpiry.live()
		return &l.corrExpiry, len(live) > 0 && l.times.before(l.corrs.at(live[0]).expiresAt, live[0], tfCorrExpires, before)
	}, func(t *tx, l *cmdLog, c uint32) {
		l.removeCorr(c)
		t.logCmd(clCorrDelete, c, clPiece{})
	})
}

// deleteExpired removes, front first, at most limit records from an
// expiry queue while its front has expired (front names the queue and
// whether that holds), and reports how many it removed and whether more
// expired ones remain.
func (t *tx) deleteExpired(ctx context.Context, op string, limit int, front func(*cmdLog) (*queue[uint32], bool),
	remove func(*tx, *cmdLog, uint32)) (int, bool, error) {
	if err := store.ValidateCommandLogLimit(limit); err != nil {
		return 0, false, err
	}
	if err := t.beginWrite(ctx, op); err != nil {
		return 0, false, err
	}
	defer t.s.mu.Unlock()
	l := &t.s.st.cl
	deleted := 0
	for {
		q, expired := front(l)
		if !expired {
			return deleted, false, nil
		}
		if deleted == limit {
			return deleted, true, nil
		}
		remove(t, l, q.live()[0])
		deleted++
	}
}
