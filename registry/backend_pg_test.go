package registry

import (
	"context"
	"io"
	"net/url"
	"strings"
	"testing"
	"time"

	"credreg/internal/pgtest"
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

// TestPostgresStore runs store tests written for Badger on a store opened
// by a postgres:// URL (openStore's testStoreURL; a database per store
// directory, so a test that reopens its store reopens its database).
func TestPostgresStore(t *testing.T) {
	pgtest.NewDatabase(t) // skips (fails under CI) without a PostgreSQL
	saved := testStoreURL
	testStoreURL = pgtest.DatabasePerDir()
	t.Cleanup(func() { testStoreURL = saved })
	for _, tc := range []struct {
		name string
		run  func(*testing.T)
	}{
		{"PutGetRoundTrip", TestPutGetRoundTrip},
		{"ReplaceRemovesOldStatements", TestReplaceRemovesOldStatements},
		{"UnchangedRecordWritesNothing", TestUnchangedRecordWritesNothing},
		{"CloseAndReopenLosesNothing", TestCloseAndReopenLosesNothing},
		{"InvalidBatchWritesNothing", TestInvalidBatchWritesNothing},
		{"Retire", TestRetire},
		{"DocumentRendersAndCaches", TestDocumentRendersAndCaches},
		{"MergeAddsToAStoredRecord", TestMergeAddsToAStoredRecord},
		{"ConcurrentReadsAndWrites", TestConcurrentReadsAndWrites},
		{"CancelledViewIsNotCached", TestCancelledViewIsNotCached},
		{"Tokens", TestTokens},
		{"History", TestHistory},
		{"PublishedLeavesOutBookkeeping", TestPublishedLeavesOutBookkeeping},
	} {
		t.Run(tc.name, tc.run)
	}
}

// TestOpenPostgresURL: both URL schemes open the store; a failing open
// names the store without its password; backup refuses it.
func TestOpenPostgresURL(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	alt := "postgresql" + strings.TrimPrefix(dsn, "postgres")
	for _, u := range []string{dsn, alt} {
		s, err := Open(context.Background(), u, Options{Base: testBaseIRI(t)})
		if err != nil {
			t.Fatalf("Open %s: %v", RedactStoreURL(u), err)
		}
		if s.exclusive {
			t.Errorf("a PostgreSQL store is exclusive")
		}
		if _, err := s.Backup(context.Background(), io.Discard); err == nil || !strings.Contains(err.Error(), "pg_dump") {
			t.Errorf("Backup of a PostgreSQL store = %v, want a refusal naming pg_dump", err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword("credreg-no-such-user", "s3cret-pw")
	_, err = Open(context.Background(), u.String(), Options{Base: testBaseIRI(t)})
	if err == nil {
		t.Fatal("Open with a wrong user succeeded")
	}
	if strings.Contains(err.Error(), "s3cret-pw") {
		t.Errorf("the error shows the password: %v", err)
	}
}

// TestSeveralStoresOnPostgres: several stores (as several servers) over
// one PostgreSQL database, each with its own connection pool.
func TestSeveralStoresOnPostgres(t *testing.T) {
	pgtest.NewDatabase(t) // skips (fails under CI) without a PostgreSQL
	testSeveralWriters(t, func(t *testing.T) Backend {
		be, err := openPGBackend(context.Background(), pgtest.NewDatabase(t), nil)
		if err != nil {
			t.Fatalf("open postgres backend: %v", err)
		}
		t.Cleanup(func() { be.Close() })
		return be
	})
}

// TestCopyThroughPostgres: Badger → PostgreSQL → Badger keeps every
// statement and every token, and runs again safely.
func TestCopyThroughPostgres(t *testing.T) {
	ctx := context.Background()
	from := copySource(t)
	pg := pgtest.NewDatabase(t)
	back := "badger://" + t.TempDir()
	for _, hop := range [][2]string{{from, pg}, {pg, back}} {
		info, err := Copy(ctx, hop[0], hop[1], CopyOptions{})
		if err != nil {
			t.Fatalf("copy %s → %s: %v", RedactStoreURL(hop[0]), RedactStoreURL(hop[1]), err)
		}
		if info.Written != info.Statements || info.Sequence != 5 || info.Tokens != 2 || info.TokensWritten != 2 {
			t.Errorf("copy %s → %s: %+v", RedactStoreURL(hop[0]), RedactStoreURL(hop[1]), info)
		}
		if again, err := Copy(ctx, hop[0], hop[1], CopyOptions{}); err != nil || again.Written != 0 || again.TokensWritten != 0 {
			t.Errorf("second copy %s → %s: %+v, %v", RedactStoreURL(hop[0]), RedactStoreURL(hop[1]), again, err)
		}
	}
	sameKeys(t, "Badger → PostgreSQL → Badger", allStatements(t, back), allStatements(t, from))
	sameKeys(t, "on PostgreSQL", allStatements(t, pg), allStatements(t, from))
	sameTokens(t, "tokens Badger → PostgreSQL → Badger", allTokens(t, back), allTokens(t, from))
	sameTokens(t, "tokens on PostgreSQL", allTokens(t, pg), allTokens(t, from))
}

// TestPostgresAnnouncesCommits: a store that does not poll (FollowEvery of
// an hour) still follows another server's write within a second, through
// LISTEN/NOTIFY.
func TestPostgresAnnouncesCommits(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	open := func() *Store {
		s, err := Open(context.Background(), dsn, Options{Base: testBaseIRI(t), FollowEvery: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	a, b := open(), open()
	time.Sleep(100 * time.Millisecond) // b's LISTEN is in place
	for i, rec := range sampleRecords(t) {
		start := time.Now()
		if _, err := a.Put(context.Background(), "a", rec); err != nil {
			t.Fatal(err)
		}
		for b.Sequence() != a.Sequence() {
			if time.Since(start) > time.Second {
				t.Fatalf("write %d: b's head is %d a second after a wrote %d", i, b.Sequence(), a.Sequence())
			}
			time.Sleep(2 * time.Millisecond)
		}
		t.Logf("write %d followed by the other store after %v", i, time.Since(start))
	}
}
