package orchestrator

import (
	"encoding/json"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/platform/command"
)

// encodeResult returns json.Marshal(res). Every command's result is encoded
// for the command log, so the usual shape — no Context — is written with
// the es JSON append helpers (the same bytes, checked by
// TestResultEncodingMatchesMarshal); a result with a Context goes through
// encoding/json.
func encodeResult(res command.Result) ([]byte, error) {
	return appendResult(nil, res)
}

// appendResult appends encodeResult(res) to dst (the returned slice may be
// dst's array grown, or, for a result with a Context, a new one).
func appendResult(dst []byte, res command.Result) ([]byte, error) {
	if res.Context != nil {
		return json.Marshal(res)
	}
	b := grow(dst, resultSize(res))
	b = append(b, `{"commandId":`...)
	b = es.AppendJSONString(b, res.CommandID)
	b = append(b, `,"commandType":`...)
	b = es.AppendJSONString(b, res.CommandType)
	b = append(b, `,"status":`...)
	b = es.AppendJSONString(b, string(res.Status))
	if res.CorrelationID != "" {
		b = append(b, `,"correlationId":`...)
		b = es.AppendJSONString(b, res.CorrelationID)
	}
	if len(res.Data) > 0 {
		var err error
		b = append(b, `,"data":`...)
		if b, err = es.AppendJSONRaw(b, res.Data); err != nil {
			return json.Marshal(res) // encoding/json's own error
		}
	}
	if res.Code != "" {
		b = append(b, `,"code":`...)
		b = es.AppendJSONString(b, res.Code)
	}
	if res.Reason != "" {
		b = append(b, `,"reason":`...)
		b = es.AppendJSONString(b, res.Reason)
	}
	if res.Stream != "" {
		b = append(b, `,"stream":`...)
		b = es.AppendJSONString(b, string(res.Stream))
	}
	if len(res.EventIDs) > 0 {
		b = append(b, `,"eventIds":[`...)
		for i, id := range res.EventIDs {
			if i > 0 {
				b = append(b, ',')
			}
			b = es.AppendJSONString(b, id)
		}
		b = append(b, ']')
	}
	if res.Version != 0 {
		b = append(b, `,"version":`...)
		b = es.AppendJSONInt(b, int64(res.Version))
	}
	if res.Position != 0 {
		b = append(b, `,"position":`...)
		b = es.AppendJSONInt(b, int64(res.Position))
	}
	if res.Duplicate {
		b = append(b, `,"duplicate":true`...)
	}
	return append(b, '}'), nil
}

// resultSize is the length of encodeResult's output when no string needs
// escaping and the numbers take 20 digits: the room its buffer starts with,
// so that a usual result is written without growing it (a string with
// escapes grows it once).
func resultSize(res command.Result) int {
	str := func(key string, v string) int { return len(key) + 2 + len(v) } // ,"key": + quoted value
	n := str(`{"commandId":`, res.CommandID) + str(`,"commandType":`, res.CommandType) + str(`,"status":`, string(res.Status)) + 1
	if res.CorrelationID != "" {
		n += str(`,"correlationId":`, res.CorrelationID)
	}
	if len(res.Data) > 0 {
		n += len(`,"data":`) + len(res.Data)
	}
	if res.Code != "" {
		n += str(`,"code":`, res.Code)
	}
	if res.Reason != "" {
		n += str(`,"reason":`, res.Reason)
	}
	if res.Stream != "" {
		n += str(`,"stream":`, string(res.Stream))
	}
	if len(res.EventIDs) > 0 {
		n += len(`,"eventIds":[]`)
		for _, id := range res.EventIDs {
			n += len(id) + 3
		}
	}
	n += len(`,"version":`) + len(`,"position":`) + 2*20 + len(`,"duplicate":true`)
	return n
}
