package memstore

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/store"
)

// Capabilities is what memstore claims: positions are gapless (units of work
// run one at a time, so a rolled-back append never leaves a hole) and faults
// can be injected. It claims neither Persistent, ConcurrentProcesses nor
// InterleavedTransactions.
var Capabilities = store.Capabilities{store.GaplessPositions, store.FaultInjection}

// Option configures a Store.
type Option func(*Store)

// WithClock makes the store read time from c (nil keeps the default virtual
// clock).
func WithClock(c es.Clock) Option {
	return func(s *Store) {
		if c != nil {
			s.clock = c
		}
	}
}

// WithIDs makes the store mint event, job and audit ids from ids (nil keeps
// the default sequential ids).
func WithIDs(ids es.IDs) Option {
	return func(s *Store) {
		if ids != nil {
			s.ids = ids
		}
	}
}

// Store is the in-memory engine. It implements store.Store and is safe for
// concurrent use. Units of work run one at a time: a unit waits (honouring
// its context) until the previous one has committed or rolled back.
type Store struct {
	// sem holds one token; a unit of work owns the store while it holds it.
	sem    chan struct{}
	closed atomic.Bool

	clock es.Clock
	ids   es.IDs

	// mu guards everything below. Every Tx operation takes it, so a Tx that
	// leaked out of its Atomic can only ever see that it has ended.
	mu sync.Mutex
	st state

	// spareUndo is the emptied undo log of the last unit of work, reused
	// by the next so a unit's first writes do not grow a new one. Written
	// under mu at the unit's end, read when the next unit starts (units
	// run one at a time).
	spareUndo []undoEntry

	// Fault injection (guarded by mu).
	failCommit     error // non-nil: the next committing unit of work fails with it
	failAfterArmed bool
	failAfter      int // write operations still allowed before one fails
}

// New returns an empty store. Without options it reads time from a virtual
// clock at es.DefaultVirtualStart and mints sequential ids, so the same
// sequence of calls produces the same bytes on every run.
func New(opts ...Option) *Store {
	s := &Store{
		sem:   make(chan struct{}, 1),
		clock: es.NewVirtualClock(es.DefaultVirtualStart),
		ids:   es.NewSequentialIDs(),
	}
	for _, o := range opts {
		o(s)
	}
	s.st.init()
	return s
}

// Clock returns the clock the store reads time from.
func (s *Store) Clock() es.Clock { return s.clock }

// VirtualClock returns the store's clock when it is an *es.VirtualClock (as
// it is by default), else nil. Tests use it to move time.
func (s *Store) VirtualClock() *es.VirtualClock {
	vc, _ := s.clock.(*es.VirtualClock)
	return vc
}

// IDs returns the id source the store mints from.
func (s *Store) IDs() es.IDs { return s.ids }

// Capabilities returns a copy of the package's Capabilities.
func (s *Store) Capabilities() store.Capabilities {
	return append(store.Capabilities(nil), Capabilities...)
}

// Close marks the store closed: every later Atomic, and every operation of a
// unit of work still running, fails with STORE_CLOSED. Closing twice is a
// no-op. Close does not wait for a running unit of work.
func (s *Store) Close() error {
	s.closed.Store(true)
	return nil
}

// FailNextCommit arms a fault: the next unit of work that wrote something
// and would commit is rolled back instead, and Atomic returns err
// (es.ErrInjectedFault when err is nil). Read-only units of work are not
// affected and do not use the fault up.
func (s *Store) FailNextCommit(err error) {
	if err == nil {
		err = es.ErrInjectedFault
	}
	s.mu.Lock()
	s.failCommit = err
	s.mu.Unlock()
}

// FailAfterWrites arms a fault: the next n write operations (Append, Insert,
// Update, Delete, Enqueue, Claim, Complete, Fail, and the command log's
// InsertCommand, CompleteCommand, PutCorrelation and DeleteExpired*),
// counted across units of work, run normally, and the one after them fails
// with INJECTED_FAULT without writing anything. The fault then disarms. A
// negative n disarms it.
func (s *Store) FailAfterWrites(n int) {
	s.mu.Lock()
	s.failAfterArmed = n >= 0
	s.failAfter = n
	s.mu.Unlock()
}

