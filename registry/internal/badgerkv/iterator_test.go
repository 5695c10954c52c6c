package badgerkv_test

import (
	"context"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/stretchr/testify/require"

	"github.com/hidal-go/hidalgo/kv/flat"
	"github.com/hidal-go/hidalgo/kv/options"
)

// collect drains it and returns "key=val" strings.
func collect(t *testing.T, it flat.Iterator) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	for it.Next(ctx) {
		out = append(out, string(it.Key())+"="+string(it.Val()))
	}
	require.NoError(t, it.Err())
	return out
}

func TestScan(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	put(t, db, "a", "1", "b/1", "2", "b/2", "3", "b/3", "4", "ba", "5", "c", "6")

	for _, c := range []struct {
		name   string
		prefix string
		want   []string
	}{
		{name: "all", want: []string{"a=1", "b/1=2", "b/2=3", "b/3=4", "ba=5", "c=6"}},
		{name: "prefix", prefix: "b/", want: []string{"b/1=2", "b/2=3", "b/3=4"}},
		{name: "prefix is a key", prefix: "c", want: []string{"c=6"}},
		{name: "prefix without keys", prefix: "bb", want: nil},
		{name: "prefix after all keys", prefix: "z", want: nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			tx, err := db.Tx(ctx, false)
			require.NoError(t, err)
			defer tx.Close()
			var opts []flat.IteratorOption
			if c.prefix != "" {
				opts = append(opts, options.WithPrefixFlat(flat.Key(c.prefix)))
			}
			it := tx.Scan(ctx, opts...)
			defer it.Close()
			_, native := it.(flat.Seeker)
			require.True(t, native, "the prefix must be applied natively, got %T", it)

			require.Equal(t, c.want, collect(t, it))
			require.False(t, it.Next(ctx), "exhausted iterator stays exhausted")
			require.Nil(t, it.Key())
			require.Nil(t, it.Val())
			it.Reset()
			require.Equal(t, c.want, collect(t, it), "after Reset")
		})
	}
}

func TestSeek(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	put(t, db, "a", "1", "b/1", "2", "b/3", "4", "c", "6")

	tx, err := db.Tx(ctx, false)
	require.NoError(t, err)
	defer tx.Close()

	for _, c := range []struct {
		name   string
		prefix string
		seek   string
		want   []string // from the sought position on
	}{
		{name: "exact", seek: "b/1", want: []string{"b/1=2", "b/3=4", "c=6"}},
		{name: "between keys", seek: "b/2", want: []string{"b/3=4", "c=6"}},
		{name: "empty key", seek: "", want: []string{"a=1", "b/1=2", "b/3=4", "c=6"}},
		{name: "past the end", seek: "d", want: nil},
		{name: "prefix, before it", prefix: "b/", seek: "a", want: []string{"b/1=2", "b/3=4"}},
		{name: "prefix, inside", prefix: "b/", seek: "b/2", want: []string{"b/3=4"}},
		{name: "prefix, past it", prefix: "b/", seek: "b0", want: nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			var opts []flat.IteratorOption
			if c.prefix != "" {
				opts = append(opts, options.WithPrefixFlat(flat.Key(c.prefix)))
			}
			it := tx.Scan(ctx, opts...)
			defer it.Close()
			sk, ok := it.(flat.Seeker)
			require.True(t, ok)
			// Move somewhere first: Seek must work from any position.
			it.Next(ctx)
			found := sk.Seek(ctx, flat.Key(c.seek))
			require.Equal(t, len(c.want) > 0, found)
			var got []string
			for ok := found; ok; ok = it.Next(ctx) {
				got = append(got, string(it.Key())+"="+string(it.Val()))
			}
			require.NoError(t, it.Err())
			require.Equal(t, c.want, got)
		})
	}
}

func TestIteratorValuesStayValid(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	put(t, db, "a", "1", "b", "2")
	require.NoError(t, db.View(ctx, func(tx flat.Tx) error {
		it := tx.Scan(ctx)
		defer it.Close()
		require.True(t, it.Next(ctx))
		v := it.Val()
		require.Equal(t, flat.Value("1"), v)
		require.Equal(t, flat.Value("1"), it.Val(), "Val can be called twice")
		require.True(t, it.Next(ctx))
		require.Equal(t, flat.Value("1"), v, "values are copies")
		return nil
	}))
}

func TestIteratorSeesEarlierWrites(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	put(t, db, "a", "1")
	require.NoError(t, db.Update(ctx, func(tx flat.Tx) error {
		require.NoError(t, tx.Put(ctx, flat.Key("b"), flat.Value("2")))
		require.NoError(t, tx.Del(ctx, flat.Key("a")))
		it := tx.Scan(ctx)
		defer it.Close()
		require.Equal(t, []string{"b=2"}, collect(t, it))
		return nil
	}))
}

func TestIteratorClose(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	put(t, db, "a", "1", "b", "2")

	for _, rw := range []bool{false, true} {
		name := map[bool]string{false: "read-only", true: "read-write"}[rw]
		t.Run(name+": left open when the transaction closes", func(t *testing.T) {
			tx, err := db.Tx(ctx, rw)
			require.NoError(t, err)
			it1 := tx.Scan(ctx)
			require.True(t, it1.Next(ctx))
			it2 := tx.Scan(ctx, options.WithPrefixFlat(flat.Key("b")))
			require.True(t, it2.Next(ctx))
			it3 := tx.Scan(ctx) // never used
			// Badger panics on discarding a transaction with open iterators.
			require.NotPanics(t, func() { require.NoError(t, tx.Close()) })
			require.False(t, it1.Next(ctx))
			require.ErrorIs(t, it1.Err(), badger.ErrDiscardedTxn)
			require.Nil(t, it1.Key())
			require.NoError(t, it1.Close())
			require.NoError(t, it1.Close())
			require.NoError(t, it2.Close())
			require.False(t, it3.Next(ctx))
			require.Error(t, it3.Err())
		})
		t.Run(name+": left open at commit", func(t *testing.T) {
			tx, err := db.Tx(ctx, rw)
			require.NoError(t, err)
			it := tx.Scan(ctx)
			require.True(t, it.Next(ctx))
			require.NotPanics(t, func() { require.NoError(t, tx.Commit(ctx)) })
			require.NoError(t, it.Close())
		})
	}

	t.Run("scan on a closed transaction", func(t *testing.T) {
		tx, err := db.Tx(ctx, false)
		require.NoError(t, err)
		require.NoError(t, tx.Close())
		it := tx.Scan(ctx, options.WithPrefixFlat(flat.Key("a")))
		require.False(t, it.Next(ctx))
		require.ErrorIs(t, it.Err(), badger.ErrDiscardedTxn)
		require.NoError(t, it.Close())
	})

	t.Run("cancelled context", func(t *testing.T) {
		tx, err := db.Tx(ctx, false)
		require.NoError(t, err)
		defer tx.Close()
		cctx, cancel := context.WithCancel(ctx)
		it := tx.Scan(cctx)
		defer it.Close()
		require.True(t, it.Next(cctx))
		cancel()
		require.False(t, it.Next(cctx))
		require.ErrorIs(t, it.Err(), context.Canceled)
	})
}
