package features_test

import (
	"embed"
	"testing"

	"github.com/eventspec/eventspec/features/internal/backends"
	"github.com/eventspec/eventspec/features/internal/orders"
	"github.com/eventspec/eventspec/steps"
)

//go:embed decider handler fsm invariant
var specs embed.FS

func TestFeatures(t *testing.T) {
	backends.Run(t, steps.Options{Features: specs, Register: orders.Register})
}
