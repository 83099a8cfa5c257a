package memstore

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"
	"unsafe"

	"github.com/eventspec/eventspec/store"
)

// commandLog is a tx seen as store.CommandLog.
//
// Records are held typed, never as JSON. A record's strings (ids, names,
// cursor, payload) are copied into one string when it is written, so a
// record costs one allocation for its bytes and holds few pointers for the
// garbage collector; records read back get fresh Payload, Result and
// EventIDs (their strings may share the store's immutable bytes).
//
// Listings return a non-nil slice (empty when nothing matches), and a
// correlation record's EventIDs read back as a non-nil slice: a record
// written with nil or empty EventIDs reads back []string{}.
type commandLog tx

// Command record fields packed in cmdRec.s, in this order.
const (
	cfCommandID = iota
	cfCommandType
	cfTargetContext
	cfUserID
	cfCorrelationID
	cfCausationID
	cfCursor
	cfPayload
	cmdFields
)

// Correlation record fields packed in corrRec.s, in this order.
const (
	rfCommandID = iota
	rfCommandType
	rfBoundedContext
	corrFields
)

// statuses names a cmdRec's status; the index is cmdRec.status.
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

// cmdRec is a stored command record. Its strings are packed in s, the i-th
// ending at end[i] (field); only completion changes a record in place
// (status, result, executedAt), and its undo puts it back to pending.
type cmdRec struct {
	s   string
	end [cmdFields]uint32
	// result is the completion's result ("" for none).
	result string
	status uint8
	// timestamp, executedAt and expiresAt are kept as given.
	timestamp, executedAt, expiresAt time.Time
	ttl                              time.Duration
}

func (r *cmdRec) field(i int) string {
	var start uint32
	if i > 0 {
		start = r.end[i-1]
	}
	return r.s[start:r.end[i]]
}

func (r *cmdRec) id() string     { return r.field(cfCommandID) }
func (r *cmdRec) cursor() string { return r.field(cfCursor) }

// export returns the record with a fresh Payload and Result.
func (r *cmdRec) export() store.CommandRecord {
	c := store.CommandRecord{
		CommandID:         r.field(cfCommandID),
		CommandType:       r.field(cfCommandType),
		TargetContext:     r.field(cfTargetContext),
		Payload:           json.RawMessage(r.field(cfPayload)),
		UserID:            r.field(cfUserID),
		CorrelationID:     r.field(cfCorrelationID),
		CausationID:       r.field(cfCausationID),
		Timestamp:         r.timestamp,
		CorrelationCursor: r.field(cfCursor),
		Status:            statuses[r.status],
		ExecutedAt:        r.executedAt,
		TTL:               r.ttl,
		ExpiresAt:         r.expiresAt,
	}
	if r.result != "" {
		c.Result = json.RawMessage(r.result)
	}
	return c
}

// corrRec is a stored correlation record: its strings packed in s (see
// cmdRec), its event ids in ev, each preceded by its length in one byte
// (ids are at most store.MaxCommandIDBytes long). A merge installs a new
// ev; nothing else changes in place.
type corrRec struct {
	s                    string
	end                  [corrFields]uint32
	ev                   string
	createdAt, expiresAt time.Time
	ttl                  time.Duration
}

func (c *corrRec) field(i int) string {
	var start uint32
	if i > 0 {
		start = c.end[i-1]
	}
	return c.s[start:c.end[i]]
}

func (c *corrRec) id() string { return c.field(rfCommandID) }

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

// export returns the record with a fresh EventIDs (never nil).
func (c *corrRec) export() store.CorrelationRecord {
	ids := make([]string, 0, eventCount(c.ev))
	for i := 0; i < len(c.ev); {
		n := int(c.ev[i])
		ids = append(ids, c.ev[i+1:i+1+n])
		i += 1 + n
	}
	return store.CorrelationRecord{
		CommandID:      c.field(rfCommandID),
		EventIDs:       ids,
		CommandType:    c.field(rfCommandType),
		BoundedContext: c.field(rfBoundedContext),
		CreatedAt:      c.createdAt,
		TTL:            c.ttl,
		ExpiresAt:      c.expiresAt,
	}
}

