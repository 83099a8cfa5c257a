package steps

import (
	"context"
	"strconv"
	"strings"
	"sync"

	"github.com/cucumber/godog"

	"github.com/eventspec/eventspec/platform/correlation"
	"github.com/eventspec/eventspec/platform/event"
	"github.com/eventspec/eventspec/store"
)

// busKey keys the scenario's event-bus recorder in World.Scenario.
const busKey = "eventspec.engine.bus"

// busRecorder is the event bus every scenario engine is wired with: it
// records what the orchestrator publishes, in order. Commands may run
// concurrently, hence the lock.
type busRecorder struct {
	mu   sync.Mutex
	seen []event.Published
}

// Publish records ev.
func (b *busRecorder) Publish(ctx context.Context, tx store.Tx, ev event.Published, chain correlation.Chain) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.seen = append(b.seen, ev)
	return nil
}

// published returns what was published by units of work that committed:
// a publish whose event is not in st's log at its position was rolled
// back with its command (a real bus's jobs would be too).
func (b *busRecorder) published(ctx context.Context, st store.Store) ([]event.Published, error) {
	b.mu.Lock()
	seen := append([]event.Published(nil), b.seen...)
	b.mu.Unlock()
	var out []event.Published
	err := st.Atomic(ctx, func(tx store.Tx) error {
		out = out[:0]
		for _, p := range seen {
			if p.GlobalPosition < 1 {
				continue
			}
			page, err := tx.Events().ReadAll(ctx, store.LogRead{After: p.GlobalPosition - 1, Limit: 1})
			if err != nil {
				return err
			}
			if len(page.Events) == 1 && page.Events[0].Position == p.GlobalPosition && page.Events[0].Metadata.EventID == p.EventID {
				out = append(out, p)
			}
		}
		return nil
	})
	return out, err
}

// bus returns the scenario's event-bus recorder.
func (w *World) bus() *busRecorder {
	if b, ok := w.Scenario[busKey].(*busRecorder); ok {
		return b
	}
	b := &busRecorder{}
	w.Scenario[busKey] = b
	return b
}

// publishedOnBus returns what the scenario's engine published and kept.
func (w *World) publishedOnBus(ctx context.Context) ([]event.Published, error) {
	e, err := w.Engine()
	if err != nil {
		return nil, err
	}
	return w.bus().published(ctx, e.Store())
}

// publishedField returns the value of column col of a published event, as
// a table shows it.
func publishedField(p event.Published, col string) (string, bool) {
	switch col {
	case "type", "eventType":
		return p.EventType, true
	case "streamType":
		return p.StreamType, true
	case "streamId":
		return p.StreamID, true
	case "category":
		return string(p.Category), true
	case "schemaVersion":
		return strconv.Itoa(p.SchemaVersion), true
	case "boundedContext":
		return p.BoundedContext, true
	case "globalPosition":
		return strconv.FormatInt(int64(p.GlobalPosition), 10), true
	case "correlationId":
		return p.Correlation.CorrelationID, true
	case "causationId":
		return p.Correlation.CausationID, true
	case "userId":
		return p.Correlation.UserID, true
	}
	return "", false
}

// publishedColumns lists the columns publishedField knows.
const publishedColumns = "type, streamType, streamId, category, schemaVersion, boundedContext, globalPosition, correlationId, causationId, userId"

// registerBusSteps adds the event-bus steps of the engine vocabulary.
func registerBusSteps(s *Suite) {
	s.Then(`^the event bus should have published:$`, func(ctx context.Context, t *godog.Table) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		rows := Rows(t)
		if len(rows) == 0 {
			return failf("the table needs a header row (%s)", publishedColumns)
		}
		header := rows[0]
		for _, col := range header {
			if _, ok := publishedField(event.Published{}, col); !ok {
				return failf("unknown column %q; the columns are %s", col, publishedColumns)
			}
		}
		got, err := w.publishedOnBus(ctx)
		if err != nil {
			return err
		}
		show := func(p event.Published) string {
			vals := make([]string, len(header))
			for i, col := range header {
				vals[i], _ = publishedField(p, col)
			}
			return "| " + strings.Join(vals, " | ") + " |"
		}
		var lines []string
		for _, p := range got {
			lines = append(lines, show(p))
		}
		want := rows[1:]
		mismatch := len(got) != len(want)
		for i := 0; !mismatch && i < len(want); i++ {
			for j, col := range header {
				if v, _ := publishedField(got[i], col); v != want[i][j] {
					mismatch = true
					break
				}
			}
		}
		if mismatch {
			head := "| " + strings.Join(header, " | ") + " |"
			wantLines := make([]string, len(want))
			for i, r := range want {
				wantLines[i] = "| " + strings.Join(r, " | ") + " |"
			}
			return failf("expected the event bus to have published %d event(s):\n%s\n%s\nit received %d:\n%s\n%s",
				len(want), head, strings.Join(wantLines, "\n"), len(got), head, strings.Join(lines, "\n"))
		}
		return nil
	})
	s.Then(`^the event bus should have published nothing$`, func(ctx context.Context) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		got, err := w.publishedOnBus(ctx)
		if err != nil {
			return err
		}
		if len(got) > 0 {
			names := make([]string, len(got))
			for i, p := range got {
				names[i] = p.EventType
			}
			return failf("expected nothing published on the event bus, got %s", strings.Join(names, ", "))
		}
		return nil
	})
}
