package orchestrator

import "github.com/eventspec/eventspec/es"

// maxScratch is the largest buffer an execution keeps for the next
// command; a command that needed more leaves it to the garbage collector.
const maxScratch = 16 << 10

// scratch is the memory an execution reuses from one command to the next:
// buffers for what it writes through the store, which never keeps a
// caller's memory past the call (see package store), and one-entry memos
// of the names it derives from registered ones.
type scratch struct {
	doc    []byte     // the CMS document being written
	result []byte     // the command result being recorded
	events []es.Event // the stamped events being appended
	coll   nameMemo   // aggregate type → CMS collection
	prefix nameMemo   // bounded context → event id prefix
}

// eventsFor returns a slice of n events to fill, backed by the scratch
// array when n is small.
func (sc *scratch) eventsFor(n int) []es.Event {
	if cap(sc.events) < n {
		sc.events = make([]es.Event, 0, max(n, 4))
	}
	sc.events = sc.events[:n]
	return sc.events
}

// reset readies sc for the next command: it drops what the last one left
// referenced and any buffer grown past maxScratch.
func (sc *scratch) reset() {
	clear(sc.events) // only the events the last command used hold anything
	sc.events = sc.events[:0]
	if cap(sc.events) > 64 {
		sc.events = nil
	}
	if cap(sc.doc) > maxScratch {
		sc.doc = nil
	}
	if cap(sc.result) > maxScratch {
		sc.result = nil
	}
}

// nameMemo remembers the last name derived by a pure function.
type nameMemo struct {
	key, val string
	set      bool
}

// get returns derive(key), calling derive only when key is not the
// remembered one.
func (m *nameMemo) get(key string, derive func(string) string) string {
	if !m.set || m.key != key {
		m.key, m.val, m.set = key, derive(key), true
	}
	return m.val
}

// grow returns dst with room for n more bytes: dst itself when it has the
// room, else a new buffer of exactly that capacity (one allocation, also
// under the race detector, where slices.Grow of an empty slice makes two).
func grow(dst []byte, n int) []byte {
	if cap(dst)-len(dst) >= n {
		return dst
	}
	return append(make([]byte, 0, len(dst)+n), dst...)
}
