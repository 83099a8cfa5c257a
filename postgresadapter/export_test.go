package postgresadapter

import (
	"context"

	"github.com/jackc/pgx/v5"

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
