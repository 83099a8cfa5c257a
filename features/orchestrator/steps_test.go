package orchestrator_test

import (
	"embed"
	"testing"

	"github.com/eventspec/eventspec/engine/enginetest"
	"github.com/eventspec/eventspec/features/internal/backends"
	"github.com/eventspec/eventspec/steps"
)

//go:embed *.feature
var specs embed.FS

func TestFeatures(t *testing.T) {
	backends.Run(t, steps.Options{Features: specs, Register: enginetest.RegisterSteps})
}
