package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/store"
)

// kit bundles what a documents, jobs, atomicity or bad-input case works
// with — the case's T, the store under test and its environment — and the
// steps and assertions those cases share. Every store call goes through
// guard, so an adapter that panics fails the case instead of crashing the
// run.
type kit struct {
	t   T
	s   store.Store
	env Env
}

func newKit(t T, s store.Store, env Env) *kit { return &kit{t: t, s: s, env: env} }

// ctx is the case's context.
func (k *kit) ctx() context.Context { return k.t.Context() }

// now is the case's virtual time.
func (k *kit) now() time.Time { return k.env.Clock.Now() }

// guard calls fn and turns a panic inside it into a fatal failure that
// names what was being done (reported at the case's line, not here).
func (k *kit) guard(what string, fn func() error) (err error) {
	k.t.Helper()
	var (
		panicked any
		stack    []byte
	)
	func() {
		defer func() {
			if panicked = recover(); panicked != nil {
				stack = debug.Stack()
			}
		}()
		err = fn()
	}()
	if panicked != nil {
		k.t.Fatalf("%s: the adapter panicked: %v\n%s", what, panicked, stack)
	}
	return err
}

// try runs fn in a unit of work and returns Atomic's error.
func (k *kit) try(what string, fn func(tx store.Tx) error) error {
	k.t.Helper()
	return k.guard(what, func() error { return k.s.Atomic(k.ctx(), fn) })
}

// atomic runs fn in a unit of work and stops the case when it fails.
func (k *kit) atomic(what string, fn func(tx store.Tx) error) {
	k.t.Helper()
	if err := k.try(what, fn); err != nil {
		k.t.Fatalf("%s: unexpected error: %v", what, err)
	}
}

// wantCode reports whether err carries code — by es.CodeOf and by
// errors.Is against any error of that code — and a message that mentions
// every one of mentions (case-insensitively). It records a failure naming
// what otherwise.
func (k *kit) wantCode(what string, err error, code es.Code, mentions ...string) bool {
	k.t.Helper()
	if msg := codeMismatch(err, code); msg != "" {
		k.t.Errorf("%s: %s", what, msg)
		return false
	}
	msg := strings.ToLower(err.Error())
	for _, m := range mentions {
		if !strings.Contains(msg, strings.ToLower(m)) {
			k.t.Errorf("%s: error %q does not mention %q", what, err.Error(), m)
			return false
		}
	}
	return true
}

// diff fails the case (without stopping it) when got and want differ,
// showing a go-cmp diff (-want +got).
func (k *kit) diff(what string, want, got any) bool {
	k.t.Helper()
	if d := cmp.Diff(want, got); d != "" {
		k.t.Errorf("%s: mismatch (-want +got):\n%s", what, d)
		return false
	}
	return true
}

// --- events -----------------------------------------------------------

// appendOK appends req in its own unit of work and stops the case on error.
func (k *kit) appendOK(what string, req es.AppendRequest) es.AppendResult {
	k.t.Helper()
	var res es.AppendResult
	k.atomic(what, func(tx store.Tx) error {
		var err error
		res, err = tx.Events().Append(k.ctx(), req)
		return err
	})
	return res
}

// logEvents reads the whole global log (ReadLog) and stops the case on error.
func (k *kit) logEvents(what string) []es.Recorded {
	k.t.Helper()
	var out []es.Recorded
	err := k.guard(what+": reading the whole log", func() error {
		var err error
		out, err = ReadLog(k.ctx(), k.s)
		return err
	})
	if err != nil {
		k.t.Fatalf("%s: reading the whole log: %v", what, err)
	}
	return out
}

// wantLogTypes checks the whole log holds exactly events of these types,
// in this order.
func (k *kit) wantLogTypes(what string, types ...string) {
	k.t.Helper()
	got := []string{}
	for _, r := range k.logEvents(what) {
		got = append(got, r.Type)
	}
	if types == nil {
		types = []string{}
	}
	k.diff(what+": event types in the log", types, got)
}

