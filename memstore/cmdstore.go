package memstore

import (
	"hash/maphash"
	"time"
)

// The command log keeps its records in a form the garbage collector need
// not scan, as the event log does (evlog.go): a fixed-size record without
// pointers per command (cmdSlot) and per correlation record (corrSlot), in
// chunked arrays and addressed by index; their strings, payloads, results
// and event ids in append-only byte chunks (clArena); their times as
// seconds, nanoseconds and an index into a small table of locations; and
// the indexes as maps and slices of integers. So a collection cycle marks
// a few chunk objects where it used to scan several pointers per command.
//
// The space of a deleted record is given back when its unit of work
// commits (a rollback may bring the record back until then): its slot is
// reused, and a byte chunk is dropped once no record holds a piece of it.
// Bytes are never written again once written, so strings read from the
// log (which share them) stay intact; a dropped chunk is freed by the
// garbage collector when no such string points into it any more.

// clPiece is a run of bytes in the command log's arena: n bytes of chunk
// chunk from offset off. A record holding a non-empty piece holds a
// reference to its chunk (clArena.refs).
type clPiece struct {
	chunk, off, n uint32
}

// clPieceMax is the size above which a piece gets a chunk of its own (so
// that a chunk's unused tail stays small next to the chunk).
const clPieceMax = arenaChunk / 8

// clArena holds the command log's bytes in chunks that are only appended
// to; see the comment above.
type clArena struct {
	chunks [][]byte // nil: dropped (its id is in free)
	refs   []uint32 // pieces of live records in each chunk
	free   []uint32 // ids of dropped chunks, to reuse
	cur    int      // the chunk appended to; -1: none
	size   int      // the capacity of the last chunk made for appending
}

// reserve takes size bytes (size > 0) and returns them, with exactly that
// capacity, and where they are. The caller takes a reference to the chunk
// for each piece of them a record holds (ref).
func (a *clArena) reserve(size int) (b []byte, chunk, off uint32) {
	if size > clPieceMax {
		c := a.newChunk(make([]byte, size))
		return a.chunks[c], c, 0
	}
	if a.cur < 0 || cap(a.chunks[a.cur])-len(a.chunks[a.cur]) < size {
		a.size = min(max(2*a.size, arenaFirst), arenaChunk)
		if old := a.cur; old >= 0 {
			a.cur = -1
			a.dropIfFree(uint32(old))
		}
		a.cur = int(a.newChunk(make([]byte, 0, max(a.size, size))))
	}
	ch := a.chunks[a.cur]
	o := len(ch)
	ch = ch[:o+size]
	a.chunks[a.cur] = ch
	return ch[o : o+size : o+size], uint32(a.cur), uint32(o)
}

// newChunk files b as a chunk (reusing a dropped chunk's id) and returns
// its id.
func (a *clArena) newChunk(b []byte) uint32 {
	if n := len(a.free); n > 0 {
		c := a.free[n-1]
		a.free = a.free[:n-1]
		a.chunks[c] = b
		return c
	}
	a.chunks = append(a.chunks, b)
	a.refs = append(a.refs, 0)
	return uint32(len(a.chunks) - 1)
}

func (a *clArena) ref(c uint32) { a.refs[c]++ }

// unref drops a reference to chunk c, and the chunk with its last one
// (unless it is the chunk appended to).
func (a *clArena) unref(c uint32) {
	a.refs[c]--
	a.dropIfFree(c)
}

func (a *clArena) dropIfFree(c uint32) {
	if a.refs[c] == 0 && int(c) != a.cur {
		a.chunks[c] = nil
		a.free = append(a.free, c)
	}
}

// str returns the piece as a string sharing the arena's bytes.
func (a *clArena) str(p clPiece) string {
	if p.n == 0 {
		return ""
	}
	return arenaString(a.chunks[p.chunk][p.off : p.off+p.n])
}

// at returns the n bytes of chunk c from off as a string sharing them.
func (a *clArena) at(c, off, n uint32) string {
	return a.str(clPiece{c, off, n})
}

// slotBits sets the size of the record arrays: 1<<slotBits records.
const slotBits = 10

