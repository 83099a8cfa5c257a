package orchestrator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/platform/command"
	"github.com/eventspec/eventspec/platform/command/registry"
	"github.com/eventspec/eventspec/platform/commandbus"
	"github.com/eventspec/eventspec/platform/ids"
	"github.com/eventspec/eventspec/store"
)

// CMSCollectionPrefix prefixes the document collection holding an aggregate
// type's command-model state: "cms.<AggregateType>", keyed by aggregate id.
const CMSCollectionPrefix = "cms."

// CMSDocument is the stored command-model state of one aggregate.
type CMSDocument struct {
	// StateVersion is the schema version of State (for upcasting).
	StateVersion int `json:"stateVersion"`
	// Version is the aggregate stream's version this state reflects.
	Version int64 `json:"version"`
	// State is the aggregate's state as JSON.
	State json.RawMessage `json:"state"`
}

// StreamFor returns the event stream of aggregate id of type aggType:
// "<aggType>-<id>".
func StreamFor(aggType, id string) es.StreamID { return es.StreamID(aggType + "-" + id) }

// aggRef is the aggregate a command targets: its id and its stream.
type aggRef struct {
	id     string
	stream es.StreamID
}

// aggregateRef reads the aggregate id of an aggType command from the
// payload field and names its stream (StreamFor). validJSON says the
// payload is known to be valid JSON (command.Command.Validate checked it).
// Every aggregate command does this, so the usual case — an id without
// escapes — builds the stream in one allocation and takes the id from it.
func aggregateRef(cmd command.Command, aggType, field string, validJSON bool) (aggRef, error) {
	var raw []byte
	var found, ok bool
	if validJSON {
		raw, found, ok = validTopLevelString(cmd.Payload, field)
	} else {
		raw, found, ok = topLevelString(cmd.Payload, field)
	}
	var ref aggRef
	if ok {
		switch {
		case !found:
			return aggRef{}, fmt.Errorf("%s is required", field)
		case len(raw) == 0:
			return aggRef{}, fmt.Errorf("%s must be a non-empty string", field)
		}
		var b strings.Builder
		b.Grow(len(aggType) + 1 + len(raw))
		b.WriteString(aggType)
		b.WriteByte('-')
		b.Write(raw)
		ref.stream = es.StreamID(b.String())
		ref.id = string(ref.stream[len(aggType)+1:])
	} else {
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(cmd.Payload, &fields); err != nil || fields == nil {
			return aggRef{}, fmt.Errorf("%s is required (the payload is not an object)", field)
		}
		v, ok := fields[field]
		if !ok {
			return aggRef{}, fmt.Errorf("%s is required", field)
		}
		var id string
		if err := json.Unmarshal(v, &id); err != nil || id == "" {
			return aggRef{}, fmt.Errorf("%s must be a non-empty string", field)
		}
		ref = aggRef{id: id, stream: StreamFor(aggType, id)}
	}
	if err := es.ValidateName(es.CodeInvalidArgument, field, ref.id); err != nil {
		return aggRef{}, fmt.Errorf("%s: %s", field, err.Error())
	}
	return ref, nil
}

// loadAggregate reads the targeted aggregate's CMS (stage load-cms) into
// agg and returns it (nil when the command targets no aggregate).
func (o *Orchestrator) loadAggregate(ctx context.Context, tx store.Tx, sc *scratch, ref aggRef, reg *registry.Registration, agg *command.Aggregate) (*command.Aggregate, int64, error) {
	t := reg.Meta.TargetAggregate
	if t == nil {
		return nil, 0, nil
	}
	id := ref.id
	*agg = command.Aggregate{Type: t.Type, ID: id, Stream: ref.stream}
	doc, found, err := store.LookupDocument(ctx, tx.Documents(), sc.coll.get(t.Type, o.cmsCollection), id)
	if err != nil {
		return nil, 0, err
	}
	if !found {
		return agg, 0, nil
	}
	d, err := decodeCMS(doc.Data)
	if err != nil {
		return nil, 0, es.Wrap(es.CodeInternal, err, "CMS %s/%s does not decode", t.Type, id)
	}
	if up := o.upcasters[t.Type]; up != nil {
		st, v, err := up(d.State, d.StateVersion)
		if err != nil {
			return nil, 0, err
		}
		d.State, d.StateVersion = st, v
	}
	agg.Exists, agg.Version, agg.StateVersion, agg.State = true, d.Version, d.StateVersion, d.State
	return agg, doc.Version, nil
}

