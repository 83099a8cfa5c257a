package enginefaults_test

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cucumber/godog"

	"github.com/eventspec/eventspec/engine"
	"github.com/eventspec/eventspec/engine/enginetest"
	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/features/internal/backends"
	"github.com/eventspec/eventspec/given"
	"github.com/eventspec/eventspec/platform/orchestrator"
	"github.com/eventspec/eventspec/steps"
	"github.com/eventspec/eventspec/store"
)

//go:embed *.feature
var specs embed.FS

func TestFeatures(t *testing.T) {
	backends.Run(t, steps.Options{Features: specs, Register: register})
}

// Scenario keys.
const (
	seedKey          = "enginefaults.seed"
	planKey          = "enginefaults.plan"
	notIdempotentKey = "enginefaults.notIdempotent"
)

const (
	tallyCollection = "order-tallies"
	inboxCollection = "order-tallies-inbox"
)

// register adds the order domain, whose projection jobs feed a tally per
// order (events per type, follow-ups applied), and the fault vocabulary.
func register(s *steps.Suite) {
	reg := s.Registry
	s.Fail(errors.Join(
		given.RegisterEvent[enginetest.OrderCreated](reg, ""),
		given.RegisterEvent[enginetest.ItemAdded](reg, ""),
		given.RegisterEvent[enginetest.OrderSubmitted](reg, ""),
		given.RegisterEvent[enginetest.SubmissionFailed](reg, ""),
		given.RegisterEvent[enginetest.OrderCancelled](reg, ""),
		given.RegisterCommand[enginetest.CreateOrder](reg, ""),
		given.RegisterCommand[enginetest.AddItem](reg, ""),
		given.RegisterCommand[enginetest.SubmitOrder](reg, ""),
		given.RegisterCommand[enginetest.CancelOrder](reg, ""),
	))
	steps.RegisterEngine(s, steps.EngineConfig{
		Setup: func(w *steps.World, e *engine.Engine) error {
			h := tallyHandler(w.Scenario[notIdempotentKey] != true)
			return errors.Join(
				enginetest.Register(e.Registry()),
				e.RegisterJobHandler("projection."+enginetest.SummaryProjection, h),
				e.RegisterJobHandler("projection."+enginetest.FailuresProjection, h),
			)
		},
		Options: func(w *steps.World) []engine.Option {
			plan, ok := w.Scenario[planKey].(engine.FaultPlan)
			if !ok {
				return nil
			}
			seed, _ := w.Scenario[seedKey].(uint64)
			return []engine.Option{engine.WithSeed(seed), engine.WithFaults(plan)}
		},
	})
	s.Given(`^the engine injects faults with seed (\d+):$`, func(ctx context.Context, seed uint64, table *godog.Table) error {
		w := steps.WorldFrom(ctx)
		if _, built := w.Scenario["eventspec.engine"]; built {
			return fmt.Errorf("the fault plan must be given before the engine runs a command")
		}
		var plan engine.FaultPlan
		for i, row := range steps.Rows(table) {
			if len(row) != 2 {
				return fmt.Errorf("fault plan row %d: want | fault | value |, got %d cells", i+1, len(row))
			}
			if row[0] == "fault" {
				continue
			}
			v, err := strconv.ParseFloat(row[1], 64)
			if err != nil {
				return fmt.Errorf("fault plan row %d (%s): %q is not a number", i+1, row[0], row[1])
			}
			switch row[0] {
			case "duplicate delivery":
				plan.Duplicate = v
			case "failed commit":
				plan.FailedCommit = v
			case "crash before done":
				plan.Crash = v
			case "at most":
				plan.MaxFaults = int(v)
			default:
				return fmt.Errorf("fault plan row %d: unknown fault %q (want duplicate delivery, failed commit, crash before done or at most)", i+1, row[0])
			}
		}
		w.Scenario[seedKey], w.Scenario[planKey] = seed, plan
		return nil
	})
	s.Given(`^the order projection is not idempotent$`, func(ctx context.Context) {
		steps.WorldFrom(ctx).Scenario[notIdempotentKey] = true
	})
	s.When(`^the engine settles$`, func(ctx context.Context) error {
		w := steps.WorldFrom(ctx)
		e, err := w.Engine()
		if err != nil {
			return err
		}
		return w.Capture(nil, e.Settle(ctx, time.Hour))
	})
	s.Then(`^the order tally of "([^"]*)" should be '(.*)'$`, func(ctx context.Context, id, want string) error {
		w := steps.WorldFrom(ctx)
		if w.LastErr != nil {
			return fmt.Errorf("the engine failed: %v", w.LastErr)
		}
		st, err := w.Store()
		if err != nil {
			return err
		}
		var got string
		err = st.Atomic(ctx, func(tx store.Tx) error {
			d, err := tx.Documents().Get(ctx, tallyCollection, id)
			got = string(d.Data)
			return err
		})
		if err != nil {
			return err
		}
		if got != want {
			e, _ := w.Engine()
			return fmt.Errorf("tally of %s:\n got %s\nwant %s\n%s", id, got, want, e.FaultReport())
		}
		return nil
	})
	s.Then(`^the engine should have injected:$`, func(ctx context.Context, table *godog.Table) error {
		w := steps.WorldFrom(ctx)
		e, err := w.Engine()
		if err != nil {
			return err
		}
		want := []string{"fault | job kind | attempt"}
		for _, row := range steps.Rows(table)[1:] {
			want = append(want, strings.Join(row, " | "))
		}
		got := []string{"fault | job kind | attempt"}
		for _, f := range e.Faults() {
			got = append(got, fmt.Sprintf("%s | %s | %d", f.Kind, f.JobKind, f.Attempt))
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			return fmt.Errorf("injected faults:\n got %s\nwant %s\n%s", strings.Join(got, "\n     "), strings.Join(want, "\n     "), e.FaultReport())
		}
		return nil
	})
}

// tally is an order's projection document. Its updates commute, so the
// delivery order does not matter; only a redelivery can change it.
type tally struct {
	Events    map[string]int `json:"events"`
	FollowUps int            `json:"followUps"`
}

// tallyHandler projects a follow-up into its order's tally. The idempotent
// variant keeps an inbox: a marker per job id in the same unit of work.
func tallyHandler(idempotent bool) engine.JobHandler {
	return func(ctx context.Context, tx store.Tx, job store.Job) error {
		docs := tx.Documents()
		if idempotent {
			if _, err := docs.Get(ctx, inboxCollection, job.ID); err == nil {
				return nil
			} else if es.CodeOf(err) != es.CodeNotFound {
				return err
			}
			if _, err := docs.Insert(ctx, inboxCollection, job.ID, json.RawMessage(`true`)); err != nil {
				return err
			}
		}
		var f orchestrator.FollowUp
		if err := json.Unmarshal(job.Payload, &f); err != nil {
			return err
		}
		t := tally{Events: map[string]int{}}
		d, err := docs.Get(ctx, tallyCollection, f.Partition.Value)
		if err == nil {
			if err := json.Unmarshal(d.Data, &t); err != nil {
				return err
			}
		} else if es.CodeOf(err) != es.CodeNotFound {
			return err
		}
		for _, et := range f.EventTypes {
			t.Events[et]++
		}
		t.FollowUps++
		raw, err := json.Marshal(t)
		if err != nil {
			return err
		}
		if d.Version == 0 {
			_, err = docs.Insert(ctx, tallyCollection, f.Partition.Value, raw)
		} else {
			_, err = docs.Update(ctx, tallyCollection, f.Partition.Value, d.Version, raw)
		}
		return err
	}
}