// slots holds records of type T in fixed-size arrays, addressed by index
// from 1 (0 means none). A released index is reused by a later alloc; the
// arrays never shrink. A pointer returned by at is valid until the next
// alloc.
type slots[T any] struct {
	chunks [][]T
	n      uint32 // indexes made, counting the unused 0
	free   []uint32
}

func (s *slots[T]) at(i uint32) *T { return &s.chunks[i>>slotBits][i&(1<<slotBits-1)] }

// alloc returns the index of a zero record.
func (s *slots[T]) alloc() uint32 {
	if n := len(s.free); n > 0 {
		i := s.free[n-1]
		s.free = s.free[:n-1]
		return i
	}
	var zero T
	if s.n == 0 {
		s.chunks = append(s.chunks, make([]T, 1, 16)) // index 0, never used
		s.n = 1
	}
	c := s.n >> slotBits
	if int(c) == len(s.chunks) {
		s.chunks = append(s.chunks, make([]T, 0, 1<<slotBits))
	}
	s.chunks[c] = append(s.chunks[c], zero)
	s.n++
	return s.n - 1
}

// release zeroes record i and makes its index reusable.
func (s *slots[T]) release(i uint32) {
	var zero T
	*s.at(i) = zero
	s.free = append(s.free, i)
}

// ptime is a time.Time without a pointer: its instant as seconds since
// the Unix epoch and nanoseconds, and its location as an index into the
// command log's table of locations (0: UTC). A time that does not fit —
// one carrying a monotonic clock reading, or in a location met after the
// table is full — is kept whole in the log's side table (loc locSide).
type ptime struct {
	sec  int64
	nsec uint32
	loc  uint32
}

const (
	locSide = ^uint32(0)
	maxLocs = 256 // the table's size (UTC included)
)

// The time fields of the records, in the keys of the side table.
const (
	tfCmdTimestamp = iota
	tfCmdExecuted
	tfCmdExpires
	tfCorrCreated
	tfCorrExpires
	timeFields
)

// sideKey is the key of a record's time field in the side table.
func sideKey(slot uint32, field int) uint64 { return uint64(slot)*timeFields + uint64(field) }

// zeroPtime is the zero time.Time packed.
var zeroPtime = ptime{sec: time.Time{}.Unix()}

// times packs and unpacks the command log's times.
type times struct {
	locs    []*time.Location // locs[0] (UTC) is nil
	locIdx  map[*time.Location]uint32
	lastLoc uint32
	side    map[uint64]time.Time
}

// pack returns t packed for the field of a record, keeping it in the side
// table if need be. Unpacking gives back t exactly: the same instant, the
// same *time.Location (UTC as a nil one, as time.Time keeps it) and the
// same monotonic reading.
func (x *times) pack(t time.Time, slot uint32, field int) ptime {
	p := ptime{sec: t.Unix(), nsec: uint32(t.Nanosecond())}
	if loc := t.Location(); loc != time.UTC {
		p.loc = x.locIndex(loc)
	}
	if p.loc == locSide || t != t.Round(0) {
		if x.side == nil {
			x.side = make(map[uint64]time.Time)
		}
		x.side[sideKey(slot, field)] = t
		p.loc = locSide
	}
	return p
}

// locIndex returns loc's index in the table, adding it when there is room
// (locSide when there is none).
func (x *times) locIndex(loc *time.Location) uint32 {
	if x.lastLoc != 0 && x.locs[x.lastLoc] == loc {
		return x.lastLoc
	}
	i, ok := x.locIdx[loc]
	if !ok {
		if len(x.locs) == 0 {
			x.locs = append(x.locs, nil)
			x.locIdx = make(map[*time.Location]uint32)
		}
		if len(x.locs) == maxLocs {
			return locSide
		}
		i = uint32(len(x.locs))
		x.locs = append(x.locs, loc)
		x.locIdx[loc] = i
	}
	x.lastLoc = i
	return i
}