// callHandler runs the handler, turning a panic into an error.
func callHandler(ctx context.Context, h command.Handler, hc *command.HandlerContext) (res command.HandlerResult, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("handler panicked: %v", p)
		}
	}()
	return h(ctx, hc)
}

// classify turns a handler error into an abort (returned as error) or an
// outcome to record apart.
func classify(ctx context.Context, err error) (command.Result, error) {
	if command.IsAbort(err) {
		return command.Result{}, err
	}
	if ctx.Err() != nil {
		return command.Result{}, err
	}
	var ce *command.Error
	if errors.As(err, &ce) && (ce.Category == command.ErrorDomain || ce.Category == command.ErrorValidation) {
		return rejected(ce.ErrCode, ce.Message, ce.Context), nil
	}
	switch es.CodeOf(err) {
	case es.CodeConcurrency, es.CodeVersionConflict:
		return command.Result{}, &command.AbortError{ErrCode: command.CodeEventStoreConflict, Message: "the handler met a concurrent change", Cause: err}
	case es.CodeIdempotencyConflict, es.CodeAppendCondition:
		return command.Result{}, &command.AbortError{ErrCode: command.CodeAppendAbort, Message: "the handler's append was refused", Cause: err}
	case es.CodeClosed:
		return command.Result{}, err
	}
	return command.Result{Status: command.StatusFailed, Code: command.CodeHandlerError, Reason: err.Error()}, nil
}

// stamp fills the metadata the orchestrator owns on each event, but the
// event ids: the append mints those (see dualWrite).
func (o *Orchestrator) stamp(sc *scratch, cmd *command.Command, events []es.Event) []es.Event {
	out := sc.eventsFor(len(events))
	for i := range events {
		out[i] = events[i]
		m := &out[i].Metadata
		if m.CorrelationID == "" {
			m.CorrelationID = cmd.Metadata.CorrelationID
		}
		if m.CausationID == "" {
			m.CausationID = cmd.ID
		}
		if m.Category == "" {
			m.Category = es.DefaultCategory
		}
		if m.SchemaVersion == 0 {
			m.SchemaVersion = es.DefaultSchemaVersion
		}
		if u := cmd.Metadata.UserID; u != "" {
			if _, ok := m.Extra["userId"]; !ok {
				extra := make(map[string]string, len(m.Extra)+1)
				for k, v := range m.Extra {
					extra[k] = v
				}
				extra["userId"] = u
				m.Extra = extra
			}
		}
	}
	return out
}

// eventIDPrefix returns the prefix of event ids minted for bounded context
// bc, "<bc lower-cased>_event_" ("" when that is no valid id part).
func (o *Orchestrator) eventIDPrefix(bc string) string {
	if p, ok := o.names.Load(nameKey{eventPrefix, bc}); ok {
		return p.(string)
	}
	prefix := ""
	if lc := strings.ToLower(bc); ids.IsValidPart(lc) {
		prefix = lc + "_" + ids.EventType + "_"
	}
	o.names.Store(nameKey{eventPrefix, bc}, prefix)
	return prefix
}

// cmsCollection returns the CMS collection of aggregate type aggType
// (CMSCollectionPrefix + aggType).
func (o *Orchestrator) cmsCollection(aggType string) string {
	if c, ok := o.names.Load(nameKey{cmsCollection, aggType}); ok {
		return c.(string)
	}
	c := CMSCollectionPrefix + aggType
	o.names.Store(nameKey{cmsCollection, aggType}, c)
	return c
}