// ClearFaults disarms every injected fault.
func (s *Store) ClearFaults() {
	s.mu.Lock()
	s.failCommit = nil
	s.failAfterArmed = false
	s.mu.Unlock()
}

// Atomic runs fn in one unit of work; see store.Store. It waits for the
// store's previous unit of work to finish, or for ctx to be done. When fn
// returns an error or panics, or ctx is done before the commit, everything
// fn did is undone (idempotency-conflict audits excepted) and the error is
// returned or the panic re-raised. Units of work do not nest: calling Atomic
// on the same Store from inside fn blocks until ctx is done.
func (s *Store) Atomic(ctx context.Context, fn func(tx store.Tx) error) error {
	if fn == nil {
		return es.Errorf(es.CodeInvalidArgument, "memstore: Atomic needs a function")
	}
	if ctx == nil {
		return es.Errorf(es.CodeInvalidArgument, "memstore: Atomic needs a context")
	}
	if s.closed.Load() {
		return es.ErrClosed
	}
	select {
	case s.sem <- struct{}{}:
	default:
		select {
		case s.sem <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	t := &tx{s: s, logStart: s.st.log.n, undo: s.spareUndo}
	s.spareUndo = nil
	committed := false
	defer func() {
		if !committed {
			s.mu.Lock()
			t.rollback()
			t.done = true
			s.mu.Unlock()
		}
		<-s.sem
	}()
	if s.closed.Load() {
		return es.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := fn(t); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return es.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if t.wrote && s.failCommit != nil {
		err := s.failCommit
		s.failCommit = nil
		return err
	}
	t.commit()
	t.done = true
	committed = true
	return nil
}

// tx is one unit of work. Its Events, Documents and Jobs views are the same
// pointer under other method sets, so handing them out allocates nothing.
type tx struct {
	s *Store
	// done is set (under s.mu) when Atomic returns; later calls fail.
	done bool
	// wrote records whether any write succeeded (FailNextCommit only hits
	// units of work that would write).
	wrote bool
	// logStart is the log length when the unit began; rollback truncates
	// the log and its indexes back to it.
	logStart int
	// undo holds the inverse of every non-event write, run in reverse.
	undo []undoEntry
	// idemKeys lists idempotency keys recorded by this unit.
	idemKeys []string
	// touched lists the job partitions this unit changed (commit compacts
	// them).
	touched []*partQueue
	// lastRead is the document this unit last read (see docMemo).
	lastRead docMemo
}

func (t *tx) Events() store.EventLog     { return (*eventLog)(t) }
func (t *tx) Documents() store.Documents { return (*documents)(t) }
func (t *tx) Jobs() store.Jobs           { return (*jobs)(t) }
func (t *tx) Commands() store.CommandLog { return (*commandLog)(t) }

// errEnded is returned by a Tx used after its Atomic returned.
var errEnded = es.Errorf(es.CodeTransactionAborted, "memstore: the unit of work has ended; a Tx is valid only inside the function given to Atomic")

// begin locks the store for one operation and checks the unit of work is
// still usable. On success the caller must unlock s.mu.
func (t *tx) begin(ctx context.Context) error {
	if ctx != nil {
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	t.s.mu.Lock()
	if err := t.usable(); err != nil {
		t.s.mu.Unlock()
		return err
	}
	return nil
}

// beginWrite is begin for a write operation: it also applies an armed
// FailAfterWrites fault.
func (t *tx) beginWrite(ctx context.Context, op string) error {
	if err := t.begin(ctx); err != nil {
		return err
	}
	s := t.s
	if s.failAfterArmed {
		if s.failAfter == 0 {
			s.failAfterArmed = false
			s.mu.Unlock()
			return es.Wrap(es.CodeInjectedFault, es.ErrInjectedFault, "memstore: %s failed by FailAfterWrites", op)
		}
		s.failAfter--
	}
	return nil
}

func (t *tx) usable() error {
	if t.done {
		return errEnded
	}
	if t.s.closed.Load() {
		return es.ErrClosed
	}
	return nil
}

func (t *tx) now() time.Time { return t.s.clock.Now().UTC() }

// rollback undoes everything the unit did. s.mu must be held.
func (t *tx) rollback() {
	st := &t.s.st
	for i := len(t.undo) - 1; i >= 0; i-- {
		t.undo[i].apply(st)
	}
	t.releaseUndo()
	for _, k := range t.idemKeys {
		delete(st.idem, k)
	}
	t.idemKeys = nil
	st.truncate(t.logStart)
}

// commit makes the unit's work permanent. s.mu must be held.
func (t *tx) commit() {
	t.s.st.cl.commit(t.undo)
	t.releaseUndo()
	t.idemKeys = nil
	if len(t.touched) > 0 {
		t.s.st.compactPartitions(t.touched)
		t.touched = nil
	}
}

// maxSpareUndo caps the capacity of an undo log kept for reuse, so one
// large unit of work does not pin its log for the store's lifetime.
const maxSpareUndo = 256

// releaseUndo ends the unit's undo log and keeps its backing array, emptied
// of the records and closures it pointed to, for the next unit of work.
// s.mu must be held.
func (t *tx) releaseUndo() {
	u := t.undo
	t.undo = nil
	if u == nil || cap(u) > maxSpareUndo {
		return
	}
	clear(u)
	t.s.spareUndo = u[:0]
}

// undoEntry is the inverse of one write. A document write (coll set) puts
// the previous record of key back (prev nil: removes the key), and a
// command log write (op set) is undone by undoCommandLog — both recorded
// without a closure, as they are the most frequent writes; any other write
// carries fn.
type undoEntry struct {
	coll *collection
	key  string
	prev *docRec
	fn   func()
	// op, rec and piece describe a command log write (see clOp).
	op    clOp
	rec   uint32
	piece clPiece
}

func (u *undoEntry) apply(st *state) {
	switch {
	case u.fn != nil:
		u.fn()
	case u.op != clNone:
		u.undoCommandLog(&st.cl)
	case u.prev == nil:
		u.coll.remove(u.key)
	default:
		u.coll.put(u.key, u.prev)
	}
}

// state is everything the store holds.
type state struct {
	// log is the global log: the event at position p is log.at(p-1).
	log recLog
	// streams maps a stream id to the positions of its events, in version
	// order (version v is at index v-1).
	streams map[es.StreamID]*postings
	// byType and byTag index positions for DCB reads and conditions.
	byType map[string]*postings
	byTag  map[es.Tag]*postings
	// byID indexes every stored event id (idIndex); event ids are unique
	// in the log. It is nil until the first append carrying an explicit id
	// (indexEventIDs builds it from the log then), so a store that only
	// mints ids never pays for it. Rollback removes a unit's ids with its
	// events (truncate).
	byID *idIndex
	// idem maps an idempotency key to the append it made.
	idem map[string]idemEntry
	// audits lists rejected key reuses per key; they survive rollbacks.
	audits map[string][]store.IdempotencyAudit

	collections map[string]*collection

	jobs  map[string]*jobRec
	seq   uint64                // the last job's enqueue order
	parts map[string]*partQueue // live jobs of each partition
	// wait and due schedule claims (schedule.go); sweptSize is their
	// size after the last sweep of stale entries.
	wait, due jobHeap
	sweptSize int
	dead      []*jobRec // dead letters in the order they died

	// cl is the command log (commandlog.go).
	cl cmdLog
}

func (st *state) init() {
	st.streams = make(map[es.StreamID]*postings)
	st.byType = make(map[string]*postings)
	st.byTag = make(map[es.Tag]*postings)
	st.idem = make(map[string]idemEntry)
	st.audits = make(map[string][]store.IdempotencyAudit)
	st.collections = make(map[string]*collection)
	st.jobs = make(map[string]*jobRec)
	st.parts = make(map[string]*partQueue)
	st.cl.init()
}

// postings is an ascending list of positions.
type postings struct {
	pos []es.Position
}

func (p *postings) pop() { p.pos = p.pos[:len(p.pos)-1] }

// after returns the positions greater than after.
func (p *postings) after(after es.Position) []es.Position {
	lo, hi := 0, len(p.pos)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if p.pos[m] <= after {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return p.pos[lo:]
}

// Compile-time checks.
var (
	_ store.Store         = (*Store)(nil)
	_ store.FaultInjector = (*Store)(nil)
	_ store.EventLog      = (*eventLog)(nil)
	_ store.Documents     = (*documents)(nil)
	_ store.Jobs          = (*jobs)(nil)
	_ store.CommandLog    = (*commandLog)(nil)
)
