package es_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/eventspec/eventspec/es"
)

// validName is the rule for names, written independently of the package:
// non-empty, at most es.MaxNameBytes bytes, valid UTF-8, no control
// characters.
func validName(s string) bool {
	if s == "" || len(s) > es.MaxNameBytes || !utf8.ValidString(s) {
		return false
	}
	return !strings.ContainsFunc(s, unicode.IsControl)
}

var nameSeeds = []string{
	"", "order-1", "a", "ü-€-𝄞", "with space", "a\x00b", "line\nbreak", "tab\t", "\x7f", "\u0085", "\u2028",
	"bad\xffutf8", "\xc3", strings.Repeat("s", es.MaxNameBytes), strings.Repeat("s", es.MaxNameBytes+1),
	strings.Repeat("é", es.MaxNameBytes/2), strings.Repeat("é", es.MaxNameBytes/2) + "x",
}

func FuzzValidateStreamID(f *testing.F) {
	for _, s := range nameSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := es.ValidateStreamID(es.StreamID(s))
		if validName(s) {
			if err != nil {
				t.Fatalf("ValidateStreamID(%q) = %v, want nil", s, err)
			}
			return
		}
		if err == nil {
			t.Fatalf("ValidateStreamID(%q) accepted an invalid id", s)
		}
		if es.CodeOf(err) != es.CodeInvalidStreamID || !errors.Is(err, es.ErrInvalidStreamID) {
			t.Fatalf("ValidateStreamID(%q) = %v, want code %s", s, err, es.CodeInvalidStreamID)
		}
		if !strings.Contains(err.Error(), "stream id") {
			t.Fatalf("ValidateStreamID(%q): message %q does not name the stream id", s, err)
		}
		if !utf8.ValidString(err.Error()) {
			t.Fatalf("ValidateStreamID(%q): message %q is not valid UTF-8", s, err)
		}
	})
}

// fuzzQuery builds a query from fuzzed strings; shape's bits choose which
// parts are present.
func fuzzQuery(shape uint8, typ1, typ2, tag1, tag2 string) (es.Query, []es.QueryItem) {
	if shape&0x40 != 0 {
		return es.All(), nil
	}
	var first es.QueryItem
	if shape&1 != 0 {
		first.Types = append(first.Types, typ1)
	}
	if shape&2 != 0 {
		first.Tags = append(first.Tags, es.Tag(tag1))
	}
	if shape&4 != 0 {
		first.Tags = append(first.Tags, es.Tag(tag2))
	}
	items := []es.QueryItem{first}
	if shape&8 != 0 {
		second := es.QueryItem{Types: []string{typ2}}
		if shape&16 != 0 {
			second.Tags = []es.Tag{es.Tag(tag1)}
		}
		items = append(items, second)
	}
	if shape&32 != 0 {
		items = items[1:] // possibly none at all
	}
	return es.Items(items...), items
}

// queryValid is the validity rule for a list of items, written
// independently: at least one item; each with a type or a tag; every type
// and tag a valid name; no tag twice in an item.
func queryValid(items []es.QueryItem) bool {
	if len(items) == 0 {
		return false
	}
	for _, it := range items {
		if len(it.Types) == 0 && len(it.Tags) == 0 {
			return false
		}
		for _, ty := range it.Types {
			if !validName(ty) {
				return false
			}
		}
		seen := map[es.Tag]bool{}
		for _, tg := range it.Tags {
			if !validName(string(tg)) || seen[tg] {
				return false
			}
			seen[tg] = true
		}
	}
	return true
}

// matchesRef is DCB matching, written independently: some item whose types
// (if any) include the event's type and whose tags are all on the event.
func matchesRef(items []es.QueryItem, e es.Event) bool {
	for _, it := range items {
		if len(it.Types) > 0 && !slices.Contains(it.Types, e.Type) {
			continue
		}
		all := true
		for _, tg := range it.Tags {
			all = all && slices.Contains(e.Tags, tg)
		}
		if all {
			return true
		}
	}
	return false
}

func FuzzQueryValidate(f *testing.F) {
	f.Add(uint8(1), "CourseDefined", "StudentSubscribed", "course:c1", "student:s1")
	f.Add(uint8(6), "A", "B", "t", "t")
	f.Add(uint8(0), "A", "B", "x", "y")
	f.Add(uint8(0x40), "", "", "", "")
	f.Add(uint8(32), "A", "B", "x", "y")
	f.Add(uint8(15), "A\x00", "B", "x", "y")
	f.Add(uint8(27), "A", "\xff", "x", "y")
	f.Add(uint8(3), strings.Repeat("T", es.MaxNameBytes+1), "B", "x", "y")
	f.Add(uint8(2), "A", "B", "", "y")
	f.Fuzz(func(t *testing.T, shape uint8, typ1, typ2, tag1, tag2 string) {
		q, items := fuzzQuery(shape, typ1, typ2, tag1, tag2)
		err := q.Validate()
		_ = q.String()
		want := q.IsAll() || queryValid(items)
		if !want {
			if err == nil {
				t.Fatalf("Validate accepted the invalid query %s", q)
			}
			if es.CodeOf(err) != es.CodeInvalidQuery || !errors.Is(err, es.ErrInvalidQuery) || !strings.Contains(err.Error(), "query") {
				t.Fatalf("Validate(%s) = %v, want an INVALID_QUERY error naming the query", q, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("Validate rejected the valid query %s: %v", q, err)
		}
		// An accepted query is usable by Matches and ConflictsWith, and
		// agrees with the reference semantics on events built from the
		// same strings.
		events := []es.Event{
			{Type: typ1, Tags: []es.Tag{es.Tag(tag1), es.Tag(tag2)}},
			{Type: typ1, Tags: []es.Tag{es.Tag(tag1)}},
			{Type: typ2, Tags: []es.Tag{es.Tag(tag2)}},
			{Type: typ2},
			{Type: typ1 + typ2 + "-other", Tags: []es.Tag{es.Tag(tag1), es.Tag(tag2), "extra"}},
		}
		for _, e := range events {
			got := q.Matches(e)
			if want := q.IsAll() || matchesRef(items, e); got != want {
				t.Fatalf("%s.Matches(type %q, tags %q) = %v, want %v", q, e.Type, e.Tags, got, want)
			}
			cond := es.FailIfMatch(q).WithAfter(5)
			for _, p := range []es.Position{4, 5, 6} {
				if c := cond.ConflictsWith(e, p); c != (got && p > 5) {
					t.Fatalf("ConflictsWith at position %d after 5 = %v, with Matches %v", p, c, got)
				}
			}
			if es.FailIfMatch(q).ConflictsWith(e, 1) != got {
				t.Fatalf("ConflictsWith without After differs from Matches")
			}
		}
		for i, it := range items { // each item matches an event built from it
			e := es.Event{Type: "unlisted-type", Tags: it.Tags}
			if len(it.Types) > 0 {
				e.Type = it.Types[0]
			}
			if !q.Matches(e) {
				t.Fatalf("%s does not match an event built from item %d (%+v)", q, i, it)
			}
		}
	})
}
