package badgerkv_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/stretchr/testify/require"

	"credreg/registry/internal/badgerkv"
	"github.com/hidal-go/hidalgo/kv/flat"
)

func put(t *testing.T, db flat.KV, pairs ...string) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, db.Update(ctx, func(tx flat.Tx) error {
		for i := 0; i+1 < len(pairs); i += 2 {
			if err := tx.Put(ctx, flat.Key(pairs[i]), flat.Value(pairs[i+1])); err != nil {
				return err
			}
		}
		return nil
	}))
}

func TestGet(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	put(t, db, "a", "1", "empty", "")

	tx, err := db.Tx(ctx, false)
	require.NoError(t, err)
	defer tx.Close()

	for _, c := range []struct {
		name string
		key  flat.Key
		want flat.Value
		err  error
	}{
		{name: "existing", key: flat.Key("a"), want: flat.Value("1")},
		{name: "empty value is not missing", key: flat.Key("empty"), want: flat.Value{}},
		{name: "missing", key: flat.Key("b"), err: flat.ErrNotFound},
		{name: "nil key", key: nil, err: flat.ErrNotFound},
		{name: "empty key", key: flat.Key{}, err: flat.ErrNotFound},
	} {
		t.Run(c.name, func(t *testing.T) {
			v, err := tx.Get(ctx, c.key)
			if c.err != nil {
				require.Equal(t, c.err, err) // compared with == by callers
				require.Nil(t, v)
				return
			}
			require.NoError(t, err)
			require.NotNil(t, v)
			require.Equal(t, c.want, v)
		})
	}

	t.Run("batch", func(t *testing.T) {
		vals, err := tx.GetBatch(ctx, []flat.Key{flat.Key("a"), flat.Key("b"), flat.Key("empty"), nil})
		require.NoError(t, err)
		require.Equal(t, []flat.Value{flat.Value("1"), nil, flat.Value{}, nil}, vals)
		require.NotNil(t, vals[2], "an existing empty value must not look missing")
	})
}

func TestPutCopiesBuffers(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	k, v := []byte("key"), []byte("value")
	require.NoError(t, db.Update(ctx, func(tx flat.Tx) error {
		if err := tx.Put(ctx, k, v); err != nil {
			return err
		}
		copy(k, "KEY")
		copy(v, "VALUE")
		return nil
	}))
	require.NoError(t, db.View(ctx, func(tx flat.Tx) error {
		got, err := tx.Get(ctx, flat.Key("key"))
		require.NoError(t, err)
		require.Equal(t, flat.Value("value"), got)
		return nil
	}))
}

func TestReadOnlyTx(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	put(t, db, "a", "1")
	tx, err := db.Tx(ctx, false)
	require.NoError(t, err)
	require.Equal(t, flat.ErrReadOnly, tx.Put(ctx, flat.Key("a"), flat.Value("2")))
	require.Equal(t, flat.ErrReadOnly, tx.Put(ctx, flat.Key("new"), flat.Value("2")))
	require.Equal(t, flat.ErrReadOnly, tx.Del(ctx, flat.Key("a")))
	require.Equal(t, flat.ErrReadOnly, tx.Del(ctx, flat.Key("missing")))
	require.NoError(t, tx.Commit(ctx), "committing a read-only transaction ends it")
	require.NoError(t, tx.Close(), "Close after Commit")
}

