package registry

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"

	"github.com/cayleygraph/quad"

	"credreg/rdf"
	"credreg/registry/internal/legacy"
	"credreg/registry/internal/tokenrec"
	"credreg/schema"
)

// ErrCurrentLayout is returned by Migrate for a store that is already in
// this credreg's layout.
var ErrCurrentLayout = errors.New("the store is already in the current layout")

// MigrateOptions configures Migrate.
type MigrateOptions struct {
	// Logger receives Badger's logs; nil means slog.Default().
	Logger *slog.Logger
	// Progress, when set, is called now and then with the statements
	// copied so far.
	Progress func(copied int64)
}

// MigrateInfo says what Migrate did.
type MigrateInfo struct {
	Statements int64 // statements copied (and verified)
	// Tokens is the write tokens moved out of the old store's token graph
	// into the token keyspace (and verified).
	Tokens   int64
	Sequence uint64 // the change log's head, which the next write continues
	Base     string
	// Old is the directory the original store was moved to; Migrate
	// never deletes it.
	Old string
}

// migrateBatch is the statements Migrate writes per transaction.
const migrateBatch = 10_000

// Migrate upgrades the store at storeURL from the layout of older credregs
// (cayley's kv layout) to the current one (StoreLayout), in place and
// safely: it copies every statement through the old reader into a new
// store in a directory beside it (DIR.migrating), checks that the copy
// holds as many statements as the original and the same content (an
// order-independent SHA-256 over every statement), then moves the
// original to DIR.cayley-kv and the copy to DIR. On any failure before
// the swap the original is untouched and the copy removed; the original
// is kept after a successful swap too, for the operator to remove.
//
// The store must not be open elsewhere (Badger's lock refuses it). Every
// record, its bookkeeping and the change log are statements, all copied;
// the change log's head is their count, so the next write continues the
// sequence. The old layout kept the write tokens as statements of the
// token graph too: they go to the new store's token keyspace
// (tokenrec.FromStatements), and the check covers them (the hash over the
// copied statements and the tokens).
func Migrate(ctx context.Context, storeURL string, opts MigrateOptions) (MigrateInfo, error) {
	var info MigrateInfo
	kind, dir, err := parseStoreURL(storeURL)
	if err != nil {
		return info, err
	}
	if kind == "postgres" || kind == "postgresql" {
		return info, fmt.Errorf("migrate %s: a PostgreSQL store needs no credreg migrate: credreg brings its schema up to date when it opens it", redactURL(storeURL))
	}
	if kind != "badger" {
		return info, fmt.Errorf("migrate %s: unsupported kind %q (use badger:///path/to/dir)", storeURL, kind)
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	if _, err := os.Stat(dir); err != nil {
		return info, fmt.Errorf("migrate %s: %w", dir, err)
	}
	tmp, old := dir+".migrating", dir+".cayley-kv"
	src, err := legacy.Open(dir, false, log)
	if errors.Is(err, legacy.ErrNotLegacy) {
		return info, fmt.Errorf("migrate %s: %w (%s): nothing to do", dir, ErrCurrentLayout, StoreLayout)
	}
	if err != nil {
		return info, fmt.Errorf("migrate %s: %w", dir, err)
	}
	srcClosed := false
	defer func() {
		if !srcClosed {
			_ = src.Close()
		}
	}()
	if _, err := os.Stat(old); !errors.Is(err, fs.ErrNotExist) {
		return info, fmt.Errorf("migrate %s: %s exists (a store kept by an earlier migration?): move it away first", dir, old)
	}
	// A copy left by an interrupted migration is Migrate's own: start over.
	if err := os.RemoveAll(tmp); err != nil {
		return info, fmt.Errorf("migrate %s: remove an earlier partial copy: %w", dir, err)
	}
	var dst *badgerBackend
	dstClosed := false
	fail := func(err error) (MigrateInfo, error) {
		// Closed before its directory goes: Badger retries a flush into
		// a removed directory forever.
		if dst != nil && !dstClosed {
			dstClosed = true
			_ = dst.Close()
		}
		if rerr := os.RemoveAll(tmp); rerr != nil {
			err = errors.Join(err, fmt.Errorf("remove the partial copy %s: %w", tmp, rerr))
		}
		return info, fmt.Errorf("migrate %s (the original is untouched): %w", dir, err)
	}
	dst, err = openBadgerBackend(tmp, log, true)
	if err != nil {
		return fail(err)
	}
	defer func() {
		if !dstClosed {
			_ = dst.Close()
		}
	}()

	// Copy, hashing what is read.
	var want contentSum
	var n int64
	batch := make([]quad.Quad, 0, migrateBatch)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := dst.qs.AddNew(batch); err != nil {
			return fmt.Errorf("write the copy: %w", err)
		}
		batch = batch[:0]
		if opts.Progress != nil {
			opts.Progress(n)
		}
		return nil
	}
	var tokenGraph []quad.Quad
	add := func(q quad.Quad) error {
		want.add(q)
		batch = append(batch, q)
		if len(batch) == migrateBatch {
			return flush()
		}
		return nil
	}
	err = src.Each(ctx, func(q quad.Quad) error {
		q = canonicalQuad(q)
		n++
		if rdf.IRIOf(q.Label) == graphTokens {
			tokenGraph = append(tokenGraph, q) // moved below
			return nil
		}
		return add(q)
	})
	// The tokens go to the token keyspace; statements of the token
	// graph that are no token are copied as they are.
	toks, used := tokenrec.FromStatements(tokenGraph)
	moved := make(map[string]bool, len(used))
	for _, q := range used {
		moved[rdf.NQuadLine(q.Subject, q.Predicate, q.Object, q.Label)] = true
	}
	for _, q := range tokenGraph {
		if err == nil && !moved[rdf.NQuadLine(q.Subject, q.Predicate, q.Object, q.Label)] {
			err = add(q)
		}
	}
	if err == nil {
		err = flush()
	}
	for _, t := range toks {
		if err != nil {
			break
		}
		st := storedToken(t)
		want.addToken(st)
		if perr := dst.PutToken(ctx, st); perr != nil {
			err = fmt.Errorf("write the copy: token %s: %w", t.ID, perr)
		}
	}
	if err != nil {
		return fail(err)
	}
	if err := dst.Sync(); err != nil {
		return fail(err)
	}

	// Verify: the old store's own count, the copy's count and content.
	srcCount, err := src.Count(ctx)
	if err != nil {
		return fail(fmt.Errorf("count the original: %w", err))
	}
	dstCount, err := dst.Count(ctx, Pattern{})
	if err != nil {
		return fail(fmt.Errorf("count the copy: %w", err))
	}
	if srcCount != n || dstCount != n-int64(len(used)) {
		return fail(fmt.Errorf("the original counts %d statements, %d were read (%d of them tokens' moved to the token keyspace) and the copy holds %d", srcCount, n, len(used), dstCount))
	}
	var got contentSum
	if err := dst.Scan(ctx, Pattern{}, PosAll, func(q quad.Quad) error { got.add(q); return nil }); err != nil {
		return fail(fmt.Errorf("read the copy back: %w", err))
	}
	dstToks, err := dst.ListTokens(ctx)
	if err != nil {
		return fail(fmt.Errorf("read the copy's tokens back: %w", err))
	}
	if len(dstToks) != len(toks) {
		return fail(fmt.Errorf("the original holds %d tokens, the copy %d", len(toks), len(dstToks)))
	}
	for _, t := range dstToks {
		got.addToken(t)
	}
	if got != want {
		return fail(fmt.Errorf("the copy's content hash %x differs from the original's %x", got.sum(), want.sum()))
	}
	info.Statements, info.Tokens = dstCount, int64(len(toks))
	srcClosed = true
	if err := src.Close(); err != nil {
		return fail(fmt.Errorf("close the original: %w", err))
	}
	dstClosed = true
	if err := dst.Close(); err != nil {
		dst = nil
		return fail(fmt.Errorf("close the copy: %w", err))
	}

	// Swap: the original aside, the copy in its place.
	if err := os.Rename(dir, old); err != nil {
		return fail(fmt.Errorf("move the original aside: %w", err))
	}
	if err := os.Rename(tmp, dir); err != nil {
		if rerr := os.Rename(old, dir); rerr != nil {
			return info, fmt.Errorf("migrate %s: move the copy in place: %w; and moving the original back failed too: %w: it is in %s, the copy in %s", dir, err, rerr, old, tmp)
		}
		return fail(fmt.Errorf("move the copy in place: %w", err))
	}
	info.Old = old

	// The migrated store opens as a registry.
	base, _ := schema.NewBase("http://127.0.0.1:8080")
	st, err := Open(ctx, storeURL, Options{Base: base, AdoptStoredBase: true, MustExist: true, DocumentCache: -1, Logger: log})
	if err != nil {
		return info, fmt.Errorf("migrate %s: the migrated store does not open (the original is in %s): %w", dir, old, err)
	}
	info.Sequence, info.Base = st.Sequence(), st.Base().String()
	if err := st.Close(); err != nil {
		return info, fmt.Errorf("migrate %s: %w", dir, err)
	}
	return info, nil
}

// contentSum is an order-independent hash of a set of statements: the
// lane-wise sum (mod 2^64) of each statement's SHA-256 of its N-Quads line.
type contentSum [4]uint64

func (c *contentSum) add(q quad.Quad) {
	c.addLine(rdf.NQuadLine(q.Subject, q.Predicate, q.Object, q.Label))
}

func (c *contentSum) addLine(line string) {
	h := sha256.Sum256([]byte(line))
	for i := range c {
		c[i] += binary.BigEndian.Uint64(h[i*8:])
	}
}

func (c contentSum) sum() []byte {
	out := make([]byte, 0, 32)
	for _, v := range c {
		out = binary.BigEndian.AppendUint64(out, v)
	}
	return out
}
