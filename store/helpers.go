package store

import (
	"context"

	"github.com/eventspec/eventspec/es"
)

// Append runs one append in its own unit of work.
func Append(ctx context.Context, s Store, req es.AppendRequest) (es.AppendResult, error) {
	var res es.AppendResult
	err := s.Atomic(ctx, func(tx Tx) error {
		var err error
		res, err = tx.Events().Append(ctx, req)
		return err
	})
	return res, err
}

// ReadStream reads a stream in its own unit of work.
func ReadStream(ctx context.Context, s Store, stream es.StreamID, opts StreamRead) ([]es.Recorded, error) {
	var out []es.Recorded
	err := s.Atomic(ctx, func(tx Tx) error {
		var err error
		out, err = tx.Events().ReadStream(ctx, stream, opts)
		return err
	})
	return out, err
}

// ReadAll reads one page of the global log in its own unit of work.
func ReadAll(ctx context.Context, s Store, opts LogRead) (LogPage, error) {
	var page LogPage
	err := s.Atomic(ctx, func(tx Tx) error {
		var err error
		page, err = tx.Events().ReadAll(ctx, opts)
		return err
	})
	return page, err
}

// ReadQuery runs a DCB read in its own unit of work.
func ReadQuery(ctx context.Context, s Store, q es.Query, opts QueryRead) (QueryResult, error) {
	var res QueryResult
	err := s.Atomic(ctx, func(tx Tx) error {
		var err error
		res, err = tx.Events().ReadQuery(ctx, q, opts)
		return err
	})
	return res, err
}
