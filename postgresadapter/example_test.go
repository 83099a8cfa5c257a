package postgresadapter_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/postgresadapter"
	"github.com/eventspec/eventspec/store"
)

// Open a store on a pool, append to a stream with an expected version and
// a document in the same unit of work, then read the stream back. (Not run
// by go test: it needs a database.)
func ExampleOpen() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("EVENTSPEC_PG_DSN"))
	if err != nil {
		fmt.Println(postgresadapter.Redact(err, postgresadapter.DSNPassword(os.Getenv("EVENTSPEC_PG_DSN"))))
		return
	}
	defer pool.Close()
	s, err := postgresadapter.Open(ctx, pool, postgresadapter.Options{Schema: "shop"})
	if err != nil {
		fmt.Println(err)
		return
	}
	err = s.Atomic(ctx, func(tx store.Tx) error {
		placed := es.MustEvent("OrderPlaced", map[string]int{"total": 1999}, "order:42")
		if _, err := tx.Events().Append(ctx, es.AppendRequest{Stream: "order-42", Expected: es.NoStream, Events: []es.Event{placed}}); err != nil {
			return err
		}
		_, err := tx.Documents().Insert(ctx, "orders", "42", json.RawMessage(`{"status":"placed"}`))
		return err
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	events, err := store.ReadStream(ctx, s, "order-42", store.StreamRead{})
	fmt.Println(len(events), err)
}

// RedactDSN hides the password of a connection string before it is
// printed.
func ExampleRedactDSN() {
	fmt.Println(postgresadapter.RedactDSN("postgres://app:s3cret@db.internal:5432/shop?sslmode=require"))
	fmt.Println(postgresadapter.RedactDSN("host=db.internal user=app password=s3cret dbname=shop"))
	// Output:
	// postgres://app:xxxxx@db.internal:5432/shop?sslmode=require
	// host=db.internal user=app password=xxxxx dbname=shop
}
