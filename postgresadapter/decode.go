package postgresadapter

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/eventspec/eventspec/es"
)

// Event rows are decoded straight from the wire (binary format) rather than
// through rows.Scan: a page of events then costs a few allocations instead
// of several per event. Data and extra bytes are copied into shared arenas,
// tags into one shared slice, and the short strings that repeat from event
// to event (types, streams, tags, correlation and causation ids,
// categories) are interned per read. Every returned slice is owned by the
// caller (full-capacity slicing keeps appends from touching neighbours).

// eventColumnCount is the number of columns in eventColumns.
const eventColumnCount = 13

// Column positions within eventColumns.
const (
	colPosition = iota
	colStreamID
	colStreamVersion
	colType
	colData
	colTags
	colEventID
	colCorrelation
	colCausation
	colCategory
	colSchemaVersion
	colExtra
	colRecordedAt
)

// Byte arena chunks start small and double, so a short read stays cheap.
const (
	minArenaChunk = 4 << 10
	maxArenaChunk = 256 << 10
)

// maxInterned bounds the strings one read interns.
const maxInterned = 4096

type eventDecoder struct {
	chunk  int // size of the last arena chunk
	bytes  []byte
	tags   []es.Tag
	intern map[string]string
}

func (d *eventDecoder) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if s, ok := d.intern[string(b)]; ok {
		return s
	}
	s := string(b)
	if d.intern == nil {
		d.intern = make(map[string]string, 64)
	}
	if len(d.intern) < maxInterned {
		d.intern[s] = s
	}
	return s
}

// copyBytes copies b into the arena (nil stays nil).
func (d *eventDecoder) copyBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	if len(b) > cap(d.bytes)-len(d.bytes) {
		d.chunk = min(max(2*d.chunk, minArenaChunk), maxArenaChunk)
		d.bytes = make([]byte, 0, max(d.chunk, len(b)))
	}
	start := len(d.bytes)
	d.bytes = append(d.bytes, b...)
	return d.bytes[start:len(d.bytes):len(d.bytes)]
}

func int8At(b []byte) (int64, error) {
	if len(b) != 8 {
		return 0, fmt.Errorf("int8 of %d bytes", len(b))
	}
	return int64(binary.BigEndian.Uint64(b)), nil
}

// textArray parses a binary one-dimensional text[] into tags.
func (d *eventDecoder) textArray(b []byte) ([]es.Tag, error) {
	if len(b) < 12 {
		return nil, fmt.Errorf("text[] of %d bytes", len(b))
	}
	ndim := int32(binary.BigEndian.Uint32(b))
	if ndim == 0 {
		return nil, nil
	}
	if ndim != 1 || len(b) < 20 {
		return nil, fmt.Errorf("text[] with %d dimensions", ndim)
	}
	n := int(int32(binary.BigEndian.Uint32(b[12:])))
	p := b[20:]
	if n <= 0 {
		return nil, nil
	}
	if n > cap(d.tags)-len(d.tags) {
		d.tags = make([]es.Tag, 0, max(256, n))
	}
	start := len(d.tags)
	for range n {
		if len(p) < 4 {
			return nil, fmt.Errorf("truncated text[]")
		}
		l := int(int32(binary.BigEndian.Uint32(p)))
		p = p[4:]
		if l < 0 || l > len(p) {
			return nil, fmt.Errorf("text[] element of %d bytes", l)
		}
		d.tags = append(d.tags, es.Tag(d.str(p[:l])))
		p = p[l:]
	}
	return d.tags[start:len(d.tags):len(d.tags)], nil
}

// binaryEventColumns reports whether the event columns starting at off
// arrive in binary format, as the decoder needs.
func binaryEventColumns(fds []pgconn.FieldDescription, off int) bool {
	if len(fds) < off+eventColumnCount {
		return false
	}
	for _, c := range []int{colPosition, colStreamVersion, colTags, colData, colExtra, colSchemaVersion, colRecordedAt} {
		if fds[off+c].Format != pgx.BinaryFormatCode {
			return false
		}
	}
	return true
}

// decode builds the event in vals[off:off+eventColumnCount]; ok is false
// when the position is NULL (the empty side of a LEFT JOIN).
func (d *eventDecoder) decode(vals [][]byte, off int) (rec es.Recorded, ok bool, err error) {
	v := vals[off : off+eventColumnCount]
	if v[colPosition] == nil {
		return rec, false, nil
	}
	pos, err := int8At(v[colPosition])
	if err != nil {
		return rec, false, err
	}
	rec.Position = es.Position(pos)
	if v[colStreamID] != nil {
		rec.StreamID = es.StreamID(d.str(v[colStreamID]))
		ver, err := int8At(v[colStreamVersion])
		if err != nil {
			return rec, false, err
		}
		rec.StreamVersion = es.Version(ver)
	}
	rec.Type = d.str(v[colType])
	rec.Data = d.copyBytes(v[colData])
	if rec.Tags, err = d.textArray(v[colTags]); err != nil {
		return rec, false, err
	}
	rec.Metadata.EventID = string(v[colEventID])
	rec.Metadata.CorrelationID = d.str(v[colCorrelation])
	rec.Metadata.CausationID = d.str(v[colCausation])
	rec.Metadata.Category = d.str(v[colCategory])
	if b := v[colSchemaVersion]; len(b) == 4 {
		rec.Metadata.SchemaVersion = int(int32(binary.BigEndian.Uint32(b)))
	} else {
		return rec, false, fmt.Errorf("int4 of %d bytes", len(b))
	}
	if v[colExtra] != nil {
		if err := json.Unmarshal(v[colExtra], &rec.Metadata.Extra); err != nil {
			return rec, false, fmt.Errorf("metadata.extra: %w", err)
		}
	}
	ns, err := int8At(v[colRecordedAt])
	if err != nil {
		return rec, false, err
	}
	rec.RecordedAt = time.Unix(0, ns).UTC()
	return rec, true, nil
}

// readEvents reads rows whose columns are pre (scanned into the pre
// destinations) followed by eventColumns, skipping rows whose event is
// NULL. sizeHint presizes the result.
func readEvents(rows pgx.Rows, sizeHint int, pre ...any) ([]es.Recorded, error) {
	defer rows.Close()
	off := len(pre)
	fast := binaryEventColumns(rows.FieldDescriptions(), off)
	var (
		out  []es.Recorded
		d    eventDecoder
		slow nullableEventRow
		dst  []any
	)
	if sizeHint > 0 {
		out = make([]es.Recorded, 0, min(sizeHint, 1024))
	}
	if fast {
		dst = append(dst, pre...)
		for range eventColumnCount {
			dst = append(dst, nil) // decoded from the raw values
		}
	} else {
		dst = append(pre, slow.dest()...)
	}
	for rows.Next() {
		if off > 0 || !fast {
			slow = nullableEventRow{}
			if err := rows.Scan(dst...); err != nil {
				return nil, err
			}
		}
		var (
			rec es.Recorded
			ok  bool
			err error
		)
		if fast {
			rec, ok, err = d.decode(rows.RawValues(), off)
		} else {
			rec, ok, err = slow.recorded()
		}
		if err != nil {
			return nil, es.Wrap(es.CodeInternal, err, "postgresadapter: decoding an event row")
		}
		if ok {
			out = append(out, rec)
		}
	}
	if len(out) == 0 {
		out = nil // like memstore: no events reads as nil
	}
	return out, rows.Err()
}
