package es

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	mrand "math/rand/v2"
	"sync"
	"sync/atomic"
)

// IDs mints unique identifiers (event ids, job ids, audit ids). Logic never
// generates ids itself: it asks the injected IDs, so tests are reproducible.
type IDs interface {
	NewID() string
}

// formatUUID renders 16 bytes as a UUID string with version 7 and the RFC
// 4122 variant set.
func formatUUID(b [16]byte) string {
	b[6] = (b[6] & 0x0f) | 0x70
	b[8] = (b[8] & 0x3f) | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
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
	var b [16]byte
	binary.BigEndian.PutUint64(b[8:], s.n.Add(1))
	return formatUUID(b)
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
func (s *SeededIDs) NewID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], s.rng.Uint64())
	binary.BigEndian.PutUint64(b[8:], s.rng.Uint64())
	return formatUUID(b)
}

// UUIDv7 mints RFC 9562 version-7 UUIDs: a millisecond timestamp from Clock
// followed by random bits from crypto/rand. Use it in production.
type UUIDv7 struct {
	Clock Clock
}

// NewID returns a new UUIDv7.
func (u UUIDv7) NewID() string {
	clock := u.Clock
	if clock == nil {
		clock = RealClock{}
	}
	var b [16]byte
	ms := uint64(clock.Now().UnixMilli())
	b[0], b[1], b[2], b[3], b[4], b[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
	_, _ = rand.Read(b[6:]) // crypto/rand.Read never fails on supported platforms
	return formatUUID(b)
}