func TestTxLifecycle(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)

	tx, err := db.Tx(ctx, true)
	require.NoError(t, err)
	require.NoError(t, tx.Put(ctx, flat.Key("a"), flat.Value("1")))
	require.NoError(t, tx.Close())
	require.NoError(t, tx.Close(), "double Close")
	err = tx.Commit(ctx)
	require.ErrorIs(t, err, badger.ErrDiscardedTxn, "Commit after Close")
	_, err = tx.Get(ctx, flat.Key("a"))
	require.ErrorIs(t, err, badger.ErrDiscardedTxn)
	require.ErrorIs(t, tx.Put(ctx, flat.Key("a"), nil), badger.ErrDiscardedTxn)

	require.NoError(t, db.View(ctx, func(tx flat.Tx) error {
		_, err := tx.Get(ctx, flat.Key("a"))
		require.Equal(t, flat.ErrNotFound, err, "Close must discard the writes")
		return nil
	}))

	t.Run("cancelled context", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		tx, err := db.Tx(cctx, true)
		require.NoError(t, err)
		require.NoError(t, tx.Put(cctx, flat.Key("c"), flat.Value("1")))
		cancel()
		require.ErrorIs(t, tx.Commit(cctx), context.Canceled)
		require.NoError(t, tx.Close())
		_, err = db.Tx(cctx, false)
		require.ErrorIs(t, err, context.Canceled)
		require.NoError(t, db.View(ctx, func(tx flat.Tx) error {
			_, err := tx.Get(ctx, flat.Key("c"))
			require.Equal(t, flat.ErrNotFound, err, "a cancelled commit must not apply")
			return nil
		}))
	})

	t.Run("delete", func(t *testing.T) {
		put(t, db, "d", "1")
		require.NoError(t, db.Update(ctx, func(tx flat.Tx) error {
			require.NoError(t, tx.Del(ctx, flat.Key("d")))
			require.NoError(t, tx.Del(ctx, flat.Key("never-written")))
			require.NoError(t, tx.Del(ctx, nil), "an empty key cannot exist")
			_, err := tx.Get(ctx, flat.Key("d"))
			require.Equal(t, flat.ErrNotFound, err)
			return nil
		}))
	})

	t.Run("empty key put", func(t *testing.T) {
		err := db.Update(ctx, func(tx flat.Tx) error {
			return tx.Put(ctx, nil, flat.Value("x"))
		})
		require.ErrorIs(t, err, badger.ErrEmptyKey)
	})
}

func TestConflict(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	put(t, db, "n", "0")

	tx1, err := db.Tx(ctx, true)
	require.NoError(t, err)
	defer tx1.Close()
	tx2, err := db.Tx(ctx, true)
	require.NoError(t, err)
	defer tx2.Close()

	for _, tx := range []flat.Tx{tx1, tx2} {
		_, err := tx.Get(ctx, flat.Key("n"))
		require.NoError(t, err)
		require.NoError(t, tx.Put(ctx, flat.Key("n"), flat.Value("1")))
	}
	require.NoError(t, tx1.Commit(ctx))
	err = tx2.Commit(ctx)
	require.Equal(t, flat.ErrConflict, err, "must be flat.ErrConflict itself: flat.Update compares with ==")

	// flat.Update retries fn on conflicts.
	calls := 0
	tx3, err := db.Tx(ctx, true)
	require.NoError(t, err)
	defer tx3.Close()
	_, err = tx3.Get(ctx, flat.Key("n"))
	require.NoError(t, err)
	require.NoError(t, db.Update(ctx, func(tx flat.Tx) error {
		calls++
		if _, err := tx.Get(ctx, flat.Key("n")); err != nil {
			return err
		}
		if calls == 1 {
			// A concurrent writer commits between our read and commit.
			require.NoError(t, tx3.Put(ctx, flat.Key("n"), flat.Value("2")))
			require.NoError(t, tx3.Commit(ctx))
		}
		return tx.Put(ctx, flat.Key("n"), flat.Value("3"))
	}))
	require.Equal(t, 2, calls)
}

func TestTxnTooBig(t *testing.T) {
	ctx := context.Background()
	opts := testOptions(t.TempDir())
	opts.MemTableSize = 1 << 20 // transactions hold about 157 KB
	db, err := badgerkv.Open(opts)
	require.NoError(t, err)
	defer db.Close()

	val := bytes.Repeat([]byte("v"), 1000)
	tx, err := db.Tx(ctx, true)
	require.NoError(t, err)
	defer tx.Close()
	var (
		n      int
		putErr error
	)
	for n = 0; n < 10000; n++ {
		if putErr = tx.Put(ctx, flat.Key(keyN(n)), val); putErr != nil {
			break
		}
	}
	require.Error(t, putErr, "a 10 MB transaction must not fit")
	require.ErrorIs(t, putErr, badger.ErrTxnTooBig)
	require.Contains(t, putErr.Error(), "transaction too big")
	require.Contains(t, putErr.Error(), "commit it and continue in a new transaction")
	require.Greater(t, n, 10)

	// The transaction is still usable: commit what fitted and go on.
	require.NoError(t, tx.Commit(ctx))
	require.NoError(t, db.View(ctx, func(tx flat.Tx) error {
		got, err := tx.Get(ctx, flat.Key(keyN(n-1)))
		require.NoError(t, err)
		require.Equal(t, flat.Value(val), got)
		_, err = tx.Get(ctx, flat.Key(keyN(n)))
		require.Equal(t, flat.ErrNotFound, err)
		return nil
	}))

	// Through flat.Update the error reaches the caller unchanged.
	err = db.Update(ctx, func(tx flat.Tx) error {
		for i := 0; i < 10000; i++ {
			if err := tx.Put(ctx, flat.Key(keyN(i)), val); err != nil {
				return err
			}
		}
		return nil
	})
	require.ErrorIs(t, err, badger.ErrTxnTooBig)
}