// cmdPair is a command record and its correlation record written by one
// InsertCommand: one allocation for both (and one for their strings).
type cmdPair struct {
	cmd  cmdRec
	corr corrRec
}

// cmdBytes returns how many bytes rec's packed strings take.
func cmdBytes(rec *store.CommandRecord) int {
	return len(rec.CommandID) + len(rec.CommandType) + len(rec.TargetContext) + len(rec.UserID) +
		len(rec.CorrelationID) + len(rec.CausationID) + len(rec.CorrelationCursor) + len(rec.Payload)
}

// corrBytes returns how many bytes c's packed strings and event ids take.
func corrBytes(c *store.CorrelationRecord) int {
	n := len(c.CommandID) + len(c.CommandType) + len(c.BoundedContext)
	for _, id := range c.EventIDs {
		n += 1 + len(id)
	}
	return n
}

// packer writes fields into a byte slice whose capacity is their exact
// size and records where each ends.
type packer struct {
	b []byte
}

func (p *packer) put(ends []uint32, i int, s string) {
	p.b = append(p.b, s...)
	ends[i] = uint32(len(p.b))
}

// str returns the packed bytes as a string without copying them: the
// bytes come from a slab and are never written again.
func (p *packer) str() string { return unsafe.String(unsafe.SliceData(p.b), len(p.b)) }

// packCmd writes rec's strings and sets r's fields from rec; the ends are
// relative to base (where rec's strings start in the buffer).
func (p *packer) packCmd(r *cmdRec, rec *store.CommandRecord) {
	base := len(p.b)
	e := r.end[:]
	p.put(e, cfCommandID, rec.CommandID)
	p.put(e, cfCommandType, rec.CommandType)
	p.put(e, cfTargetContext, rec.TargetContext)
	p.put(e, cfUserID, rec.UserID)
	p.put(e, cfCorrelationID, rec.CorrelationID)
	p.put(e, cfCausationID, rec.CausationID)
	p.put(e, cfCursor, rec.CorrelationCursor)
	p.b = append(p.b, rec.Payload...)
	e[cfPayload] = uint32(len(p.b))
	for i := range e {
		e[i] -= uint32(base)
	}
	r.status = statusCode(rec.Status)
	r.timestamp, r.executedAt, r.expiresAt, r.ttl = rec.Timestamp, rec.ExecutedAt, rec.ExpiresAt, rec.TTL
}

// packCorr is packCmd for a correlation record; its event ids follow its
// fields.
func (p *packer) packCorr(c *corrRec, rec *store.CorrelationRecord) {
	base := len(p.b)
	e := c.end[:]
	p.put(e, rfCommandID, rec.CommandID)
	p.put(e, rfCommandType, rec.CommandType)
	p.put(e, rfBoundedContext, rec.BoundedContext)
	for i := range e {
		e[i] -= uint32(base)
	}
	for _, id := range rec.EventIDs {
		p.b = append(append(p.b, byte(len(id))), id...)
	}
	c.createdAt, c.expiresAt, c.ttl = rec.CreatedAt, rec.ExpiresAt, rec.TTL
}

// slab hands out the memory of records: pieces of large byte chunks for
// their packed strings and slots of record arrays for the records
// themselves, so that storing a record costs no allocation of its own.
// Everything handed out is written once and then only read; the space of
// a record that is rolled back or deleted is never reused, and a chunk is
// freed by the garbage collector once nothing points into it.
type slab struct {
	bytes []byte    // the rest of the current byte chunk
	pairs []cmdPair // the rest of the current record array
}

const (
	slabBytes = 32 << 10 // a byte chunk
	slabPiece = 2 << 10  // a larger piece gets an allocation of its own
	slabPairs = 64       // records per record array
)

// packer returns a packer for n bytes.
func (sl *slab) packer(n int) packer {
	if n > slabPiece {
		return packer{b: make([]byte, 0, n)}
	}
	if cap(sl.bytes) < n {
		sl.bytes = make([]byte, slabBytes)
	}
	b := sl.bytes[:0:n]
	sl.bytes = sl.bytes[n:]
	return packer{b: b}
}

