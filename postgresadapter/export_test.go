package postgresadapter

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/eventspec/eventspec/es"
)

// ReadEventsForTest reads every event of schema through readEvents on conn
// (which may use another query exec mode than the adapter's pool).
func ReadEventsForTest(ctx context.Context, conn *pgx.Conn, schema string) ([]es.Recorded, error) {
	rows, err := conn.Query(ctx, "SELECT "+eventColumns+" FROM "+quoteSchema(schema)+".events e ORDER BY e.position")
	if err != nil {
		return nil, err
	}
	return readEvents(rows, 8)
}

// MigrateToForTest applies the embedded migrations up to version upTo
// (an older build's schema), through the hook migrate uses.
func MigrateToForTest(ctx context.Context, pool *pgxpool.Pool, schema string, upTo int) error {
	return migrateTo(ctx, pool, schema, es.RealClock{}, upTo)
}
