package event

import (
	"encoding/json"
	"slices"
	"testing"
)

func TestCategoriesInOrder(t *testing.T) {
	want := []Category{"domain", "integration", "trigger", "fat"}
	if got := Categories(); !slices.Equal(got, want) {
		t.Fatalf("Categories() = %v, want %v", got, want)
	}
	if DefaultCategory != "domain" || DefaultSchemaVersion != 1 {
		t.Fatalf("defaults = %q, %d", DefaultCategory, DefaultSchemaVersion)
	}
}

func TestParseAndIsCategory(t *testing.T) {
	for _, s := range []string{"domain", "integration", "trigger", "fat"} {
		c, ok := ParseCategory(s)
		if !ok || string(c) != s || !IsCategory(s) || !IsCategory(Category(s)) || !c.Valid() {
			t.Errorf("%q: ParseCategory = %q, %v; IsCategory %v", s, c, ok, IsCategory(s))
		}
	}
	for _, v := range []any{"invalid", "DOMAIN", "", nil, 123, 1.5, true, []string{"domain"}} {
		if IsCategory(v) {
			t.Errorf("IsCategory(%#v) = true", v)
		}
		if s, ok := v.(string); ok {
			if _, ok := ParseCategory(s); ok {
				t.Errorf("ParseCategory(%q) ok", s)
			}
		}
	}
	if Category("DOMAIN").Valid() {
		t.Error("DOMAIN is valid")
	}
}

func TestNormalizeCategory(t *testing.T) {
	for _, c := range Categories() {
		if got := NormalizeCategory(string(c)); got != c {
			t.Errorf("NormalizeCategory(%q) = %q", c, got)
		}
	}
	for _, v := range []any{nil, "invalid", 123, "Fat"} {
		if got := NormalizeCategory(v); got != Domain {
			t.Errorf("NormalizeCategory(%#v) = %q, want domain", v, got)
		}
	}
}

func TestNormalizeSchemaVersion(t *testing.T) {
	cases := []struct {
		in   any
		want int
	}{
		{1, 1}, {2, 2}, {100, 100}, {int64(7), 7}, {uint8(3), 3}, {float64(4), 4}, {json.Number("5"), 5},
		{nil, 1}, {0, 1}, {-1, 1}, {-100, 1}, {1.5, 1}, {2.9, 1}, {"1", 1}, {"2", 1},
		{json.Number("2.5"), 1}, {json.Number("x"), 1}, {float64(1 << 40), 1}, {true, 1},
	}
	for _, c := range cases {
		if got := NormalizeSchemaVersion(c.in); got != c.want {
			t.Errorf("NormalizeSchemaVersion(%#v) = %d, want %d", c.in, got, c.want)
		}
	}
}

func TestClassification(t *testing.T) {
	external := map[Category]bool{Domain: false, Integration: false, Trigger: true, Fat: true}
	cross := map[Category]bool{Domain: false, Integration: true, Trigger: false, Fat: false}
	for _, c := range Categories() {
		if c.IsExternal() != external[c] {
			t.Errorf("%s.IsExternal() = %v", c, c.IsExternal())
		}
		if c.IsCrossContext() != cross[c] {
			t.Errorf("%s.IsCrossContext() = %v", c, c.IsCrossContext())
		}
	}
}
