package es_test

import (
	"testing"

	"github.com/eventspec/eventspec/es"
)

func TestExpectedVersion(t *testing.T) {
	var zero es.ExpectedVersion
	cases := []struct {
		name     string
		e        es.ExpectedVersion
		str      string
		any      bool
		exact    es.Version
		hasExact bool
		allows   map[es.Version]bool
	}{
		{"zero value", zero, "any", true, 0, false, map[es.Version]bool{0: true, 1: true, 5: true}},
		{"Any", es.Any, "any", true, 0, false, map[es.Version]bool{0: true, 1: true, 5: true}},
		{"NoStream", es.NoStream, "no-stream", false, 0, true, map[es.Version]bool{0: true, 1: false, 5: false}},
		{"Exact(0)", es.Exact(0), "no-stream", false, 0, true, map[es.Version]bool{0: true, 1: false}},
		{"StreamExists", es.StreamExists, "stream-exists", false, 0, false, map[es.Version]bool{0: false, 1: true, 5: true}},
		{"Exact(5)", es.Exact(5), "5", false, 5, true, map[es.Version]bool{0: false, 4: false, 5: true, 6: false}},
	}
	for _, c := range cases {
		if got := c.e.String(); got != c.str {
			t.Errorf("%s: String() = %q, want %q", c.name, got, c.str)
		}
		if c.e.IsAny() != c.any {
			t.Errorf("%s: IsAny() = %v", c.name, c.e.IsAny())
		}
		if v, ok := c.e.ExactVersion(); v != c.exact || ok != c.hasExact {
			t.Errorf("%s: ExactVersion() = %d, %v; want %d, %v", c.name, v, ok, c.exact, c.hasExact)
		}
		for cur, want := range c.allows {
			if got := c.e.Allows(cur); got != want {
				t.Errorf("%s: Allows(%d) = %v, want %v", c.name, cur, got, want)
			}
		}
		if err := c.e.Validate(); err != nil {
			t.Errorf("%s: Validate() = %v", c.name, err)
		}
	}
	if es.Exact(0) != es.NoStream || es.Exact(3) != es.Exact(3) || es.Exact(3) == es.Exact(4) || zero != es.Any {
		t.Errorf("expected versions do not compare as values")
	}
	wantErr(t, "Exact(-1)", es.Exact(-1).Validate(), es.CodeInvalidArgument, "expected version -1 is negative")
}
