// Package pgtest gives tests a fresh PostgreSQL database of their own.
//
// NewDatabase connects to a local PostgreSQL as an administrator, creates
// a database with a random name and drops it when the test ends. The
// administrator's URL is CREDREG_TEST_POSTGRES when set; otherwise the
// first of these that answers:
//
//	postgres://postgres@/postgres?host=/var/run/postgresql   (the socket; peer auth as postgres)
//	postgres://postgres:postgres@127.0.0.1:5432/postgres     (TCP; password "postgres")
//
// When none answers, the test is skipped, except under CI (CI=true),
// where a test that needs a service fails instead.
//
// To get a server on a machine with PostgreSQL 15 installed (as root):
//
//	pg_ctlcluster 15 main start
//	su postgres -c "psql -c \"ALTER USER postgres PASSWORD 'postgres'\""
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvAdminURL names the environment variable that overrides the
// administrator's URL.
const EnvAdminURL = "CREDREG_TEST_POSTGRES"

var candidates = []string{
	"postgres://postgres@/postgres?host=/var/run/postgresql",
	"postgres://postgres:postgres@127.0.0.1:5432/postgres",
}

var (
	adminOnce sync.Once
	adminURL  string
	adminErr  error
)

// admin finds the first administrator URL that connects.
func admin() (string, error) {
	adminOnce.Do(func() {
		urls := candidates
		if u := os.Getenv(EnvAdminURL); u != "" {
			urls = []string{u}
		}
		var errs []error
		for _, u := range urls {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			conn, err := pgx.Connect(ctx, u)
			if err == nil {
				err = conn.Ping(ctx)
				_ = conn.Close(ctx)
			}
			cancel()
			if err == nil {
				adminURL = u
				return
			}
			errs = append(errs, fmt.Errorf("%s: %w", redact(u), err))
		}
		adminErr = fmt.Errorf("no PostgreSQL to test with (set %s to an administrator's URL): %v", EnvAdminURL, errs)
	})
	return adminURL, adminErr
}

func redact(u string) string {
	if p, err := url.Parse(u); err == nil {
		return p.Redacted()
	}
	return "(unparsable URL)"
}

// NewDatabase creates an empty database for t, dropped when t ends, and
// returns its URL. Without a PostgreSQL it skips t (fails it under CI).
func NewDatabase(t testing.TB) string {
	t.Helper()
	au, err := admin()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%v", err)
		}
		t.Skipf("%v", err)
	}
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		t.Fatalf("random database name: %v", err)
	}
	name := "credreg_test_" + hex.EncodeToString(rnd[:])
	ctx := context.Background()
	if err := adminExec(ctx, au, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		if err := adminExec(ctx, au, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	u, err := url.Parse(au)
	if err != nil {
		t.Fatalf("parse %s: %v", redact(au), err)
	}
	u.Path = "/" + name
	return u.String()
}

func adminExec(ctx context.Context, au, sql string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, au)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close(ctx) }()
	_, err = conn.Exec(ctx, sql)
	return err
}

// DatabasePerDir returns a store-URL function for tests written for
// Badger directories: each directory gets a fresh database (NewDatabase)
// on first use, and the same one after, so a test that reopens its store
// reopens its database.
func DatabasePerDir() func(t testing.TB, dir string) string {
	var mu sync.Mutex
	dbs := map[string]string{}
	return func(t testing.TB, dir string) string {
		mu.Lock()
		defer mu.Unlock()
		if _, ok := dbs[dir]; !ok {
			dbs[dir] = NewDatabase(t)
		}
		return dbs[dir]
	}
}
