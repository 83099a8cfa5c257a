package postgresadapter

import (
	"cmp"
	"hash/fnv"
	"slices"

	"github.com/eventspec/eventspec/es"
)

// Lock classes. Every advisory lock the adapter takes is a two-int4 lock
// (class, object); the class is derived from the schema and a purpose, so
// schemas — and other applications' advisory locks — do not meet.
type lockClasses struct {
	stream, idem, dcb int32
	// register and registerCond are the appender registration classes of
	// plain writers and of conditional appends (see finality_bound and
	// append_events in the migrations).
	register, registerCond int32
}

func newLockClasses(schema string) lockClasses {
	return lockClasses{
		stream:       lockClass("stream", schema),
		idem:         lockClass("idempotency", schema),
		dcb:          lockClass("dcb", schema),
		register:     lockClass("register", schema),
		registerCond: lockClass("register-conditional", schema),
	}
}

// lockClass is a non-negative int32 (so pg_locks shows it unchanged as the
// classid oid).
func lockClass(purpose, schema string) int32 {
	return int32(hash32("eventspec\x00"+purpose+"\x00"+schema) & 0x7fffffff)
}

func hash32(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32()
}

// maxDCBLocks bounds the DCB locks one append takes. An append whose events
// carry more distinct types and tags, or whose condition has more items,
// takes the global DCB lock exclusively instead: still correct (it
// conflicts with every append), and it keeps PostgreSQL's shared lock table
// (max_locks_per_transaction × max_connections slots) from filling up.
const maxDCBLocks = 64

// globalDCBKey is the DCB lock every conditional append takes: shared,
// or exclusive for an All condition.
const globalDCBKey = 0

// lockReq is one advisory lock to take.
type lockReq struct {
	cls, obj  int32
	exclusive bool
}

// The DCB lock scheme, among conditional appends only. A conditional append
// takes a shared lock on the key of each of its events' types ("y\0type")
// and tags ("t\0tag"), and on the global key; and an exclusive lock per
// query item of its condition — the key of the item's first tag, or of each
// of its types when it has no tags — or the global key for All. Any event
// matching an item carries that item's key, so two conditional appends
// where one's events match the other's condition exclude each other:
// whichever locks first commits first, and the other sees it (the check
// runs in a snapshot taken after the locks) or draws later positions.
// Plain writers (no condition) take no DCB lock: a conditional append
// waits for the plain writers registered below its first position before
// it checks (append_events, migration 0003). Hash collisions only make
// unrelated appends wait; they never decide a conflict, which the exact
// check over the stored events does.
func dcbKey(kind byte, name string) int32 { return int32(hash32(string([]byte{kind, 0}) + name)) }

// appendLocks computes the sorted, de-duplicated lock set of req: its
// stream and idempotency key (exclusive) and, when it has a condition, its
// DCB keys.
func (c lockClasses) appendLocks(req es.AppendRequest) (cls, obj []int32, x []bool) {
	var locks []lockReq
	if req.Stream != "" {
		locks = append(locks, lockReq{c.stream, int32(hash32(string(req.Stream))), true})
	}
	if req.Idempotency != nil {
		locks = append(locks, lockReq{c.idem, int32(hash32(req.Idempotency.Key)), true})
	}
	cond := req.Condition
	if cond == nil {
		// A plain writer takes no DCB lock: conditional appends wait for
		// its registration instead (migration 0003).
		return sortedLocks(locks)
	}
	var writer []lockReq
	seen := map[int32]bool{}
	add := func(k int32) {
		if !seen[k] {
			seen[k] = true
			writer = append(writer, lockReq{c.dcb, k, false})
		}
	}
	add(globalDCBKey)
	for _, e := range req.Events {
		add(dcbKey('y', e.Type))
		for _, t := range e.Tags {
			add(dcbKey('t', string(t)))
		}
	}
	if len(writer) > maxDCBLocks {
		writer = []lockReq{{c.dcb, globalDCBKey, true}}
	}
	locks = append(locks, writer...)
	{
		var cl []lockReq
		if cond.FailIfEventsMatch.IsAll() {
			cl = append(cl, lockReq{c.dcb, globalDCBKey, true})
		} else {
			for _, it := range cond.FailIfEventsMatch.QueryItems() {
				if len(it.Tags) > 0 {
					cl = append(cl, lockReq{c.dcb, dcbKey('t', string(it.Tags[0])), true})
					continue
				}
				for _, typ := range it.Types {
					cl = append(cl, lockReq{c.dcb, dcbKey('y', typ), true})
				}
			}
			if len(cl) > maxDCBLocks {
				cl = []lockReq{{c.dcb, globalDCBKey, true}}
			}
		}
		locks = append(locks, cl...)
	}
	return sortedLocks(locks)
}

// sortedLocks sorts and de-duplicates locks and flattens them into
// append_events' parameters.
func sortedLocks(locks []lockReq) (cls, obj []int32, x []bool) {
	slices.SortFunc(locks, func(a, b lockReq) int {
		if d := cmp.Compare(a.cls, b.cls); d != 0 {
			return d
		}
		if d := cmp.Compare(a.obj, b.obj); d != 0 {
			return d
		}
		// exclusive first, so de-duplication keeps the stronger mode
		switch {
		case a.exclusive == b.exclusive:
			return 0
		case a.exclusive:
			return -1
		}
		return 1
	})
	locks = slices.CompactFunc(locks, func(a, b lockReq) bool { return a.cls == b.cls && a.obj == b.obj })
	cls, obj, x = make([]int32, len(locks)), make([]int32, len(locks)), make([]bool, len(locks))
	for i, l := range locks {
		cls[i], obj[i], x[i] = l.cls, l.obj, l.exclusive
	}
	return cls, obj, x
}
