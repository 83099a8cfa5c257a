package store

// FaultInjector is implemented by adapters that claim FaultInjection (such
// as memstore), so tests and the engine can make commits fail on purpose
// without knowing the adapter's type.
type FaultInjector interface {
	// FailNextCommit makes the next unit of work that wrote something and
	// would commit roll back instead; Atomic returns err (es.ErrInjectedFault
	// when err is nil).
	FailNextCommit(err error)
	// FailAfterWrites lets the next n write operations run and fails the one
	// after them with INJECTED_FAULT, writing nothing; then the fault
	// disarms. A negative n disarms it.
	FailAfterWrites(n int)
	// ClearFaults disarms every injected fault.
	ClearFaults()
}
