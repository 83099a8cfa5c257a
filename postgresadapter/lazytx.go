package postgresadapter

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// beginSQL opens a unit of work's transaction.
const beginSQL = "BEGIN ISOLATION LEVEL READ COMMITTED"

// lazyTx is a transaction on a pooled connection that is opened by the
// unit of work's first write: BEGIN and that statement travel in one
// pipelined batch, saving a round trip. Reads before the first write run
// on the connection outside a transaction — at READ COMMITTED every
// statement takes a fresh snapshot either way, so they see exactly what
// they would see inside one — and a unit that only reads never opens a
// transaction, so it needs no COMMIT either.
type lazyTx struct {
	conn  *pgxpool.Conn
	begun bool
}

// errCommitRolledBack is returned when COMMIT found the transaction already
// aborted (PostgreSQL answers ROLLBACK).
var errCommitRolledBack = errors.New("the transaction was rolled back by the server")

// first sends BEGIN and sql as one batch and returns the results, with
// BEGIN's already read.
func (l *lazyTx) first(ctx context.Context, sql string, args []any) (pgx.BatchResults, error) {
	b := &pgx.Batch{}
	b.Queue(beginSQL)
	b.Queue(sql, args...)
	br := l.conn.SendBatch(ctx, b)
	if _, err := br.Exec(); err != nil {
		_ = br.Close()
		return nil, err
	}
	l.begun = true
	return br, nil
}

// Exec runs sql in the transaction.
func (l *lazyTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if l.begun {
		return l.conn.Exec(ctx, sql, args...)
	}
	br, err := l.first(ctx, sql, args)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return tag, err
}

// Query runs sql in the transaction.
func (l *lazyTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if l.begun {
		return l.conn.Query(ctx, sql, args...)
	}
	br, err := l.first(ctx, sql, args)
	if err != nil {
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		_ = br.Close()
		return nil, err
	}
	return &batchRows{Rows: rows, br: br}, nil
}

// ReadQuery runs a read: in the transaction once one is open, else on
// its own.
func (l *lazyTx) ReadQuery(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return l.conn.Query(ctx, sql, args...)
}

// ReadQueryRow is ReadQuery's first row.
func (l *lazyTx) ReadQueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return l.conn.QueryRow(ctx, sql, args...)
}

// ReadAfter runs the statement pre, then the read sql, pipelined in one
// batch (one round trip); the read's snapshot is taken after pre ran.
// Outside a transaction the batch is one implicit transaction, so what
// pre stores with set_config(..., true) is visible to sql.
func (l *lazyTx) ReadAfter(ctx context.Context, pre string, preArgs []any, sql string, args ...any) (pgx.Rows, error) {
	b := &pgx.Batch{}
	b.Queue(pre, preArgs...)
	b.Queue(sql, args...)
	br := l.conn.SendBatch(ctx, b)
	if _, err := br.Exec(); err != nil {
		_ = br.Close()
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		_ = br.Close()
		return nil, err
	}
	return &batchRows{Rows: rows, br: br}, nil
}

// QueryRow runs sql in the transaction and returns its first row.
func (l *lazyTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	rows, err := l.Query(ctx, sql, args...)
	return &firstRow{rows: rows, err: err}
}

// Commit commits the transaction, if one was opened.
func (l *lazyTx) Commit(ctx context.Context) error {
	if !l.begun {
		return nil
	}
	tag, err := l.conn.Exec(ctx, "COMMIT")
	if err != nil {
		return err
	}
	if tag.String() == "ROLLBACK" {
		return errCommitRolledBack
	}
	l.begun = false
	return nil
}

// Rollback rolls the transaction back, if one was opened.
func (l *lazyTx) Rollback(ctx context.Context) error {
	if !l.begun {
		return nil
	}
	_, err := l.conn.Exec(ctx, "ROLLBACK")
	if err == nil {
		l.begun = false
	}
	return err
}

// batchRows are the rows of a batch's last statement; closing them closes
// the batch.
type batchRows struct {
	pgx.Rows
	br     pgx.BatchResults
	closed bool
	err    error
}

func (r *batchRows) Close() {
	if r.closed {
		return
	}
	r.closed = true
	r.Rows.Close()
	r.err = r.br.Close()
}

func (r *batchRows) Next() bool {
	if r.Rows.Next() {
		return true
	}
	r.Close()
	return false
}

func (r *batchRows) Err() error {
	if err := r.Rows.Err(); err != nil {
		return err
	}
	return r.err
}

// firstRow is pgx.Row over rows: Scan reads the first row, or returns
// pgx.ErrNoRows.
type firstRow struct {
	rows pgx.Rows
	err  error
}

func (r *firstRow) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return pgx.ErrNoRows
	}
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	r.rows.Close()
	return r.rows.Err()
}
