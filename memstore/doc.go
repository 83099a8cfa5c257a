// Package memstore is eventspec's deterministic in-memory engine: it
// implements every port of package store (the event log with per-stream
// optimistic concurrency, DCB conditions and idempotent appends; documents;
// jobs; the command log) in memory, with no server.
//
// By default it reads time from an es.VirtualClock that starts at
// es.DefaultVirtualStart and moves only when told, and mints sequential
// ids, so the same test produces the same bytes on every run.
//
// Units of work run one at a time (a waiting Atomic honours its context).
// Each keeps an undo log: when its function returns an error or panics,
// every event, document and job it wrote is undone, and global positions
// stay gapless from 1. Idempotency-conflict audits are the one exception:
// they record a rejected attempt and persist, as package store specifies.
//
// For tests the store can inject faults: FailNextCommit rolls back the next
// unit of work that would commit a write, and FailAfterWrites fails a later
// write operation with INJECTED_FAULT.
//
// Bytes are copied on the way in and on the way out, so callers can neither
// corrupt the log nor see each other's buffers.
//
// A store that keeps every event and command in memory would spend much of
// its time in the garbage collector, which scans all of it on every cycle.
// So the event log keeps each event as a fixed-size record without
// pointers, its strings, data and tags copied into large append-only byte
// chunks; command-log records are carved from slabs in the same way.
// Strings read back may point into those chunks, whose bytes are never
// written again once handed out (a rolled-back write's space is reused only
// if nothing of it was read); data slices read back are always fresh
// copies.
package memstore