// pair returns a zero command-and-correlation record pair.
func (sl *slab) pair() *cmdPair {
	if len(sl.pairs) == 0 {
		sl.pairs = make([]cmdPair, slabPairs)
	}
	pr := &sl.pairs[0]
	sl.pairs = sl.pairs[1:]
	return pr
}

// newCmd returns a command record holding a copy of rec.
func (sl *slab) newCmd(rec *store.CommandRecord) *cmdRec {
	r := &sl.pair().cmd
	p := sl.packer(cmdBytes(rec) + len(rec.Result))
	p.packCmd(r, rec)
	p.b = append(p.b, rec.Result...) // last, in the same piece (a completion replaces it)
	s := p.str()
	end := len(s) - len(rec.Result)
	r.s, r.result = s[:end], s[end:]
	return r
}

// newCorr returns a correlation record holding a copy of rec.
func (sl *slab) newCorr(rec *store.CorrelationRecord) *corrRec {
	c := &sl.pair().corr
	p := sl.packer(corrBytes(rec))
	p.packCorr(c, rec)
	s := p.str()
	c.s, c.ev = s[:c.end[corrFields-1]], s[c.end[corrFields-1]:]
	return c
}

// newPair returns a command record and a correlation record in one pair,
// their strings in one piece.
func (sl *slab) newPair(rec *store.CommandRecord, corr *store.CorrelationRecord) (*cmdRec, *corrRec) {
	pr := sl.pair()
	r, c := &pr.cmd, &pr.corr
	p := sl.packer(cmdBytes(rec) + corrBytes(corr) + len(rec.Result))
	p.packCmd(r, rec)
	p.packCorr(c, corr)
	p.b = append(p.b, rec.Result...) // last, in the same piece (a completion replaces it)
	s := p.str()
	cmdEnd := int(r.end[cmdFields-1])
	corrEnd := cmdEnd + int(c.end[corrFields-1])
	evEnd := len(s) - len(rec.Result)
	r.s, c.s, c.ev, r.result = s[:cmdEnd], s[cmdEnd:corrEnd], s[corrEnd:evEnd], s[evEnd:]
	return r, c
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

// cmdSeq holds a correlation id's command records in ascending cursor
// order: one alone in one (most correlation ids have one command, and a map
// value holds it without an allocation), else all in many.
type cmdSeq struct {
	one  *cmdRec
	many []*cmdRec
}

// The orders of the indexes. Ties (equal cursor, time) fall to the
// command id, unique in each index.
func byCursor(a, b *cmdRec) int {
	if c := strings.Compare(a.cursor(), b.cursor()); c != 0 {
		return c
	}
	return strings.Compare(a.id(), b.id())
}

func byCmdExpiry(a, b *cmdRec) int {
	if c := a.expiresAt.Compare(b.expiresAt); c != 0 {
		return c
	}
	return strings.Compare(a.id(), b.id())
}

func byCreated(a, b *corrRec) int {
	if c := a.createdAt.Compare(b.createdAt); c != 0 {
		return c
	}
	return strings.Compare(a.id(), b.id())
}

func byCorrExpiry(a, b *corrRec) int {
	if c := a.expiresAt.Compare(b.expiresAt); c != 0 {
		return c
	}
	return strings.Compare(a.id(), b.id())
}

// idEntry is what the command log holds of one command id: its command
// record and its correlation record (either may be nil, not both).
type idEntry struct {
	cmd  *cmdRec
	corr *corrRec
}

// cmdLog is the command log's storage.
type cmdLog struct {
	// ids maps a command id to its records: one map for both kinds, so an
	// insert with its correlation record hashes the id once. The key is a
	// string of one of the records (rekeyed when that one leaves).
	ids map[string]idEntry
	// byCorr maps a correlation id to its records. The key is a string of
	// one of them (rekeyed when that one leaves), so it keeps no deleted
	// record's bytes alive. It is filed lazily: a new record waits in
	// unfiled, in insertion order, until a listing by correlation or a
	// removal needs byCorr complete (fileAll). Listing by correlation is
	// rare next to inserting, and most correlation ids have one command,
	// so most records never cost a map insert until someone asks.
	byCorr  map[string]cmdSeq
	unfiled []*cmdRec
	// cmdExpiry holds the final records (pending ones are never deleted)
	// by (ExpiresAt, CommandID).
	cmdExpiry queue[*cmdRec]

	// byContext holds each bounded context's correlation records by
	// (CreatedAt, CommandID); its keys are copies.
	byContext map[string]*queue[*corrRec]
	// corrExpiry holds every correlation record by (ExpiresAt, CommandID).
	corrExpiry queue[*corrRec]

	// slab is where new records and their strings are carved from.
	slab slab
}

func (l *cmdLog) init() {
	l.ids = make(map[string]idEntry)
	l.byCorr = make(map[string]cmdSeq)
	l.byContext = make(map[string]*queue[*corrRec])
}

// setIDs sets the entry of a command id (both nil: deletes it), keyed by
// a string of one of its records.
func (l *cmdLog) setIDs(id string, e idEntry) {
	switch {
	case e.cmd != nil:
		l.ids[e.cmd.id()] = e
	case e.corr != nil:
		l.ids[e.corr.id()] = e
	default:
		delete(l.ids, id)
	}
}

// addCmd files a new record r.
func (l *cmdLog) addCmd(r *cmdRec) {
	e := l.ids[r.id()]
	e.cmd = r
	l.setIDs(r.id(), e)
	l.indexCmd(r)
}

// indexCmd files r in the indexes (not in ids); byCorr lazily.
func (l *cmdLog) indexCmd(r *cmdRec) {
	l.unfiled = append(l.unfiled, r)
	if r.status != statusPending {
		l.cmdExpiry.add(r, byCmdExpiry)
	}
}

// fileAll files the unfiled records in byCorr, in the order they came.
func (l *cmdLog) fileAll() {
	for i, r := range l.unfiled {
		l.fileCorr(r)
		l.unfiled[i] = nil
	}
	l.unfiled = l.unfiled[:0]
}

// fileCorr files r under its correlation id in byCorr.
func (l *cmdLog) fileCorr(r *cmdRec) {
	corrID := r.field(cfCorrelationID)
	seq, ok := l.byCorr[corrID]
	switch {
	case !ok:
		seq.one = r
	case seq.many == nil:
		if byCursor(seq.one, r) < 0 {
			seq.many = []*cmdRec{seq.one, r}
		} else {
			seq.many = []*cmdRec{r, seq.one}
		}
		seq.one = nil
	default:
		if n := len(seq.many); byCursor(seq.many[n-1], r) < 0 {
			seq.many = append(seq.many, r)
		} else {
			i, _ := slices.BinarySearchFunc(seq.many, r, byCursor)
			seq.many = slices.Insert(seq.many, i, r)
		}
	}
	l.byCorr[corrID] = seq
}

// removeCmd unfiles r.
func (l *cmdLog) removeCmd(r *cmdRec) {
	e := l.ids[r.id()]
	e.cmd = nil
	l.setIDs(r.id(), e)
	if n := len(l.unfiled); n > 0 && l.unfiled[n-1] == r {
		// The last record filed (a rolled-back insert): never in byCorr.
		l.unfiled[n-1] = nil
		l.unfiled = l.unfiled[:n-1]
		if r.status != statusPending {
			l.cmdExpiry.remove(r, byCmdExpiry)
		}
		return
	}
	l.fileAll()
	corrID := r.field(cfCorrelationID)
	seq := l.byCorr[corrID]
	if seq.many != nil {
		if i, ok := slices.BinarySearchFunc(seq.many, r, byCursor); ok {
			seq.many = slices.Delete(seq.many, i, i+1)
		}
	}
	delete(l.byCorr, corrID)
	if len(seq.many) > 0 {
		// Rekey under a remaining record's string.
		l.byCorr[seq.many[0].field(cfCorrelationID)] = seq
	}
	if r.status != statusPending {
		l.cmdExpiry.remove(r, byCmdExpiry)
	}
}

// addCorr files a new record c.
func (l *cmdLog) addCorr(c *corrRec) {
	e := l.ids[c.id()]
	e.corr = c
	l.setIDs(c.id(), e)
	l.indexCorr(c)
}

// indexCorr files c in the indexes (not in ids).
func (l *cmdLog) indexCorr(c *corrRec) {
	bc := c.field(rfBoundedContext)
	q := l.byContext[bc]
	if q == nil {
		q = &queue[*corrRec]{}
		l.byContext[strings.Clone(bc)] = q
	}
	q.add(c, byCreated)
	l.corrExpiry.add(c, byCorrExpiry)
}

// removeCorr unfiles c.
func (l *cmdLog) removeCorr(c *corrRec) {
	e := l.ids[c.id()]
	e.corr = nil
	l.setIDs(c.id(), e)
	l.byContext[c.field(rfBoundedContext)].remove(c, byCreated)
	l.corrExpiry.remove(c, byCorrExpiry)
}

// clOp names the command log write an undoEntry undoes.
type clOp uint8

const (
	clNone        clOp = iota
	clCmdInsert        // remove cmd
	clCmdComplete      // make cmd pending again
	clCmdDelete        // file cmd again
	clCorrPut          // remove corr
	clCorrMerge        // put corr's previous event ids (the entry's key) back
	clCorrDelete       // file corr again
)

// undoCommandLog applies a command log undo entry.
func (u *undoEntry) undoCommandLog(l *cmdLog) {
	switch u.op {
	case clCmdInsert:
		l.removeCmd(u.cmd)
	case clCmdComplete:
		r := u.cmd
		l.cmdExpiry.remove(r, byCmdExpiry)
		r.status, r.result, r.executedAt = statusPending, "", time.Time{}
	case clCmdDelete:
		l.addCmd(u.cmd)
	case clCorrPut:
		l.removeCorr(u.corr)
	case clCorrMerge:
		u.corr.ev = u.key
	case clCorrDelete:
		l.addCorr(u.corr)
	}
}

// logCmd records the undo of a command log write.
func (t *tx) logCmd(op clOp, r *cmdRec, c *corrRec, prevEv string) {
	t.undo = append(t.undo, undoEntry{op: op, cmd: r, corr: c, key: prevEv})
	t.wrote = true
}

// putCorr stores rec as PutCorrelation does. s.mu is held.
func (t *tx) putCorr(rec *store.CorrelationRecord) {
	l := &t.s.st.cl
	cur := l.ids[rec.CommandID].corr
	if cur == nil {
		c := l.slab.newCorr(rec)
		l.addCorr(c)
		t.logCmd(clCorrPut, nil, c, "")
		return
	}
	t.mergeEvents(cur, rec.EventIDs)
}

// mergeEvents appends to c's event ids those of ids it does not hold, in
// order (ids hold no repeats). s.mu is held.
func (t *tx) mergeEvents(c *corrRec, ids []string) {
	var seen map[string]struct{}
	if len(ids) > 8 && len(c.ev) > 512 {
		// Many against many: one pass over the stored ids, not one per id.
		seen = make(map[string]struct{})
		for i := 0; i < len(c.ev); {
			n := int(c.ev[i])
			seen[c.ev[i+1:i+1+n]] = struct{}{}
			i += 1 + n
		}
	}
	held := func(id string) bool {
		if seen != nil {
			_, ok := seen[id]
			return ok
		}
		return hasEvent(c.ev, id)
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
	var b strings.Builder
	b.Grow(len(c.ev) + n)
	b.WriteString(c.ev)
	for _, id := range ids {
		if !held(id) {
			b.WriteByte(byte(len(id)))
			b.WriteString(id)
		}
	}
	prev := c.ev
	c.ev = b.String()
	t.logCmd(clCorrMerge, nil, c, prev)
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
	e := l.ids[rec.CommandID]
	if e.cmd != nil {
		return store.CommandExists(rec.CommandID)
	}
	if corr == nil || e.corr != nil || corr.ExpiresAt.After(rec.ExpiresAt) {
		r := l.slab.newCmd(&rec)
		l.addCmd(r)
		t.logCmd(clCmdInsert, r, nil, "")
		if corr != nil {
			t.putCorr(corr)
		}
		return nil
	}
	r, c := l.slab.newPair(&rec, corr)
	l.ids[r.id()] = idEntry{cmd: r, corr: c}
	l.indexCmd(r)
	l.indexCorr(c)
	t.logCmd(clCmdInsert, r, nil, "")
	t.logCmd(clCorrPut, nil, c, "")
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
	r := t.s.st.cl.ids[commandID].cmd
	if r == nil {
		return store.CommandRecord{}, false, nil
	}
	return r.export(), true, nil
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
	r := l.ids[commandID].cmd
	if r == nil || r.status != statusPending {
		return false, nil
	}
	r.status = statusCode(status)
	if len(result) > 0 {
		r.result = string(result)
	}
	r.executedAt = executedAt
	l.cmdExpiry.add(r, byCmdExpiry)
	t.logCmd(clCmdComplete, r, nil, "")
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
	t.s.st.cl.fileAll()
	seq := t.s.st.cl.byCorr[correlationID]
	recs := seq.many
	if seq.one != nil {
		recs = []*cmdRec{seq.one}
	}
	// The first record whose cursor sorts after after.
	i, _ := slices.BinarySearchFunc(recs, after, func(r *cmdRec, after string) int {
		if r.cursor() <= after {
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
		out[i] = r.export()
	}
	return out, nil
}

// DeleteExpiredCommands deletes final records that expired before before.
func (cl *commandLog) DeleteExpiredCommands(ctx context.Context, before time.Time, limit int) (int, bool, error) {
	t := (*tx)(cl)
	if err := store.ValidateCommandLogLimit(limit); err != nil {
		return 0, false, err
	}
	if err := t.beginWrite(ctx, "command deletion"); err != nil {
		return 0, false, err
	}
	defer t.s.mu.Unlock()
	l := &t.s.st.cl
	deleted := 0
	for {
		live := l.cmdExpiry.live()
		if len(live) == 0 || !live[0].expiresAt.Before(before) {
			return deleted, false, nil
		}
		if deleted == limit {
			return deleted, true, nil
		}
		r := live[0]
		l.removeCmd(r)
		t.logCmd(clCmdDelete, r, nil, "")
		deleted++
	}
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
	c := t.s.st.cl.ids[commandID].corr
	if c == nil {
		return store.CorrelationRecord{}, false, nil
	}
	return c.export(), true, nil
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
	var recs []*corrRec
	if q := t.s.st.cl.byContext[boundedContext]; q != nil {
		recs = q.live()
	}
	// The first record created at or after since.
	i, _ := slices.BinarySearchFunc(recs, since, func(c *corrRec, since time.Time) int {
		if c.createdAt.Before(since) {
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
		out[i] = c.export()
	}
	return out, nil
}

// DeleteExpiredCorrelations deletes correlation records that expired
// before before.
func (cl *commandLog) DeleteExpiredCorrelations(ctx context.Context, before time.Time, limit int) (int, bool, error) {
	t := (*tx)(cl)
	if err := store.ValidateCommandLogLimit(limit); err != nil {
		return 0, false, err
	}
	if err := t.beginWrite(ctx, "correlation deletion"); err != nil {
		return 0, false, err
	}
	defer t.s.mu.Unlock()
	l := &t.s.st.cl
	deleted := 0
	for {
		live := l.corrExpiry.live()
		if len(live) == 0 || !live[0].expiresAt.Before(before) {
			return deleted, false, nil
		}
		if deleted == limit {
			return deleted, true, nil
		}
		c := live[0]
		l.removeCorr(c)
		t.logCmd(clCorrDelete, nil, c, "")
		deleted++
	}
}
