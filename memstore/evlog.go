package memstore

import (
	"maps"
	"time"
	"unsafe"

	"github.com/eventspec/eventspec/es"
)

// The global log keeps its events in a form the garbage collector need not
// scan: a fixed-size record per event without pointers (packedEvent), and
// the event's strings, data and tags copied into large append-only byte
// chunks (the arena, which holds no pointers either). Only Metadata.Extra,
// rare, stays a map, in a side table. So a collection cycle marks a few
// hundred chunk objects where it used to scan ten pointers per event and
// each event's own allocations.
//
// Strings read from the log (type, ids, category, stream, tags) point into
// the arena instead of being copied. That is sound because arena bytes are
// never written again once an event has been read: the arena only grows,
// and truncate (a rollback) reuses the space of the removed events only
// when no read has handed any of them out (recLog.exported). Data is
// always handed out as a fresh copy, as callers may modify it.

// chunkBits sets the size of the log's record chunks: 1<<chunkBits records.
const chunkBits = 10

// Arena chunk sizes: the first chunk of a log is arenaFirst bytes (small
// stores stay small) and each next one twice the last, up to arenaChunk;
// an event larger than that gets a chunk of its own size.
const (
	arenaFirst = 1 << 10
	arenaChunk = 64 << 10
)

// Every length a packedEvent stores fits its field (validation bounds
// them): these constants fail to compile otherwise.
const (
	_ = uint16(es.MaxNameBytes)    // type, stream id, tags, metadata strings
	_ = uint8(es.MaxTagsPerEvent)  // tag count
	_ = uint32(es.MaxPayloadBytes) // data
)

// packedEvent is one stored event without its bytes. The bytes sit in
// arena chunk `chunk` from offset off, in this order: type, event id,
// correlation id, causation id, category, stream id, data, then per tag
// its length (2 bytes, little-endian) and its bytes. The position is the
// record's index in the log plus one.
type packedEvent struct {
	sec     int64      // RecordedAt: seconds since the Unix epoch
	version es.Version // StreamVersion (0 without a stream)
	schema  int        // Metadata.SchemaVersion
	chunk   uint32
	off     uint32
	nsec    uint32 // RecordedAt: nanoseconds within the second
	data    uint32 // len(Data)
	// Byte lengths of the strings, in the order they are stored.
	typ, id, corr, caus, cat, stream uint16
	tags                             uint8 // number of tags
	extra                            bool  // Metadata.Extra is in recLog.extra
}

// recLog is the global log. Records are kept in fixed-size chunks so that
// growing the log never copies what is stored.
type recLog struct {
	chunks [][]packedEvent
	n      int
	// arena holds the events' bytes; only its last chunk is appended to.
	// Events are stored in log order, so an event's chunk is never before
	// an earlier event's.
	arena [][]byte
	// exported is one more than the greatest index of an event whose
	// strings were handed out (0: none), so truncate knows whether the
	// space of removed events may be reused.
	exported int
	// extra holds the Metadata.Extra of the events that have one (a
	// non-nil map), by index.
	extra map[int]map[string]string
	// scratch receives tags decoded for internal use (matching, truncate).
	scratch []es.Tag
}

// at returns the i-th record (0-based; position i+1).
func (l *recLog) at(i int) *packedEvent { return &l.chunks[i>>chunkBits][i&(1<<chunkBits-1)] }

// grow adds a zero record at the end of the log and returns it to be
// filled in place.
func (l *recLog) grow() *packedEvent {
	c := l.n >> chunkBits
	if c == len(l.chunks) {
		capacity := 1 << chunkBits
		if c == 0 {
			capacity = 16 // small stores stay small; the first chunk grows
		}
		l.chunks = append(l.chunks, make([]packedEvent, 0, capacity))
	}
	l.chunks[c] = append(l.chunks[c], packedEvent{})
	l.n++
	return &l.chunks[c][len(l.chunks[c])-1]
}

// reserve takes size bytes at the end of the arena and returns them (with
// exactly that capacity) and where they are.
func (l *recLog) reserve(size int) (b []byte, chunk, off uint32) {
	c := len(l.arena) - 1
	if c < 0 || cap(l.arena[c])-len(l.arena[c]) < size {
		next := arenaFirst
		if c >= 0 {
			next = min(2*cap(l.arena[c]), arenaChunk)
		}
		l.arena = append(l.arena, make([]byte, 0, max(next, size)))
		c++
	}
	a := l.arena[c]
	o := len(a)
	a = a[:o+size]
	l.arena[c] = a
	return a[o : o+size : o+size], uint32(c), uint32(o)
}

// add appends ev to the log, recorded at sec and nsec, with its stream id
// and version (empty and 0 without a stream). ev's strings, data and tags
// are copied; its Extra map is cloned.
func (l *recLog) add(ev *es.Event, stream es.StreamID, version es.Version, sec int64, nsec uint32) {
	m := &ev.Metadata
	size := len(ev.Type) + len(m.EventID) + len(m.CorrelationID) + len(m.CausationID) + len(m.Category) + len(stream) + len(ev.Data) + 2*len(ev.Tags)
	for _, tg := range ev.Tags {
		size += len(tg)
	}
	b, chunk, off := l.reserve(size)
	p := copy(b, ev.Type)
	p += copy(b[p:], m.EventID)
	p += copy(b[p:], m.CorrelationID)
	p += copy(b[p:], m.CausationID)
	p += copy(b[p:], m.Category)
	p += copy(b[p:], stream)
	p += copy(b[p:], ev.Data)
	for _, tg := range ev.Tags {
		b[p], b[p+1] = byte(len(tg)), byte(len(tg)>>8)
		p += 2 + copy(b[p+2:], tg)
	}
	i := l.n
	r := l.grow()
	*r = packedEvent{
		sec: sec, version: version, schema: m.SchemaVersion,
		chunk: chunk, off: off, nsec: nsec, data: uint32(len(ev.Data)),
		typ: uint16(len(ev.Type)), id: uint16(len(m.EventID)), corr: uint16(len(m.CorrelationID)),
		caus: uint16(len(m.CausationID)), cat: uint16(len(m.Category)), stream: uint16(len(stream)),
		tags: uint8(len(ev.Tags)),
	}
	if m.Extra != nil {
		if l.extra == nil {
			l.extra = make(map[int]map[string]string)
		}
		l.extra[i] = maps.Clone(m.Extra)
		r.extra = true
	}
}