func keyN(n int) string {
	return fmt.Sprintf("k%06d", n)
}

func TestReadOnlyStore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := badgerkv.Open(testOptions(dir))
	require.NoError(t, err)
	put(t, db, "a", "1")
	require.NoError(t, db.Close())

	opts := testOptions(dir)
	opts.ReadOnly = true
	ro1, err := badgerkv.Open(opts)
	require.NoError(t, err)
	defer ro1.Close()
	ro2, err := badgerkv.Open(opts)
	require.NoError(t, err, "read-only handles share the directory")
	defer ro2.Close()

	_, err = ro1.Tx(ctx, true)
	require.Equal(t, flat.ErrReadOnly, err)
	err = ro1.Update(ctx, func(tx flat.Tx) error { return nil })
	require.Equal(t, flat.ErrReadOnly, err)
	require.NoError(t, ro2.View(ctx, func(tx flat.Tx) error {
		v, err := tx.Get(ctx, flat.Key("a"))
		require.NoError(t, err)
		require.Equal(t, flat.Value("1"), v)
		return nil
	}))

	// A writer cannot join the readers.
	_, err = badgerkv.Open(testOptions(dir))
	require.ErrorIs(t, err, badgerkv.ErrLocked)
}

func TestCloseAndReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := badgerkv.Open(testOptions(dir))
	require.NoError(t, err)
	require.NotNil(t, db.Badger())
	put(t, db, "a", "1", "b", "2")
	require.NoError(t, db.Sync())
	require.NoError(t, db.Close())
	require.NoError(t, db.Close(), "Close is idempotent")

	_, err = db.Tx(ctx, false)
	require.ErrorIs(t, err, badger.ErrDBClosed)
	require.ErrorIs(t, db.Sync(), badger.ErrDBClosed)

	db, err = badgerkv.Open(testOptions(dir))
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, db.View(ctx, func(tx flat.Tx) error {
		vals, err := tx.GetBatch(ctx, []flat.Key{flat.Key("a"), flat.Key("b")})
		require.NoError(t, err)
		require.Equal(t, []flat.Value{flat.Value("1"), flat.Value("2")}, vals)
		return nil
	}))
}

func TestConcurrentClose(t *testing.T) {
	db, err := badgerkv.Open(testOptions(t.TempDir()))
	require.NoError(t, err)
	errs := make(chan error, 4)
	for i := 0; i < cap(errs); i++ {
		go func() { errs <- db.Close() }()
	}
	for i := 0; i < cap(errs); i++ {
		require.NoError(t, <-errs)
	}
}

// TestUseAfterDBClose checks that transactions and iterators left open when
// the DB is closed fail cleanly instead of reaching into the closed Badger.
func TestUseAfterDBClose(t *testing.T) {
	ctx := context.Background()
	db, err := badgerkv.Open(testOptions(t.TempDir()))
	require.NoError(t, err)
	put(t, db, "a", "1", "b", "2")

	rtx, err := db.Tx(ctx, false)
	require.NoError(t, err)
	it := rtx.Scan(ctx)
	require.True(t, it.Next(ctx))
	wtx, err := db.Tx(ctx, true)
	require.NoError(t, err)
	require.NoError(t, wtx.Put(ctx, flat.Key("c"), flat.Value("3")))

	require.NoError(t, db.Close())

	require.False(t, it.Next(ctx))
	require.ErrorIs(t, it.Err(), badger.ErrDBClosed)
	require.NoError(t, it.Close())
	_, err = rtx.Get(ctx, flat.Key("a"))
	require.ErrorIs(t, err, badger.ErrDBClosed)
	require.NoError(t, rtx.Close())
	require.ErrorIs(t, wtx.Put(ctx, flat.Key("d"), nil), badger.ErrDBClosed)
	require.ErrorIs(t, wtx.Commit(ctx), badger.ErrDBClosed)
	require.NoError(t, wtx.Close())
	it2 := rtx.Scan(ctx)
	require.False(t, it2.Next(ctx))
	require.Error(t, it2.Err())
}