// --- documents --------------------------------------------------------

// insertDoc inserts a document in its own unit of work.
func (k *kit) insertDoc(collection, key, data string) store.Document {
	k.t.Helper()
	var d store.Document
	k.atomic(fmt.Sprintf("inserting %s/%s", collection, key), func(tx store.Tx) error {
		var err error
		d, err = tx.Documents().Insert(k.ctx(), collection, key, json.RawMessage(data))
		return err
	})
	return d
}

// getDoc reads a document in its own unit of work.
func (k *kit) getDoc(collection, key string) (store.Document, error) {
	k.t.Helper()
	var d store.Document
	err := k.try(fmt.Sprintf("getting %s/%s", collection, key), func(tx store.Tx) error {
		var err error
		d, err = tx.Documents().Get(k.ctx(), collection, key)
		return err
	})
	return d, err
}

// wantDoc checks the stored document equals want, data byte for byte.
func (k *kit) wantDoc(what string, want store.Document) {
	k.t.Helper()
	got, err := k.getDoc(want.Collection, want.Key)
	if err != nil {
		k.t.Errorf("%s: get %s/%s: %v", what, want.Collection, want.Key, err)
		return
	}
	k.diff(what, docView(want), docView(got))
}

// wantNoDoc checks the document does not exist.
func (k *kit) wantNoDoc(what, collection, key string) {
	k.t.Helper()
	d, err := k.getDoc(collection, key)
	if err == nil {
		k.t.Errorf("%s: %s/%s exists (version %d, data %s), want NOT_FOUND", what, collection, key, d.Version, d.Data)
		return
	}
	k.wantCode(what, err, es.CodeNotFound, key)
}

// listDocs lists one page in its own unit of work.
func (k *kit) listDocs(collection string, opts store.ListOptions) (store.DocumentPage, error) {
	k.t.Helper()
	var p store.DocumentPage
	err := k.try(fmt.Sprintf("listing %s %+v", collection, opts), func(tx store.Tx) error {
		var err error
		p, err = tx.Documents().List(k.ctx(), collection, opts)
		return err
	})
	return p, err
}

// listKeys lists one page and stops the case on error.
func (k *kit) listKeys(collection string, opts store.ListOptions) (keys []string, next string) {
	k.t.Helper()
	p, err := k.listDocs(collection, opts)
	if err != nil {
		k.t.Fatalf("listing %s %+v: %v", collection, opts, err)
	}
	keys = []string{}
	for _, d := range p.Documents {
		keys = append(keys, d.Key)
	}
	return keys, p.Next
}

// documentView is a store.Document with its data as a string, so diffs
// show the bytes readably and compare them exactly.
type documentView struct {
	Collection string
	Key        string
	Data       string
	Version    int64
	UpdatedAt  time.Time
}

func docView(d store.Document) documentView {
	return documentView{Collection: d.Collection, Key: d.Key, Data: string(d.Data), Version: d.Version, UpdatedAt: d.UpdatedAt}
}

// --- jobs -------------------------------------------------------------

// enqueue enqueues spec in its own unit of work.
func (k *kit) enqueue(spec store.JobSpec) store.Job {
	k.t.Helper()
	var j store.Job
	k.atomic("enqueueing "+spec.Kind, func(tx store.Tx) error {
		var err error
		j, err = tx.Jobs().Enqueue(k.ctx(), spec)
		return err
	})
	return j
}

// claim claims in its own unit of work and stops the case on error.
func (k *kit) claim(max int, lease time.Duration) []store.Claimed {
	k.t.Helper()
	var out []store.Claimed
	k.atomic(fmt.Sprintf("claiming up to %d jobs", max), func(tx store.Tx) error {
		var err error
		out, err = tx.Jobs().Claim(k.ctx(), max, lease)
		return err
	})
	return out
}

