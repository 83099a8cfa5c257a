package commandbus

import (
	"strconv"
	"time"

	"github.com/eventspec/eventspec/es"
)

// The command log writes its records on every command, so it encodes them
// by hand: appendJSON produces exactly json.Marshal's bytes (checked by
// TestRecordEncodingMatchesMarshal) without reflection.

// appendJSON appends c as json.Marshal(c) would.
func (c *StoredCommand) appendJSON(b []byte) ([]byte, error) {
	var err error
	b = append(b, `{"commandId":`...)
	b = es.AppendJSONString(b, c.CommandID)
	b = append(b, `,"commandType":`...)
	b = es.AppendJSONString(b, c.CommandType)
	b = append(b, `,"targetContext":`...)
	b = es.AppendJSONString(b, c.TargetContext)
	b = append(b, `,"payload":`...)
	if b, err = es.AppendJSONRaw(b, c.Payload); err != nil {
		return b, err
	}
	b = append(b, `,"metadata":{`...)
	if c.Metadata.UserID != "" {
		b = append(b, `"userId":`...)
		b = es.AppendJSONString(b, c.Metadata.UserID)
		b = append(b, ',')
	}
	b = append(b, `"correlationId":`...)
	b = es.AppendJSONString(b, c.Metadata.CorrelationID)
	if c.Metadata.CausationID != "" {
		b = append(b, `,"causationId":`...)
		b = es.AppendJSONString(b, c.Metadata.CausationID)
	}
	b = append(b, `,"timestamp":`...)
	if b, err = es.AppendJSONTime(b, c.Metadata.Timestamp); err != nil {
		return b, err
	}
	b = append(b, `},"correlationCursor":`...)
	b = es.AppendJSONString(b, c.CorrelationCursor)
	b = append(b, `,"status":`...)
	b = es.AppendJSONString(b, string(c.Status))
	if len(c.Result) > 0 {
		b = append(b, `,"result":`...)
		if b, err = es.AppendJSONRaw(b, c.Result); err != nil {
			return b, err
		}
	}
	if !c.ExecutedAt.IsZero() {
		b = append(b, `,"executedAt":`...)
		if b, err = es.AppendJSONTime(b, c.ExecutedAt); err != nil {
			return b, err
		}
	}
	b = append(b, `,"ttl":`...)
	b = es.AppendJSONInt(b, int64(c.TTL))
	b = append(b, `,"expiresAt":`...)
	if b, err = es.AppendJSONTime(b, c.ExpiresAt); err != nil {
		return b, err
	}
	return append(b, '}'), nil
}

// appendJSON appends c as json.Marshal(c) would.
func (c *Correlation) appendJSON(b []byte) ([]byte, error) {
	var err error
	b = append(b, `{"commandId":`...)
	b = es.AppendJSONString(b, c.CommandID)
	b = append(b, `,"eventIds":`...)
	if c.EventIDs == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, id := range c.EventIDs {
			if i > 0 {
				b = append(b, ',')
			}
			b = es.AppendJSONString(b, id)
		}
		b = append(b, ']')
	}
	b = append(b, `,"commandType":`...)
	b = es.AppendJSONString(b, c.CommandType)
	b = append(b, `,"boundedContext":`...)
	b = es.AppendJSONString(b, c.BoundedContext)
	b = append(b, `,"createdAt":`...)
	if b, err = es.AppendJSONTime(b, c.CreatedAt); err != nil {
		return b, err
	}
	b = append(b, `,"ttl":`...)
	b = es.AppendJSONInt(b, int64(c.TTL))
	b = append(b, `,"expiresAt":`...)
	if b, err = es.AppendJSONTime(b, c.ExpiresAt); err != nil {
		return b, err
	}
	return append(b, '}'), nil
}

// appendPadded appends n in decimal, left-padded with zeros to width
// digits (fmt's %0<width>d for n >= 0).
func appendPadded(b []byte, n int64, width int) []byte {
	if n < 0 {
		b = append(b, '-')
		n = -n
		width--
	}
	var digits [20]byte
	d := strconv.AppendInt(digits[:0], n, 10)
	for i := len(d); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, d...)
}

// appendTimeKey appends "<t in ms, 16 digits>:<id>".
func appendTimeKey(b []byte, t time.Time, id string) []byte {
	b = appendPadded(b, t.UnixMilli(), 16)
	b = append(b, ':')
	return append(b, id...)
}

// appendLenPrefix appends "<len(s), 3 digits>:<s>:".
func appendLenPrefix(b []byte, s string) []byte {
	b = appendPadded(b, int64(len(s)), 3)
	b = append(b, ':')
	b = append(b, s...)
	return append(b, ':')
}
