// Package es is the core vocabulary of eventspec: events and recorded events,
// stream ids, versions and global positions, expected versions, Dynamic
// Consistency Boundary (DCB) queries and append conditions, append requests
// and results, typed errors with stable codes, and the injected Clock and IDs.
//
// The package has no dependencies beyond the standard library and performs no
// I/O. Every store adapter (memstore, postgresadapter, third-party ones) and
// every platform pattern speaks in these types.
//
// Semantics (see DESIGN.md):
//
//   - Global positions are int64, unique and strictly increasing in commit
//     order, starting at 1. Readers use an exclusive "after" cursor.
//   - Stream versions start at 1; a missing stream has version 0.
//   - An append is atomic, never empty and holds at most MaxEventsPerAppend
//     events; each event's data and metadata are at most MaxPayloadBytes.
//   - A DCB AppendCondition rejects an append iff some stored event matches
//     FailIfEventsMatch at a position greater than After (any position when
//     After is nil).
package es
