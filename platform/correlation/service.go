package correlation

import (
	"context"
	"time"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/platform/commandbus"
)

// Recorder is where command→event correlations live; *commandbus.Bus
// implements it.
type Recorder interface {
	RecordEventCorrelation(ctx context.Context, r commandbus.CorrelationRequest) error
	EventsByCommand(ctx context.Context, commandID string) (*commandbus.Correlation, error)
	CorrelationsByContext(ctx context.Context, bc string, limit int, after *time.Time) ([]commandbus.Correlation, error)
}

// Service records and reads which events each command produced
// (CorrelationService).
type Service struct {
	r Recorder
}

// NewService returns a service over r.
func NewService(r Recorder) *Service { return &Service{r: r} }

// Record records that a command produced events; recording the same
// command again merges the event ids (no duplicates, order kept). It
// returns true once recorded.
func (s *Service) Record(ctx context.Context, req commandbus.CorrelationRequest) (bool, error) {
	if err := s.r.RecordEventCorrelation(ctx, req); err != nil {
		return false, err
	}
	return true, nil
}

// EventsByCommand returns the command's correlation record, or nil.
func (s *Service) EventsByCommand(ctx context.Context, commandID string) (*commandbus.Correlation, error) {
	return s.r.EventsByCommand(ctx, commandID)
}

// HasCorrelation reports whether the command has a record with at least
// one event id.
func (s *Service) HasCorrelation(ctx context.Context, commandID string) (bool, error) {
	n, err := s.EventCount(ctx, commandID)
	return n > 0, err
}

// EventCount returns how many events the command produced (0 when it has
// no record).
func (s *Service) EventCount(ctx context.Context, commandID string) (int, error) {
	c, err := s.r.EventsByCommand(ctx, commandID)
	if err != nil || c == nil {
		return 0, err
	}
	return len(c.EventIDs), nil
}

// ContextQuery selects a bounded context's correlation records.
type ContextQuery struct {
	BoundedContext string
	// Limit caps the records (0: the bus default).
	Limit int
	// After, when set, returns only records created after it.
	After *time.Time
}

// ByContext lists a bounded context's correlation records in creation
// order. An empty bounded context is INVALID_ARGUMENT "boundedContext is
// required for getCorrelationsByContext".
func (s *Service) ByContext(ctx context.Context, q ContextQuery) ([]commandbus.Correlation, error) {
	if q.BoundedContext == "" {
		return nil, es.Errorf(es.CodeInvalidArgument, "boundedContext is required for getCorrelationsByContext")
	}
	return s.r.CorrelationsByContext(ctx, q.BoundedContext, q.Limit, q.After)
}
