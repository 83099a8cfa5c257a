package store

import "slices"

// Capability is a guarantee an adapter claims. The conformance suite runs
// the cases that need a capability only when the adapter claims it, and
// those cases verify the claim.
type Capability string

// Capabilities an adapter may claim.
const (
	// GaplessPositions: positions are 1, 2, 3, … with no holes, even after
	// rolled-back appends.
	GaplessPositions Capability = "gapless-positions"
	// Persistent: committed data survives reopening the store.
	Persistent Capability = "persistent"
	// ConcurrentProcesses: several processes may share the store (jobs are
	// claimed safely across processes).
	ConcurrentProcesses Capability = "concurrent-processes"
	// InterleavedTransactions: units of work run concurrently rather than
	// one after another, so a transaction can commit while an earlier one
	// is still open (the late-committer case).
	InterleavedTransactions Capability = "interleaved-transactions"
	// FaultInjection: the adapter can be told to fail commits (memstore).
	FaultInjection Capability = "fault-injection"
)

// Capabilities is the set an adapter claims.
type Capabilities []Capability

// Has reports whether c is claimed.
func (cs Capabilities) Has(c Capability) bool { return slices.Contains(cs, c) }
