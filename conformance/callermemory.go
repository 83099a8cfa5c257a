package conformance

import (
	"encoding/json"
	"time"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/store"
)

// The store package's memory rule: a store copies what a caller passes in
// before the call returns, and what it returns is the caller's own. The
// orchestrator relies on it (it reuses its encoding buffers from one command
// to the next), so an adapter that keeps a caller's slice corrupts stored
// documents and results.
func init() {
	register(
		Case{Group: "events", Name: "caller-memory-is-its-own", Run: onLog(eventsCallerMemory)},
		Case{Group: "documents", Name: "caller-memory-is-its-own", Run: docCallerMemory},
	)
}

// scribble overwrites every byte of b.
func scribble(b []byte) {
	for i := range b {
		b[i] = '#'
	}
}

// eventsCallerMemory: changing an appended event's data, tags, extra map or
// the events slice after Append returns, or changing what a read returned,
// changes nothing stored.
func eventsCallerMemory(c *logCase) {
	data := []byte(`{"sku":"a-1","qty":2}`)
	tags := []es.Tag{"order:1", "sku:a-1"}
	extra := map[string]string{"userId": "u-1"}
	events := []es.Event{{Type: "ItemAdded", Data: data, Tags: tags, Metadata: es.Metadata{EventID: "evt-mem-1", Extra: extra}}}
	want := expectRecorded(es.Event{Type: "ItemAdded", Data: []byte(`{"sku":"a-1","qty":2}`), Tags: []es.Tag{"order:1", "sku:a-1"},
		Metadata: es.Metadata{EventID: "evt-mem-1", Extra: map[string]string{"userId": "u-1"}}}, "evt-mem-1", "order-1", 1, 0, time.Time{})
	at := c.env.Clock.Advance(time.Second)
	r := c.mustAppendTo("order-1", es.NoStream, events...)
	want.Position, want.RecordedAt = r.Positions[0], at

	scribble(data)
	tags[0], tags[1] = "changed:1", "changed:2"
	extra["userId"], extra["added"] = "u-changed", "x"
	events[0] = es.Event{Type: "Replaced", Data: []byte(`0`)}
	if d := diffEvents([]es.Recorded{want}, c.readStream("order-1", store.StreamRead{})); d != "" {
		c.Fatalf("after the caller changed what it appended: %s", d)
	}

	read := c.readAll(store.LogRead{}).Events
	if len(read) != 1 {
		c.Fatalf("ReadAll: %d events, want 1", len(read))
	}
	scribble(read[0].Data)
	if len(read[0].Tags) > 0 {
		read[0].Tags[0] = "changed:3"
	}
	if read[0].Metadata.Extra != nil {
		read[0].Metadata.Extra["userId"] = "u-read"
	}
	if d := diffEvents([]es.Recorded{want}, c.readStream("order-1", store.StreamRead{})); d != "" {
		c.Fatalf("after the caller changed what ReadAll returned: %s", d)
	}
	if d := diffEvents([]es.Recorded{want}, c.readQuery(es.Tags("order:1"), store.QueryRead{}).Events); d != "" {
		c.Fatalf("ReadQuery after the caller changed what it appended and read: %s", d)
	}
}

// docCallerMemory: changing the data given to Insert or Update after the
// call returns, or the data Get or List returned, changes nothing stored;
// a buffer reused for the next write (as the orchestrator reuses its own)
// leaves the earlier document intact.
func docCallerMemory(t T, s store.Store, env Env) {
	k := newKit(t, s, env)
	buf := []byte(`{"n":1,"name":"first"}`)
	k.atomic("insert a and b from one reused buffer", func(tx store.Tx) error {
		if _, err := tx.Documents().Insert(k.ctx(), "mem", "a", buf); err != nil {
			return err
		}
		buf = append(buf[:0], `{"n":2,"name":"other"}`...) // same length: same array
		if _, err := tx.Documents().Insert(k.ctx(), "mem", "b", buf); err != nil {
			return err
		}
		scribble(buf)
		return nil
	})
	want := map[string]string{"a": `{"n":1,"name":"first"}`, "b": `{"n":2,"name":"other"}`}
	check := func(when string) {
		t.Helper()
		for key, v := range want {
			d, err := k.getDoc("mem", key)
			if err != nil {
				t.Fatalf("%s: get %s: %v", when, key, err)
			}
			if string(d.Data) != v {
				t.Fatalf("%s: document %s is %s, want %s", when, key, d.Data, v)
			}
		}
	}
	check("after the caller changed its insert buffer")

	upd := []byte(`{"n":3,"name":"third"}`)
	k.atomic("update a", func(tx store.Tx) error {
		_, err := tx.Documents().Update(k.ctx(), "mem", "a", 1, json.RawMessage(upd))
		return err
	})
	scribble(upd)
	want["a"] = `{"n":3,"name":"third"}`
	check("after the caller changed its update buffer")

	d, err := k.getDoc("mem", "a")
	if err != nil {
		t.Fatalf("get a: %v", err)
	}
	scribble(d.Data)
	page, err := k.listDocs("mem", store.ListOptions{})
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	for _, d := range page.Documents {
		scribble(d.Data)
	}
	check("after the caller changed what Get and List returned")
}
