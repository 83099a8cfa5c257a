package pgtest

import (
	"context"
	"fmt"
	"time"

	"github.com/testcontainers/testcontainers-go"
	tcpostgres "github.com/testcontainers/testcontainers-go/modules/postgres"
)

// ContainerImage is the PostgreSQL image pgtest starts when no DSN is set.
const ContainerImage = "postgres:15-alpine"

// dockerTimeout bounds asking the Docker engine whether it is there.
const dockerTimeout = 5 * time.Second

// startContainer starts a PostgreSQL container when a Docker engine
// answers, and returns its DSN. The container lives as long as the
// process (testcontainers' reaper removes it afterwards). Any failure —
// no engine, a panic inside the library, a container that does not
// start — is an error, never a crash.
func startContainer() (dsn string, err error) {
	defer func() {
		if v := recover(); v != nil {
			dsn, err = "", fmt.Errorf("testcontainers panicked: %v", v)
		}
	}()
	pctx, cancel := context.WithTimeout(context.Background(), dockerTimeout)
	defer cancel()
	cli, err := testcontainers.NewDockerClientWithOpts(pctx)
	if err != nil {
		return "", fmt.Errorf("no Docker engine answered: %v", err)
	}
	_ = cli.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ctr, err := tcpostgres.Run(ctx, ContainerImage,
		tcpostgres.WithDatabase("eventspec_test"),
		tcpostgres.BasicWaitStrategies(),
	)
	if err != nil {
		if ctr != nil {
			_ = ctr.Terminate(context.Background())
		}
		return "", fmt.Errorf("starting a %s container: %v", ContainerImage, err)
	}
	dsn, err = ctr.ConnectionString(ctx, "sslmode=disable")
	if err != nil {
		_ = ctr.Terminate(context.Background())
		return "", fmt.Errorf("reading the container's connection string: %v", err)
	}
	return dsn, nil
}
