package memstore

import (
	"container/heap"
	"time"

	"github.com/eventspec/eventspec/store"
)

// The claim scheduler keeps Claim, Complete, Fail and Enqueue at O(log n)
// in the number of pending jobs, with no work at commit beyond the
// partitions a unit touched:
//
//   - each partition keeps its live jobs in enqueue order (partQueue);
//     only its head can be claimed, so only heads (and unpartitioned jobs)
//     are candidates;
//   - wait orders candidates by the instant they next need looking at:
//     RunAt for a pending job, LeaseUntil for a leased one;
//   - due orders the candidates found claimable by (RunAt, enqueue order),
//     the order Claim hands jobs out in.
//
// Entries are never updated in place: a change to a job bumps its gen and
// pushes a fresh entry, and Claim drops entries whose gen is stale or
// whose job is no longer a candidate. Undo restores a job and pushes a
// fresh entry for it, so a rollback needs no heap surgery. Stale entries
// are swept when they outnumber the rest.

// partQueue is one partition's live jobs in enqueue order from head on
// (jobs before head have finished).
type partQueue struct {
	name string
	jobs []*jobRec
	head int
}

// schedEntry is a heap entry for job r as of generation gen.
type schedEntry struct {
	at  time.Time
	seq uint64
	gen uint64
	r   *jobRec
}

// jobHeap is a min-heap by (at, seq).
type jobHeap []schedEntry

func (h jobHeap) Len() int { return len(h) }
func (h jobHeap) Less(i, j int) bool {
	if c := h[i].at.Compare(h[j].at); c != 0 {
		return c < 0
	}
	return h[i].seq < h[j].seq
}
func (h jobHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *jobHeap) Push(x any)   { *h = append(*h, x.(schedEntry)) }
func (h *jobHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = schedEntry{}
	*h = old[:len(old)-1]
	return e
}

// candidate reports whether r may be claimed or expired at all: live and
// first in its partition.
func (st *state) candidate(r *jobRec) bool {
	if !r.live() {
		return false
	}
	p := r.part
	return p == nil || (p.head < len(p.jobs) && p.jobs[p.head] == r)
}

// schedule records that r changed: older entries go stale, and a
// candidate gets an entry in wait.
func (st *state) schedule(r *jobRec) {
	r.gen++
	if !st.candidate(r) {
		return
	}
	at := r.job.RunAt
	if r.job.State == store.JobLeased {
		at = r.job.LeaseUntil
	}
	heap.Push(&st.wait, schedEntry{at: at, seq: r.seq, gen: r.gen, r: r})
	st.maybeSweep()
}

func (st *state) current(e schedEntry) bool { return e.gen == e.r.gen && st.candidate(e.r) }

// maybeSweep drops stale entries once they are at least half the heaps.
func (st *state) maybeSweep() {
	if n := len(st.wait) + len(st.due); n < 64 || n < 2*st.sweptSize {
		return
	}
	for _, h := range []*jobHeap{&st.wait, &st.due} {
		kept := (*h)[:0]
		for _, e := range *h {
			if st.current(e) {
				kept = append(kept, e)
			}
		}
		clear((*h)[len(kept):])
		*h = kept
		heap.Init(h)
	}
	st.sweptSize = len(st.wait) + len(st.due)
}

// advanceHead moves p's head past finished jobs, schedules the new head,
// and records the undo.
func (t *tx) advanceHead(p *partQueue) {
	old := p.head
	for p.head < len(p.jobs) && !p.jobs[p.head].live() {
		p.head++
	}
	if p.head == old {
		return
	}
	st := &t.s.st
	if p.head < len(p.jobs) {
		st.schedule(p.jobs[p.head])
	}
	t.touched = append(t.touched, p)
	t.undo = append(t.undo, undoEntry{fn: func() {
		p.head = old
		st.schedule(p.jobs[old])
	}})
}

// compactPartitions drops finished jobs from the partitions this unit of
// work touched. It runs at commit only, so undo entries always find the
// partitions as they left them.
func (st *state) compactPartitions(touched []*partQueue) {
	for _, p := range touched {
		switch {
		case p.head == len(p.jobs):
			clear(p.jobs)
			p.jobs, p.head = p.jobs[:0], 0
			if st.parts[p.name] == p {
				delete(st.parts, p.name)
			}
		case p.head > 0 && 2*p.head >= len(p.jobs):
			n := copy(p.jobs, p.jobs[p.head:])
			clear(p.jobs[n:])
			p.jobs, p.head = p.jobs[:n], 0
		}
	}
}

// claimable moves every candidate whose wait instant has come to due (or
// kills it when its lease expired on its last attempt), then hands out up
// to max due jobs in (RunAt, enqueue) order, leasing them until
// now+lease.
func (t *tx) claimable(now time.Time, max int) []*jobRec {
	st := &t.s.st
	for len(st.wait) > 0 && !st.wait[0].at.After(now) {
		e := heap.Pop(&st.wait).(schedEntry)
		if !st.current(e) {
			continue
		}
		r := e.r
		j := &r.job
		expired := j.State == store.JobLeased && !now.Before(j.LeaseUntil)
		switch {
		case expired && j.Attempts >= j.MaxAttempts:
			t.killJob(r, "lease expired") // the partition's next job may run
		case j.State == store.JobLeased && !expired, j.RunAt.After(now):
			// Not claimable yet (a clock that went back): look again later.
			heap.Push(&st.wait, schedEntry{at: laterOf(j), seq: r.seq, gen: r.gen, r: r})
		default:
			heap.Push(&st.due, schedEntry{at: j.RunAt, seq: r.seq, gen: r.gen, r: r})
		}
	}
	var out []*jobRec
	for len(out) < max && len(st.due) > 0 {
		e := heap.Pop(&st.due).(schedEntry)
		if !st.current(e) {
			continue
		}
		j := &e.r.job
		if j.RunAt.After(now) || (j.State == store.JobLeased && now.Before(j.LeaseUntil)) {
			heap.Push(&st.wait, schedEntry{at: laterOf(j), seq: e.seq, gen: e.gen, r: e.r})
			continue
		}
		out = append(out, e.r)
	}
	return out
}

func laterOf(j *store.Job) time.Time {
	if j.State == store.JobLeased && j.LeaseUntil.After(j.RunAt) {
		return j.LeaseUntil
	}
	return j.RunAt
}