// nameKey keys the names the orchestrator derives from registered names
// (bounded contexts, aggregate types), so they are built once.
type nameKey struct {
	kind byte
	name string
}

const (
	eventPrefix byte = iota
	cmsCollection
)

func abortAppend(err error, stream es.StreamID) error {
	ctx := map[string]any{"stream": string(stream)}
	var ce *es.ConcurrencyError
	if errors.As(err, &ce) {
		ctx["expectedVersion"], ctx["currentVersion"] = ce.Expected.String(), int64(ce.Actual)
	}
	switch es.CodeOf(err) {
	case es.CodeConcurrency, es.CodeVersionConflict:
		return &command.AbortError{ErrCode: command.CodeEventStoreConflict, Message: "append to " + string(stream) + " conflicts with a concurrent change", Context: ctx, Cause: err}
	case es.CodeClosed:
		return err
	}
	return &command.AbortError{ErrCode: command.CodeAppendAbort, Message: "append to " + string(stream) + " was refused", Context: ctx, Cause: err}
}

func postAppend(err error, what string) error {
	if err == nil || command.IsAbort(err) {
		return err
	}
	return &command.AbortError{ErrCode: command.CodePostAppendAbort, Message: what + " failed after the append", Cause: err}
}

// run executes stages command-log … complete in one unit of work.
func (e *execution) run(ctx context.Context, cmd command.Command, ref aggRef, args any) (command.Result, error) {
	o, reg := e.o, e.reg
	e.ctx, e.rRef, e.rCmd = ctx, ref, cmd
	// Only these two are set here: unit sets every other field of hc
	// before the handler runs (a whole-struct assignment would zero and
	// copy its 400-odd bytes once more per command).
	e.hc.Command, e.hc.Args = cmd, args
	e.res, e.apart, e.isDup, e.events, e.ar = command.Result{}, nil, false, nil, es.AppendResult{}
	err := o.s.Atomic(ctx, e.unitFn)
	switch {
	case e.isDup:
		o.stage(StageDuplicate, &cmd)
		return e.res, nil
	case e.apart != nil && errors.Is(err, errRecordApart):
		return o.recordApart(ctx, cmd, reg, *e.apart)
	case err != nil:
		return o.afterFailure(ctx, cmd, err)
	}
	o.logOutcome(ctx, cmd, reg, e.res)
	return e.res, nil
}

// recordApartWith ends the unit of work so that r is recorded apart.
func (e *execution) recordApartWith(r command.Result) error {
	e.apart = &r
	return errRecordApart
}

