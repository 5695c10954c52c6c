package registry

import (
	"context"
	"testing"

	"credreg/registry/internal/pgtest"
)

// TestPostgresBackendContract runs the store contract suite on PostgreSQL
// (a fresh database per subtest; skipped without a PostgreSQL, failed
// under CI).
func TestPostgresBackendContract(t *testing.T) {
	testBackendContract(t, func(t *testing.T) (Backend, func() Backend) {
		dsn := pgtest.NewDatabase(t)
		open := func() Backend {
			be, err := openPGBackend(context.Background(), dsn, nil)
			if err != nil {
				t.Fatalf("open postgres backend: %v", err)
			}
			return be
		}
		be := open()
		cur := be
		t.Cleanup(func() { cur.Close() })
		return be, func() Backend {
			if err := cur.Close(); err != nil {
				t.Fatalf("close: %v", err)
			}
			cur = open()
			return cur
		}
	})
}
