package es

import (
	"crypto/rand"
	"encoding/binary"
	mrand "math/rand/v2"
	"sync"
	"sync/atomic"
)

// IDs mints unique identifiers (event ids, job ids, audit ids). Logic never
// generates ids itself: it asks the injected IDs, so tests are reproducible.
type IDs interface {
	NewID() string
}

// UUIDs is an IDs whose ids are UUID strings and that can also return the
// next one as an array, so an id with a prefix is built in one allocation
// (NewPrefixedID). The generators of this package implement it.
type UUIDs interface {
	IDs
	// NewUUID returns the next id, the bytes NewID would have returned.
	NewUUID() [36]byte
}

// NewPrefixedID returns prefix + ids.NewID(), in one allocation when ids
// implements UUIDs.
func NewPrefixedID(ids IDs, prefix string) string {
	u, ok := ids.(UUIDs)
	if !ok {
		return prefix + ids.NewID()
	}
	id := u.NewUUID()
	var buf [128]byte
	return string(append(append(buf[:0], prefix...), id[:]...))
}

// NewPrefixedIDPair returns prefix1 + ids.NewID() and then prefix2 +
// ids.NewID() (minted in that order), both in one allocation when ids
// implements UUIDs. The two strings share memory, so either keeps the
// other's bytes alive: use it for ids that live as long as each other (a
// command's id and its correlation id).
func NewPrefixedIDPair(ids IDs, prefix1, prefix2 string) (string, string) {
	u, ok := ids.(UUIDs)
	if !ok {
		first := prefix1 + ids.NewID()
		return first, prefix2 + ids.NewID()
	}
	id1, id2 := u.NewUUID(), u.NewUUID()
	var buf [256]byte
	b := append(append(buf[:0], prefix1...), id1[:]...)
	n := len(b)
	s := string(append(append(b, prefix2...), id2[:]...))
	return s[:n], s[n:]
}

// formatUUID renders 16 bytes as a UUID string with version 7 and the RFC
// 4122 variant set.
func formatUUID(b [16]byte) string {
	out := uuidBytes(b)
	return string(out[:])
}

// uuidBytes is formatUUID's bytes: version and variant set, then the 16
// bytes in lowercase hex, grouped 8-4-4-4-12 (written out position by
// position: every command mints several ids).
func uuidBytes(b [16]byte) [36]byte {
	b[6] = (b[6] & 0x0f) | 0x70
	b[8] = (b[8] & 0x3f) | 0x80
	const hx = "0123456789abcdef"
	var o [36]byte
	o[0], o[1], o[2], o[3] = hx[b[0]>>4], hx[b[0]&15], hx[b[1]>>4], hx[b[1]&15]
	o[4], o[5], o[6], o[7] = hx[b[2]>>4], hx[b[2]&15], hx[b[3]>>4], hx[b[3]&15]
	o[8] = '-'
	o[9], o[10], o[11], o[12] = hx[b[4]>>4], hx[b[4]&15], hx[b[5]>>4], hx[b[5]&15]
	o[13] = '-'
	o[14], o[15], o[16], o[17] = hx[b[6]>>4], hx[b[6]&15], hx[b[7]>>4], hx[b[7]&15]
	o[18] = '-'
	o[19], o[20], o[21], o[22] = hx[b[8]>>4], hx[b[8]&15], hx[b[9]>>4], hx[b[9]&15]
	o[23] = '-'
	o[24], o[25], o[26], o[27] = hx[b[10]>>4], hx[b[10]&15], hx[b[11]>>4], hx[b[11]&15]
	o[28], o[29], o[30], o[31] = hx[b[12]>>4], hx[b[12]&15], hx[b[13]>>4], hx[b[13]&15]
	o[32], o[33], o[34], o[35] = hx[b[14]>>4], hx[b[14]&15], hx[b[15]>>4], hx[b[15]&15]
	return o
}

// SequentialIDs mints UUID-shaped ids 00000000-0000-7000-8000-000000000001,
// …0002 and so on: sortable, readable and the same on every run. Safe for
// concurrent use.
type SequentialIDs struct {
	n atomic.Uint64
}

// NewSequentialIDs returns a sequence starting at 1.
func NewSequentialIDs() *SequentialIDs { return &SequentialIDs{} }

