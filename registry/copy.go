package registry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"credreg/rdf"

	"github.com/cayleygraph/quad"
)

// CopyOptions configures Copy.
type CopyOptions struct {
	// Logger receives the backends' logs; nil means slog.Default().
	Logger *slog.Logger
	// Progress, when set, is called now and then with the statements
	// copied so far and the source's total.
	Progress func(copied, total int64)
}

// CopyInfo says what Copy did.
type CopyInfo struct {
	Statements int64 // statements in the source, all now in the destination
	Written    int64 // statements this run wrote (0 when all were there)
	Tokens     int64 // write tokens in the source, all now in the destination
	// TokensWritten is the tokens this run wrote (0 when all were there).
	TokensWritten int64
	Sequence      uint64 // the change log's head in both
	Base          string
}

// copyBatch is the statements Copy writes per commit.
const copyBatch = 10_000

// Copy copies a whole registry from one store to another, between any
// two kinds (badger:// and postgres://): every statement (records, their
// bookkeeping and the change log), read from one snapshot of the source,
// and every write token (from the backends' token keyspace), then checks
// that the destination holds exactly the source's statements and tokens
// (counts, and an order-independent SHA-256 over both).
//
// It is safe to run again: statements and tokens the destination already
// holds are not written twice, so a copy that was interrupted is
// completed, and a finished one is only verified; a destination token
// that differs from the source's of the same id is an error. A destination that holds another
// registry (another base) is refused before anything is written; one
// that holds statements the source lacks fails the check and is named.
// The source must not be written while it is copied (stop the servers):
// writes after the snapshot are not copied.
func Copy(ctx context.Context, fromURL, toURL string, opts CopyOptions) (CopyInfo, error) {
	var info CopyInfo
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	if fromURL == toURL {
		return info, fmt.Errorf("copy: the source and the destination are both %s", fromURL)
	}
	src, err := openBackendURL(ctx, fromURL, log, false)
	if err != nil {
		return info, fmt.Errorf("copy from %s: %w", fromURL, err)
	}
	defer src.Close()
	dst, err := openBackendURL(ctx, toURL, log, true)
	if err != nil {
		return info, fmt.Errorf("copy to %s: %w", toURL, err)
	}
	defer dst.Close()

	srcBase, err := storedBase(ctx, src)
	if err != nil {
		return info, fmt.Errorf("copy from %s: %w", fromURL, err)
	}
	if srcBase == "" {
		return info, fmt.Errorf("copy from %s: %w", fromURL, ErrNoRegistry)
	}
	dstBase, err := storedBase(ctx, dst)
	if err != nil {
		return info, fmt.Errorf("copy to %s: %w", toURL, err)
	}
	if dstBase != "" && dstBase != srcBase {
		return info, fmt.Errorf("copy to %s: it holds another registry (base %s, the source's is %s); copy into an empty store", toURL, dstBase, srcBase)
	}
	info.Base = srcBase
	total, err := src.Count(ctx, Pattern{})
	if err != nil {
		return info, fmt.Errorf("copy from %s: %w", fromURL, err)
	}

	var want contentSum
	var read int64
	batch := make([]quad.Quad, 0, copyBatch)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		n, err := addMissing(ctx, dst, batch)
		if err != nil {
			return fmt.Errorf("write to %s: %w", toURL, err)
		}
		info.Written += n
		batch = batch[:0]
		if opts.Progress != nil {
			opts.Progress(read, total)
		}
		return nil
	}
	err = src.Scan(ctx, Pattern{}, PosAll, func(q quad.Quad) error {
		want.add(q)
		read++
		batch = append(batch, q)
		if len(batch) == copyBatch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return info, fmt.Errorf("copy %s to %s (run it again to complete it): %w", fromURL, toURL, err)
	}
	toks, err := src.ListTokens(ctx)
	if err != nil {
		return info, fmt.Errorf("copy from %s: %w", fromURL, err)
	}
	for _, t := range toks {
		want.addToken(t)
		written, err := putTokenOnce(ctx, dst, t)
		if err != nil {
			return info, fmt.Errorf("copy %s to %s: %w", fromURL, toURL, err)
		}
		if written {
			info.TokensWritten++
		}
	}
	if err := dst.Sync(); err != nil {
		return info, fmt.Errorf("copy to %s: %w", toURL, err)
	}

	// Verify: the destination holds what was read, and nothing else.
	dstToks, err := dst.ListTokens(ctx)
	if err != nil {
		return info, fmt.Errorf("copy to %s: list tokens: %w", toURL, err)
	}
	if len(dstToks) != len(toks) {
		return info, fmt.Errorf("copy to %s: it holds %d tokens, the source %d: it held tokens the source lacks before the copy (copy into an empty store)", toURL, len(dstToks), len(toks))
	}
	dstCount, err := dst.Count(ctx, Pattern{})
	if err != nil {
		return info, fmt.Errorf("copy to %s: count: %w", toURL, err)
	}
	if dstCount != read {
		return info, fmt.Errorf("copy to %s: it holds %d statements, the source %d: it held statements the source lacks before the copy (copy into an empty store)", toURL, dstCount, read)
	}
	var got contentSum
	if err := dst.Scan(ctx, Pattern{}, PosAll, func(q quad.Quad) error { got.add(q); return nil }); err != nil {
		return info, fmt.Errorf("copy to %s: read back: %w", toURL, err)
	}
	for _, t := range dstToks {
		got.addToken(t)
	}
	if got != want {
		return info, fmt.Errorf("copy to %s: its content hash %x differs from the source's %x", toURL, got.sum(), want.sum())
	}
	info.Statements = read
	info.Tokens = int64(len(toks))
	head, err := dst.Count(ctx, Pattern{Predicate: quad.IRI(predSequence), Graph: quad.IRI(graphChanges)})
	if err != nil {
		return info, fmt.Errorf("copy to %s: %w", toURL, err)
	}
	info.Sequence = uint64(head)
	return info, nil
}