// unpack returns the time p packs.
func (x *times) unpack(p ptime, slot uint32, field int) time.Time {
	switch p.loc {
	case 0:
		return time.Unix(p.sec, int64(p.nsec)).UTC()
	case locSide:
		return x.side[sideKey(slot, field)]
	}
	return time.Unix(p.sec, int64(p.nsec)).In(x.locs[p.loc])
}

// drop forgets the side table's copy of p, if it has one.
func (x *times) drop(p ptime, slot uint32, field int) {
	if p.loc == locSide {
		delete(x.side, sideKey(slot, field))
	}
}

// compare is a.Compare(b) of the unpacked times. Only times that both
// carry a monotonic reading compare by it, and such times are kept whole.
func (x *times) compare(a ptime, aSlot uint32, aField int, b ptime, bSlot uint32, bField int) int {
	if a.loc == locSide && b.loc == locSide {
		return x.side[sideKey(aSlot, aField)].Compare(x.side[sideKey(bSlot, bField)])
	}
	switch {
	case a.sec < b.sec:
		return -1
	case a.sec > b.sec:
		return 1
	case a.nsec < b.nsec:
		return -1
	case a.nsec > b.nsec:
		return 1
	}
	return 0
}

// before is the unpacked p.Before(t).
func (x *times) before(p ptime, slot uint32, field int, t time.Time) bool {
	if p.loc == locSide {
		return x.side[sideKey(slot, field)].Before(t)
	}
	s := t.Unix()
	return p.sec < s || p.sec == s && int64(p.nsec) < int64(t.Nanosecond())
}

// hindex maps strings to values of type V without holding a string: a
// 64-bit hash of the string (maphash, with a seed of the index's own) maps
// to the value of the string first indexed with that hash; values of
// other strings with the same hash (a collision, which practically never
// happens) are listed in more. The string of a value is found through the
// value (keyOf), so a hit is confirmed by comparing strings and
// collisions never give a wrong answer.
type hindex[V any] struct {
	seed maphash.Seed
	// mask is ANDed onto every hash: all ones, except in tests that force
	// collisions.
	mask  uint64
	first map[uint64]V
	more  map[uint64][]V
	keyOf func(V) string
}

func (x *hindex[V]) init(keyOf func(V) string) {
	x.seed, x.mask, x.keyOf = maphash.MakeSeed(), ^uint64(0), keyOf
	x.first = make(map[uint64]V)
}

// hpos is where a string's value is or would go in an hindex: first[h]
// (i < 0) or more[h][i]. It is valid until the index changes.
type hpos struct {
	h uint64
	i int
}

// find returns key's value and position, or false and the position it
// would take.
func (x *hindex[V]) find(key string) (V, hpos, bool) {
	h := maphash.String(x.seed, key) & x.mask
	v, ok := x.first[h]
	if !ok {
		return v, hpos{h, -1}, false
	}
	if x.keyOf(v) == key {
		return v, hpos{h, -1}, true
	}
	m := x.more[h]
	for i, w := range m {
		if x.keyOf(w) == key {
			return w, hpos{h, i}, true
		}
	}
	var zero V
	return zero, hpos{h, len(m)}, false
}

// set puts v at p (a position find returned); v's string is the key found.
func (x *hindex[V]) set(p hpos, v V) {
	if p.i < 0 {
		x.first[p.h] = v
		return
	}
	if x.more == nil {
		x.more = make(map[uint64][]V)
	}
	m := x.more[p.h]
	if p.i < len(m) {
		m[p.i] = v
	} else {
		x.more[p.h] = append(m, v)
	}
}

// remove deletes the value at p (a position where find found one).
func (x *hindex[V]) remove(p hpos) {
	m := x.more[p.h]
	n := len(m)
	switch {
	case n == 0:
		delete(x.first, p.h)
		return
	case p.i < 0:
		x.first[p.h] = m[n-1]
	default:
		m[p.i] = m[n-1]
	}
	if n == 1 {
		delete(x.more, p.h)
	} else {
		x.more[p.h] = m[:n-1]
	}
}

// len returns the number of values held.
func (x *hindex[V]) len() int {
	n := len(x.first)
	for _, m := range x.more {
		n += len(m)
	}
	return n
}
