package pgtest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestSchemaNameIsDeterministicUniqueAndShort(t *testing.T) {
	a := SchemaName(123, 1, "TestX/sub")
	if a != SchemaName(123, 1, "TestX/sub") {
		t.Fatalf("SchemaName is not deterministic")
	}
	if a == SchemaName(123, 2, "TestX/sub") || a == SchemaName(124, 1, "TestX/sub") || a == SchemaName(123, 1, "TestY/sub") {
		t.Fatalf("SchemaName does not tell pid, counter and test apart")
	}
	if long := SchemaName(1<<31-1, 1<<63, strings.Repeat("x", 1000)); len(long) > 63 {
		t.Fatalf("SchemaName is %d bytes: %s", len(long), long)
	}
	if a != "es_t123_1_"+fmt.Sprintf("%08x", hashName("TestX/sub")) {
		t.Fatalf("SchemaName = %s", a)
	}
}

func hashName(s string) uint32 {
	// FNV-1a, as SchemaName uses.
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

// recorder is a TB that records how the test was stopped.
type recorder struct {
	skipped, fatal string
}

func (r *recorder) Helper()                   {}
func (r *recorder) Name() string              { return "TestFake" }
func (r *recorder) Logf(string, ...any)       {}
func (r *recorder) Errorf(string, ...any)     {}
func (r *recorder) Fatalf(f string, a ...any) { r.fatal = fmt.Sprintf(f, a...) }
func (r *recorder) Skipf(f string, a ...any)  { r.skipped = fmt.Sprintf(f, a...) }
func (r *recorder) Cleanup(func())            {}

func TestUnavailableSkipsLoudlyOrFailsWhenRequired(t *testing.T) {
	why := errors.New("EVENTSPEC_PG_DSN is not set and no Docker engine answered")
	var r recorder
	unavailable(&r, why, false)
	if r.fatal != "" || !strings.Contains(r.skipped, "SKIPPING PostgreSQL test TestFake") || !strings.Contains(r.skipped, why.Error()) || !strings.Contains(r.skipped, EnvRequire+"=1") {
		t.Fatalf("not required: skipped %q, fatal %q", r.skipped, r.fatal)
	}
	r = recorder{}
	unavailable(&r, why, true)
	if r.skipped != "" || !strings.Contains(r.fatal, "required") || !strings.Contains(r.fatal, why.Error()) {
		t.Fatalf("required: skipped %q, fatal %q", r.skipped, r.fatal)
	}
}

func TestOpenServerRedactsThePassword(t *testing.T) {
	s := openServer("postgres://bob:hunter2@127.0.0.1:1/nowhere?connect_timeout=1", "a test")
	if s.err == nil {
		t.Fatalf("connecting to port 1 succeeded")
	}
	if strings.Contains(s.err.Error(), "hunter2") || !strings.Contains(s.err.Error(), "xxxxx") {
		t.Fatalf("error shows the password or not the redacted DSN: %v", s.err)
	}
}

func schemaExists(t *testing.T, db *DB, name string) bool {
	t.Helper()
	var ok bool
	if err := db.Pool.QueryRow(context.Background(), `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, name).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

func TestNewGivesAFreshSchemaDroppedAfterTheTest(t *testing.T) {
	var inner *DB
	t.Run("inner", func(t *testing.T) {
		inner = New(t)
		if !schemaExists(t, inner, inner.Schema) {
			t.Fatalf("schema %s does not exist during the test", inner.Schema)
		}
		var tables int
		if err := inner.Pool.QueryRow(context.Background(), `SELECT count(*) FROM pg_tables WHERE schemaname = $1`, inner.Schema).Scan(&tables); err != nil || tables != 0 {
			t.Fatalf("fresh schema has %d tables (%v)", tables, err)
		}
		if strings.Contains(inner.RedactedDSN(), "hunter2") {
			t.Fatal("redacted DSN shows a password")
		}
	})
	if inner == nil {
		t.Skip("inner test skipped: no PostgreSQL")
	}
	if schemaExists(t, inner, inner.Schema) {
		t.Fatalf("schema %s still exists after its test", inner.Schema)
	}
	other := New(t)
	if other.Schema == inner.Schema {
		t.Fatalf("two tests got the same schema %s", other.Schema)
	}
}