// addMissing adds the statements of batch that be does not hold, in one
// commit when none is held (the common case) and otherwise after asking
// for each. It returns how many it wrote.
func addMissing(ctx context.Context, be Backend, batch []quad.Quad) (int64, error) {
	err := be.Apply(ctx, nil, batch)
	if err == nil {
		return int64(len(batch)), nil
	}
	if !errors.Is(err, ErrConflict) {
		return 0, err
	}
	var missing []quad.Quad
	for _, q := range batch {
		n, err := be.Count(ctx, Pattern{Subject: q.Subject, Predicate: q.Predicate, Object: q.Object, Graph: q.Label})
		if err != nil {
			return 0, err
		}
		if n == 0 {
			missing = append(missing, q)
		}
	}
	if len(missing) == 0 {
		return 0, nil
	}
	return int64(len(missing)), be.Apply(ctx, nil, missing)
}

// putTokenOnce stores t in be unless be holds it already (a copy run
// again); it reports whether it wrote it. A different token of the same
// id is an error.
func putTokenOnce(ctx context.Context, be Backend, t StoredToken) (bool, error) {
	err := be.PutToken(ctx, t)
	if err == nil {
		return true, nil
	}
	if !errors.Is(err, ErrConflict) {
		return false, fmt.Errorf("write token %s: %w", t.ID, err)
	}
	held, err := be.GetToken(ctx, t.ID)
	if err != nil {
		return false, fmt.Errorf("read token %s: %w", t.ID, err)
	}
	if tokenLine(held) != tokenLine(t) {
		return false, fmt.Errorf("the destination holds another token %s than the source (%s against %s)", t.ID, tokenLine(held), tokenLine(t))
	}
	return false, nil
}

// tokenLine is a token's canonical text, for content hashes: "token",
// then its fields, tab-separated (no N-Quads line begins so).
func tokenLine(t StoredToken) string {
	tm := func(v time.Time) string {
		if v.IsZero() {
			return ""
		}
		return v.UTC().Format(time.RFC3339Nano)
	}
	return strings.Join([]string{"token", t.ID, t.Hash, t.Agency, string(t.Role), tm(t.Created), tm(t.Expires), tm(t.Revoked)}, "\t")
}

// addToken adds a token to the hash, beside the statements.
func (c *contentSum) addToken(t StoredToken) {
	c.addLine(tokenLine(t))
}

// storedBase reads the registry's base from a backend ("" for none).
func storedBase(ctx context.Context, be Backend) (string, error) {
	qs, _, err := be.Match(onPrimary(ctx), Pattern{Subject: quad.IRI(nodeStore), Predicate: quad.IRI(predBase), Graph: quad.IRI(graphRecords)}, nil, 2)
	if err != nil {
		return "", fmt.Errorf("read the base: %w", err)
	}
	if len(qs) == 0 {
		return "", nil
	}
	return string(rdf.IRIOf(qs[0].Object)), nil
}

// openBackendURL opens the backend a store URL names, as Open does; bulk
// tunes a Badger store for writing much at once (Options.BulkLoad).
func openBackendURL(ctx context.Context, storeURL string, log *slog.Logger, bulk bool) (Backend, error) {
	kind, path, err := parseStoreURL(storeURL)
	if err != nil {
		return nil, err
	}
	switch kind {
	case "badger":
		return openBadgerBackend(path, log, bulk)
	case "postgres", "postgresql":
		return openPGBackend(ctx, storeURL, log)
	}
	return nil, fmt.Errorf("store %q: unsupported kind %q", storeURL, kind)
}

// openReplicaURL opens the backend of a read replica: read-only.
func openReplicaURL(ctx context.Context, storeURL string, log *slog.Logger) (Backend, error) {
	kind, _, err := parseStoreURL(storeURL)
	if err != nil {
		return nil, err
	}
	switch kind {
	case "postgres", "postgresql":
		return openPGReplica(ctx, storeURL, log)
	}
	return nil, fmt.Errorf("read store %q: a read replica is a PostgreSQL hot standby (postgres://…), not %q", RedactStoreURL(storeURL), kind)
}
