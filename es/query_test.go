package es_test

import (
	"testing"

	"github.com/eventspec/eventspec/es"
)

func TestQueryMatches(t *testing.T) {
	ev := func(typ string, tags ...es.Tag) es.Event { return es.Event{Type: typ, Tags: tags} }
	placed := ev("OrderPlaced", "order:1", "customer:c")
	cases := []struct {
		name string
		q    es.Query
		e    es.Event
		want bool
	}{
		{"All matches anything", es.All(), ev("X"), true},
		{"type in the list", es.Types("OrderShipped", "OrderPlaced"), placed, true},
		{"type not in the list", es.Types("OrderShipped"), placed, false},
		{"all tags present", es.Tags("order:1", "customer:c"), placed, true},
		{"event carries more tags", es.Tags("order:1"), placed, true},
		{"one tag missing", es.Tags("order:1", "region:eu"), placed, false},
		{"tag on an event without tags", es.Tags("order:1"), ev("OrderPlaced"), false},
		{"type and tags both hold", es.Items(es.QueryItem{Types: []string{"OrderPlaced"}, Tags: []es.Tag{"order:1"}}), placed, true},
		{"type holds, tag does not", es.Items(es.QueryItem{Types: []string{"OrderPlaced"}, Tags: []es.Tag{"order:2"}}), placed, false},
		{"tag holds, type does not", es.Items(es.QueryItem{Types: []string{"OrderShipped"}, Tags: []es.Tag{"order:1"}}), placed, false},
		{"second item of an OR holds", es.Items(es.QueryItem{Types: []string{"Nope"}}, es.QueryItem{Tags: []es.Tag{"customer:c"}}), placed, true},
		{"no item of an OR holds", es.Items(es.QueryItem{Types: []string{"Nope"}}, es.QueryItem{Tags: []es.Tag{"customer:d"}}), placed, false},
		{"tags are not split across items", es.Items(es.QueryItem{Tags: []es.Tag{"order:1", "x"}}, es.QueryItem{Tags: []es.Tag{"customer:c", "y"}}), placed, false},
		{"the zero query matches nothing", es.Query{}, placed, false},
	}
	for _, c := range cases {
		if got := c.q.Matches(c.e); got != c.want {
			t.Errorf("%s: %s.Matches(%s %v) = %v, want %v", c.name, c.q, c.e.Type, c.e.Tags, got, c.want)
		}
	}
}

func TestQueryValidate(t *testing.T) {
	cases := []struct {
		name    string
		q       es.Query
		mention string // "" when valid
	}{
		{"All", es.All(), ""},
		{"types", es.Types("A", "B"), ""},
		{"tags", es.Tags("a", "b"), ""},
		{"repeated type is fine", es.Types("A", "A"), ""},
		{"zero query", es.Query{}, "query has no items"},
		{"no items", es.Items(), "query has no items"},
		{"empty item", es.Items(es.QueryItem{}), "query item 0 has neither types nor tags"},
		{"empty second item", es.Items(es.QueryItem{Types: []string{"A"}}, es.QueryItem{}), "query item 1 has neither types nor tags"},
		{"empty type", es.Types("A", ""), "query item 0: type 1: is empty"},
		{"duplicate tag", es.Tags("a", "b", "a"), `query item 0: duplicate tag "a"`},
		{"tag with NUL", es.Tags("a\x00"), "query item 0: tag 0:"},
		{"type too long", es.Types(string(make([]byte, 300))), "300 bytes long"},
	}
	for _, c := range cases {
		err := c.q.Validate()
		if c.mention == "" {
			if err != nil {
				t.Errorf("%s: unexpected %v", c.name, err)
			}
			continue
		}
		wantErr(t, c.name, err, es.CodeInvalidQuery, c.mention)
	}
}

func TestQueryAccessorsAndString(t *testing.T) {
	if !es.All().IsAll() || es.All().QueryItems() != nil || es.Types("A").IsAll() {
		t.Errorf("IsAll/QueryItems wrong")
	}
	q := es.Items(es.QueryItem{Types: []string{"A", "B"}, Tags: []es.Tag{"x"}}, es.QueryItem{Tags: []es.Tag{"y", "z"}})
	if got := len(q.QueryItems()); got != 2 {
		t.Errorf("QueryItems has %d items, want 2", got)
	}
	for q, want := range map[string]string{
		es.All().String():        "All",
		es.Query{}.String():      "<empty query>",
		q.String():               "[types(A,B) tags(x)] OR [tags(y,z)]",
		es.Types("A").GoString(): "es.Query([types(A)])",
	} {
		if q != want {
			t.Errorf("got %q, want %q", q, want)
		}
	}
}

func TestAppendConditionConflictsWith(t *testing.T) {
	e := es.Event{Type: "SeatBooked", Tags: []es.Tag{"course:c1"}}
	other := es.Event{Type: "SeatBooked", Tags: []es.Tag{"course:c2"}}
	q := es.Tags("course:c1")
	cases := []struct {
		name string
		c    es.AppendCondition
		e    es.Event
		p    es.Position
		want bool
	}{
		{"no After: any position conflicts", es.FailIfMatch(q), e, 1, true},
		{"no After: unrelated event", es.FailIfMatch(q), other, 9, false},
		{"before After", es.FailIfMatch(q).WithAfter(5), e, 4, false},
		{"at After", es.FailIfMatch(q).WithAfter(5), e, 5, false},
		{"after After", es.FailIfMatch(q).WithAfter(5), e, 6, true},
		{"After 0", es.FailIfMatch(q).WithAfter(0), e, 1, true},
		{"All after After", es.FailIfMatch(es.All()).WithAfter(2), other, 3, true},
	}
	for _, c := range cases {
		if got := c.c.ConflictsWith(c.e, c.p); got != c.want {
			t.Errorf("%s: ConflictsWith(position %d) = %v, want %v", c.name, c.p, got, c.want)
		}
	}
	base := es.FailIfMatch(q)
	bounded := base.WithAfter(7)
	if base.After != nil || bounded.After == nil || *bounded.After != 7 {
		t.Errorf("WithAfter changed the original or did not bound the copy: %v, %v", base.After, bounded.After)
	}
	wantErr(t, "negative After", es.FailIfMatch(q).WithAfter(-1).Validate(), es.CodeInvalidArgument, "after -1 is negative")
	wantErr(t, "bad query", es.FailIfMatch(es.Query{}).Validate(), es.CodeInvalidQuery, "no items")
	wantErr(t, "valid", bounded.Validate(), "", "")
}