// unit is run's unit of work.
func (e *execution) unit(tx store.Tx) error {
	o, ctx, reg := e.o, e.ctx, &e.reg
	cmd := &e.rCmd // not hc.Command, which the handler may change
	o.stage(StageCommandLog, cmd)
	if !e.minted {
		// An id the orchestrator has just minted cannot be in the log (if
		// an id source ever repeated one, the insert at stage complete would
		// fail and afterFailure would report the record found).
		if prev, found, err := o.storedIn(ctx, tx, cmd.ID); err != nil {
			return err
		} else if found {
			e.res, e.isDup = prev, true
			return errDuplicate
		}
	}

	o.stage(StageLoadCMS, cmd)
	agg, docVersion, err := o.loadAggregate(ctx, tx, &e.sc, e.rRef, reg, &e.agg)
	if err != nil {
		return err
	}

	o.stage(StageHandle, cmd)
	hc := &e.hc // Command and Args were set by run
	hc.Tx, hc.Now, hc.IDs, hc.Aggregate = tx, o.clock.Now(), o.ids, agg
	hc.Info = command.Info{Command: *cmd, BoundedContext: reg.Meta.BoundedContext, Category: reg.Meta.Category, TargetAggregate: reg.Meta.TargetAggregate}
	hres, herr := callHandler(ctx, reg.Handler, hc)
	if herr != nil {
		r, err := classify(ctx, herr)
		if err != nil {
			return err
		}
		return e.recordApartWith(r)
	}
	res := &e.res
	switch hres.Status {
	case command.OutcomeRejected:
		code := hres.Code
		if code == "" {
			code = "REJECTED"
		}
		return e.recordApartWith(rejected(code, hres.Reason, hres.Context))
	case command.OutcomeSuccess:
		*res = command.Result{Status: command.StatusExecuted}
		if hres.Data != nil {
			data, err := json.Marshal(hres.Data)
			if err != nil {
				return e.recordApartWith(command.Result{Status: command.StatusFailed, Code: command.CodeHandlerError, Reason: "handler data does not encode: " + err.Error()})
			}
			res.Data = data
		}
	case command.OutcomeFailed:
		if len(hres.Events) == 0 && hres.Appended == nil {
			return e.recordApartWith(command.Result{Status: command.StatusFailed, Code: command.CodeHandlerError, Reason: "a business failure must record an event (reason: " + hres.Reason + ")"})
		}
		*res = command.Result{Status: command.StatusFailed, Reason: hres.Reason, Context: hres.Context}
	default:
		return e.recordApartWith(command.Result{Status: command.StatusFailed, Code: command.CodeHandlerError, Reason: fmt.Sprintf("handler returned unknown outcome %q", hres.Status)})
	}

	o.stage(StageDualWrite, cmd)
	if err := o.dualWrite(ctx, tx, &e.sc, cmd, reg, agg, docVersion, hres, res, &e.events, &e.ar); err != nil {
		return err
	}

	o.stage(StageFollowUp, cmd)
	if len(res.EventIDs) > 0 {
		if err := postAppend(o.followUps(ctx, tx, cmd, reg, res, e.events, e.ar.Positions), "enqueueing follow-up work"); err != nil {
			return err
		}
	}

	o.stage(StageComplete, cmd)
	var raw json.RawMessage
	*res, raw, err = finishInto(e.sc.result[:0], cmd, *res)
	e.sc.result = raw // the store copies the result before InsertCompleted returns
	if err != nil {
		return postAppend(err, "encoding the result")
	}
	// Stage command-log found no record in this unit of work, so insert
	// directly; a concurrent insert fails and afterFailure reports the
	// winner's result. The command's event correlation goes in the same
	// write.
	var events *commandbus.CorrelationRequest
	if len(res.EventIDs) > 0 && !o.noCorrelations {
		e.corr = commandbus.CorrelationRequest{CommandID: cmd.ID, EventIDs: res.EventIDs, CommandType: cmd.Type, BoundedContext: reg.Meta.BoundedContext}
		events = &e.corr
	}
	if err := o.log.InsertCompleted(ctx, tx, recordRequest(cmd), res.Status, raw, events); err != nil {
		return postAppend(err, "recording the command")
	}
	return nil
}