// claimKinds claims and returns the kinds of the claimed jobs, in order.
func (k *kit) claimKinds(max int, lease time.Duration) ([]string, []store.Claimed) {
	k.t.Helper()
	cl := k.claim(max, lease)
	kinds := []string{}
	for _, c := range cl {
		kinds = append(kinds, c.Job.Kind)
	}
	return kinds, cl
}

// wantClaim claims (up to 100) and checks exactly these kinds come back, in order.
func (k *kit) wantClaim(what string, lease time.Duration, kinds ...string) []store.Claimed {
	k.t.Helper()
	got, cl := k.claimKinds(100, lease)
	if kinds == nil {
		kinds = []string{}
	}
	k.diff(what+": kinds claimed", kinds, got)
	return cl
}

// complete completes a lease in its own unit of work.
func (k *kit) complete(l store.Lease) error {
	k.t.Helper()
	return k.try("completing job "+l.JobID, func(tx store.Tx) error {
		return tx.Jobs().Complete(k.ctx(), l)
	})
}

// fail fails a lease in its own unit of work.
func (k *kit) fail(l store.Lease, reason string) (store.FailOutcome, error) {
	k.t.Helper()
	var out store.FailOutcome
	err := k.try("failing job "+l.JobID, func(tx store.Tx) error {
		var err error
		out, err = tx.Jobs().Fail(k.ctx(), l, reason)
		return err
	})
	return out, err
}

// getJob reads a job in its own unit of work.
func (k *kit) getJob(id string) (store.Job, error) {
	k.t.Helper()
	var j store.Job
	err := k.try("getting job "+id, func(tx store.Tx) error {
		var err error
		j, err = tx.Jobs().Get(k.ctx(), id)
		return err
	})
	return j, err
}

// mustJob reads a job and stops the case on error.
func (k *kit) mustJob(id string) store.Job {
	k.t.Helper()
	j, err := k.getJob(id)
	if err != nil {
		k.t.Fatalf("getting job %s: %v", id, err)
	}
	return j
}

// deadLetters lists dead letters in its own unit of work.
func (k *kit) deadLetters(after string, limit int) ([]store.Job, error) {
	k.t.Helper()
	var out []store.Job
	err := k.try("listing dead letters", func(tx store.Tx) error {
		var err error
		out, err = tx.Jobs().DeadLetters(k.ctx(), after, limit)
		return err
	})
	return out, err
}

// jobView is a store.Job with its payload in canonical JSON (adapters may
// store payloads as JSON values rather than bytes); times compare with
// time.Equal, as go-cmp does for time.Time.
type jobView struct {
	ID          string
	Kind        string
	Payload     string
	Partition   string
	State       store.JobState
	RunAt       time.Time
	EnqueuedAt  time.Time
	Attempts    int
	MaxAttempts int
	Backoff     time.Duration
	LeaseUntil  time.Time
	LastError   string
}

func (k *kit) jobView(j store.Job) jobView {
	k.t.Helper()
	p, err := es.CanonicalJSON(j.Payload)
	if err != nil {
		k.t.Errorf("job %s: payload %q is not valid JSON: %v", j.ID, j.Payload, err)
		p = j.Payload
	}
	return jobView{
		ID: j.ID, Kind: j.Kind, Payload: string(p), Partition: j.Partition, State: j.State,
		RunAt: j.RunAt, EnqueuedAt: j.EnqueuedAt, Attempts: j.Attempts, MaxAttempts: j.MaxAttempts,
		Backoff: j.Backoff, LeaseUntil: j.LeaseUntil, LastError: j.LastError,
	}
}

// wantJob checks a job equals want (payload compared as canonical JSON).
func (k *kit) wantJob(what string, want, got store.Job) {
	k.t.Helper()
	k.diff(what, k.jobView(want), k.jobView(got))
}

// jobIDs returns the ids of jobs, in order.
func jobIDs(jobs []store.Job) []string {
	out := []string{}
	for _, j := range jobs {
		out = append(out, j.ID)
	}
	return out
}