// NewID returns the next id of the sequence.
func (s *SequentialIDs) NewID() string {
	return formatUUID(s.next())
}

// NewUUID returns the next id as bytes (UUIDs).
func (s *SequentialIDs) NewUUID() [36]byte { return uuidBytes(s.next()) }

func (s *SequentialIDs) next() [16]byte {
	var b [16]byte
	binary.BigEndian.PutUint64(b[8:], s.n.Add(1))
	return b
}

// SeededIDs mints random-looking UUIDv7-shaped ids from a seed: the same
// seed gives the same ids. Safe for concurrent use.
type SeededIDs struct {
	mu  sync.Mutex
	rng *mrand.Rand
}

// NewSeededIDs returns ids drawn from a PCG generator seeded with seed.
func NewSeededIDs(seed uint64) *SeededIDs {
	return &SeededIDs{rng: mrand.New(mrand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// NewID returns the next id.
func (s *SeededIDs) NewID() string { return formatUUID(s.next()) }

// NewUUID returns the next id as bytes (UUIDs).
func (s *SeededIDs) NewUUID() [36]byte { return uuidBytes(s.next()) }

func (s *SeededIDs) next() [16]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], s.rng.Uint64())
	binary.BigEndian.PutUint64(b[8:], s.rng.Uint64())
	return b
}

// UUIDv7 mints RFC 9562 version-7 UUIDs: a 48-bit millisecond timestamp
// from Clock, a 12-bit counter (rand_a) and 62 random bits from
// crypto/rand. Use it in production.
//
// Ids from one generator are strictly increasing, as strings and as bytes,
// in the order NewID returns them (RFC 9562 §6.2, method 1): the counter
// starts at a random value below 2048 on each new millisecond and counts up
// within it; when it runs out, or when the clock goes backwards, the
// timestamp field moves on from the last one used instead of following the
// clock, until the clock catches up. NewID is safe for concurrent use.
//
// Make one with NewUUIDv7 (or &UUIDv7{Clock: c}); a UUIDv7 must not be
// copied after first use.
type UUIDv7 struct {
	// Clock gives the timestamp; nil means RealClock.
	Clock Clock

	mu      sync.Mutex
	started bool
	ms      uint64
	seq     uint16
}

// NewUUIDv7 returns a generator on clock (RealClock when nil).
func NewUUIDv7(clock Clock) *UUIDv7 {
	return &UUIDv7{Clock: clock}
}

const (
	v7MaxMillis = 1<<48 - 1
	v7MaxSeq    = 1<<12 - 1
	// v7SeedSpan bounds the random counter start of a new millisecond, so
	// at least 2048 ids fit in each one before the timestamp moves on.
	v7SeedSpan = 1 << 11
)

// next returns the timestamp and counter for an id minted at clock time
// ms: after every pair it returned before. seed is where the counter
// starts when the pair moves to a new millisecond.
func (u *UUIDv7) next(ms uint64, seed uint16) (uint64, uint16) {
	u.mu.Lock()
	defer u.mu.Unlock()
	switch {
	case !u.started || ms > u.ms:
		u.started, u.ms, u.seq = true, ms, seed
	case u.seq < v7MaxSeq:
		u.seq++ // same millisecond, or the clock went backwards
	default: // counter exhausted: borrow the next millisecond
		u.ms++
		u.seq = seed
	}
	return u.ms, u.seq
}

// NewID returns a new UUIDv7, greater than every id this generator
// returned before.
func (u *UUIDv7) NewID() string { return formatUUID(u.nextBytes()) }

// NewUUID returns a new UUIDv7 as bytes (UUIDs).
func (u *UUIDv7) NewUUID() [36]byte { return uuidBytes(u.nextBytes()) }

func (u *UUIDv7) nextBytes() [16]byte {
	clock := u.Clock
	if clock == nil {
		clock = RealClock{}
	}
	var b [16]byte
	_, _ = rand.Read(b[6:]) // crypto/rand.Read never fails on supported platforms
	seed := binary.BigEndian.Uint16(b[6:8]) % v7SeedSpan
	ms := uint64(min(max(clock.Now().UnixMilli(), 0), v7MaxMillis))
	ms, seq := u.next(ms, seed)
	b[0], b[1], b[2], b[3], b[4], b[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
	b[6], b[7] = byte(seq>>8), byte(seq)
	return b
}
