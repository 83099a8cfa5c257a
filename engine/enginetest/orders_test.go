package enginetest

import (
	"encoding/json"
	"fmt"
	"testing"
)

// encodeOrder must write the very bytes json.Marshal writes, so the CMS
// documents are the same whichever encoder stored them.
func TestEncodeOrderMatchesMarshal(t *testing.T) {
	many := map[string]int{}
	for i := range 20 {
		many[fmt.Sprintf("sku-%02d", 19-i)] = i - 3
	}
	states := []Order{
		{},
		{Exists: true, Status: StatusDraft, CustomerID: "c1"},
		{Exists: true, Status: StatusSubmitted, CustomerID: "c<1>&\"é\u2028", Items: map[string]int{"b": 2, "a": 1, "B": -5}},
		{Exists: true, Items: map[string]int{}},
		{Exists: true, Status: StatusCancelled, Items: many},
		{Items: map[string]int{"\x00odd\\key": 1, "é": 2, "<": 3}},
	}
	for _, s := range states {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		got, err := encodeOrder(s)
		if err != nil || string(got) != string(want) {
			t.Errorf("encodeOrder(%+v) = %s, %v\nwant %s", s, got, err, want)
		}
	}
}