// arenaString returns b as a string sharing its bytes, which must never
// be written again.
func arenaString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// cut splits the first n bytes off b as a string sharing them.
func cut(b []byte, n uint16) (string, []byte) {
	return arenaString(b[:n]), b[n:]
}

// eventID returns the id of the i-th event (sharing the arena's bytes).
func (l *recLog) eventID(i int) string {
	r := l.at(i)
	o := int(r.off) + int(r.typ)
	return arenaString(l.arena[r.chunk][o : o+int(r.id)])
}

// decode sets *o to the i-th event as stored. Its strings and Data share
// the arena's bytes (Data with its exact capacity), Extra is the stored map
// itself, and its tags are appended to tags[:0] (nil when it has none).
// Callers that hand *o out must copy Data, clone Extra and own tags.
func (l *recLog) decode(i int, o *es.Recorded, tags []es.Tag) {
	r := l.at(i)
	b := l.arena[r.chunk][r.off:]
	o.Type, b = cut(b, r.typ)
	o.Metadata.EventID, b = cut(b, r.id)
	o.Metadata.CorrelationID, b = cut(b, r.corr)
	o.Metadata.CausationID, b = cut(b, r.caus)
	o.Metadata.Category, b = cut(b, r.cat)
	var stream string
	stream, b = cut(b, r.stream)
	o.StreamID = es.StreamID(stream)
	o.Data, b = b[:r.data:r.data], b[r.data:]
	o.Tags = nil
	if r.tags > 0 {
		tags = tags[:0]
		for range r.tags {
			n := uint16(b[0]) | uint16(b[1])<<8
			var tg string
			tg, b = cut(b[2:], n)
			tags = append(tags, es.Tag(tg))
		}
		o.Tags = tags
	}
	o.Metadata.SchemaVersion = r.schema
	o.Metadata.Extra = nil
	if r.extra {
		o.Metadata.Extra = l.extra[i]
	}
	o.StreamVersion = r.version
	o.Position = es.Position(i + 1)
	o.RecordedAt = time.Unix(r.sec, int64(r.nsec)).UTC()
}

// peek decodes the i-th event for a look that keeps nothing (matching,
// unindexing): its tags go to the log's scratch buffer, valid until the
// next peek.
func (l *recLog) peek(i int, o *es.Recorded) {
	if l.scratch == nil {
		l.scratch = make([]es.Tag, 0, es.MaxTagsPerEvent)
	}
	l.decode(i, o, l.scratch)
}

// export copies n recorded events, the i-th being the event at index
// idx(i), so that callers share no mutable memory with the log: one
// allocation for the events, one for all their data and one for all their
// tags (plus a clone per Extra map). Their strings share the arena's
// bytes, which are then never reused.
func (l *recLog) export(n int, idx func(i int) int) []es.Recorded {
	if n == 0 {
		return nil
	}
	dataN, tagN := 0, 0
	for i := 0; i < n; i++ {
		r := l.at(idx(i))
		dataN += int(r.data)
		tagN += int(r.tags)
	}
	out := make([]es.Recorded, n)
	data := make([]byte, dataN)
	var tags []es.Tag
	if tagN > 0 {
		tags = make([]es.Tag, tagN)
	}
	hi := l.exported
	for i := range out {
		j := idx(i)
		hi = max(hi, j+1)
		o := &out[i]
		k := int(l.at(j).tags)
		l.decode(j, o, tags[:0:k])
		tags = tags[k:]
		d := copy(data, o.Data)
		o.Data, data = data[:d:d], data[d:]
		if o.Metadata.Extra != nil {
			o.Metadata.Extra = maps.Clone(o.Metadata.Extra)
		}
	}
	l.exported = hi
	return out
}

// truncate keeps the first n events.
func (l *recLog) truncate(n int) {
	if n >= l.n {
		return
	}
	if len(l.extra) > 0 {
		for i := n; i < l.n; i++ {
			if l.at(i).extra {
				delete(l.extra, i)
			}
		}
	}
	if l.exported <= n {
		// No removed event was read: its bytes are unshared, and so
		// is everything after them (later events' bytes follow).
		r := l.at(n)
		clear(l.arena[r.chunk+1:])
		l.arena = l.arena[:r.chunk+1]
		l.arena[r.chunk] = l.arena[r.chunk][:r.off]
	}
	l.exported = min(l.exported, n)
	for l.n > n {
		c := (l.n - 1) >> chunkBits
		keep := max(n-c<<chunkBits, 0)
		l.chunks[c] = l.chunks[c][:keep]
		l.n = c<<chunkBits + keep
		if keep == 0 && c > 0 {
			l.chunks[c] = nil
			l.chunks = l.chunks[:c]
		}
	}
}