// dualWrite appends the handler's events and writes the CMS (stage
// dual-write), filling res with where the events landed.
func (o *Orchestrator) dualWrite(ctx context.Context, tx store.Tx, sc *scratch, cmd *command.Command, reg *registry.Registration,
	agg *command.Aggregate, docVersion int64, hres command.HandlerResult, res *command.Result, events *[]es.Event, ar *es.AppendResult) error {
	if hres.Appended != nil {
		*events, *ar = hres.Events, *hres.Appended
		res.Stream, res.EventIDs, res.Version, res.Position = hres.Appended.Stream, hres.Appended.EventIDs, hres.Appended.Version, hres.Appended.LastPosition()
		if res.Stream == "" {
			res.Stream = hres.Stream
		}
		return nil
	}
	stream := hres.Stream
	own := false
	if agg != nil && (stream == "" || stream == agg.Stream) {
		stream, own = agg.Stream, true
	}
	if agg != nil {
		res.Stream, res.Version = agg.Stream, es.Version(agg.Version)
	}
	if len(hres.Events) == 0 {
		// Nothing to append; a success may still replace the state.
		if hres.State != nil && agg != nil {
			return o.writeCMS(ctx, tx, sc, agg, docVersion, hres.State, agg.Version)
		}
		return nil
	}
	if stream == "" {
		return &command.AbortError{ErrCode: command.CodeAppendAbort, Message: fmt.Sprintf("command %s: the handler returned events but no stream, and the command targets no aggregate", cmd.Type)}
	}
	expected := es.Any
	var expectedV int64 = -1
	switch {
	case hres.ExpectedVersion != nil:
		expectedV = *hres.ExpectedVersion
	case own:
		expectedV = agg.Version
	}
	if expectedV >= 0 {
		expected = es.Exact(es.Version(expectedV))
	}
	*events = o.stamp(sc, cmd, hres.Events)
	if own && expectedV >= 0 {
		// The CMS follows the stream: success stores the new state (or keeps
		// the old one); a business failure keeps the state and moves the
		// version, so the next command's expected version is right.
		state := agg.State
		if hres.Status == command.OutcomeSuccess && hres.State != nil {
			state = hres.State
		}
		if err := o.writeCMS(ctx, tx, sc, agg, docVersion, state, expectedV+int64(len(*events))); err != nil {
			return err
		}
	}
	// Events without an id get "<context>_event_<id>" from the
	// orchestrator's id source, minted by the append (so the store need not
	// check them against every id it holds, as it does explicit ids).
	req := es.AppendRequest{Stream: stream, Expected: expected, Events: *events}
	if prefix := sc.prefix.get(reg.Meta.BoundedContext, o.eventIDPrefix); prefix != "" {
		req.IDs, req.IDPrefix = o.ids, prefix
	}
	var err error
	*ar, err = tx.Events().Append(ctx, req)
	if err != nil {
		return abortAppend(err, stream)
	}
	if len(ar.EventIDs) == len(*events) { // the stamped events as recorded, for follow-ups
		for i := range *events {
			(*events)[i].Metadata.EventID = ar.EventIDs[i]
		}
	}
	if ar.Duplicate {
		return &command.AbortError{ErrCode: command.CodeAppendAbort, Message: "append to " + string(stream) + " repeated an earlier idempotent append", Context: map[string]any{"stream": string(stream)}}
	}
	res.Stream, res.EventIDs, res.Version, res.Position = stream, ar.EventIDs, ar.Version, ar.LastPosition()
	return nil
}

// writeCMS stores the aggregate's state at version (optimistically against
// the loaded document version).
func (o *Orchestrator) writeCMS(ctx context.Context, tx store.Tx, sc *scratch, agg *command.Aggregate, docVersion int64, state json.RawMessage, version int64) error {
	sv := agg.StateVersion
	if sv == 0 {
		sv = 1
	}
	if len(state) == 0 {
		state = json.RawMessage("null")
	}
	// The document is encoded into the execution's buffer: the store copies
	// what it is given before the write returns. The store validates it, so
	// the state is checked on its own only when the write is refused.
	raw := appendCMS(sc.doc[:0], CMSDocument{StateVersion: sv, Version: version, State: state})
	sc.doc = raw
	coll := sc.coll.get(agg.Type, o.cmsCollection)
	var err error
	if docVersion == 0 {
		_, err = tx.Documents().Insert(ctx, coll, agg.ID, raw)
	} else {
		_, err = tx.Documents().Update(ctx, coll, agg.ID, docVersion, raw)
	}
	if err != nil {
		if !es.ValidJSON(state) {
			return &command.AbortError{ErrCode: command.CodeAppendAbort, Message: "the new CMS state of " + string(agg.Stream) + " is not valid JSON", Cause: err}
		}
		return abortAppend(err, agg.Stream)
	}
	return nil
}
