package given_test

import (
	"errors"
	"testing"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/given"
)

// FuzzDecodeTable feeds arbitrary field names and cells to the decoders:
// they must never panic, and every failure must be a coded error (a table
// error naming a row, or INVALID_ARGUMENT).
func FuzzDecodeTable(f *testing.F) {
	f.Add("quantity", "4x2", "ship.city", "Paris")
	f.Add("placedAt", "2026-01-01T00:00:00Z", "items", "[1,")
	f.Add("labels.a.b", "x", "any", "{")
	f.Add("pair", "1,2,3", "nums", "[]")
	f.Fuzz(func(t *testing.T, f1, v1, f2, v2 string) {
		check := func(err error) {
			if err == nil {
				return
			}
			var te *given.TableError
			if !errors.As(err, &te) && es.CodeOf(err) != es.CodeInvalidArgument {
				t.Fatalf("uncoded error %T: %v", err, err)
			}
			if te != nil && te.Reason == "" {
				t.Fatalf("table error without a reason: %+v", te)
			}
		}
		_, err := given.Decode[kitchenSink]([][]string{{f1, v1}, {f2, v2}})
		check(err)
		_, err = given.DecodeAll[kitchenSink]([][]string{{f1, f2}, {v1, v2}})
		check(err)
		var k kitchenSink
		check(given.Set(&k, f1, v1))
		_ = given.Expect(k, f2, v2)
	})
}
