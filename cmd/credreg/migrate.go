package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"credreg/registry"
)

const migrateUsage = `Usage: credreg migrate [--store URL]
       credreg migrate --from URL --to URL

With --store: upgrades a store written by an older credreg (cayley's kv layout) to the
current layout (` + registry.StoreLayout + `), in place: every statement
(records, bookkeeping, change log, tokens) is copied into DIR.migrating
beside the store, the copy's count and content hash are checked against
the original, and only then is the original moved to DIR.cayley-kv and
the copy to DIR. On any failure the original is left as it was. The
original is kept after a migration: remove DIR.cayley-kv once the
registry runs well on the migrated store. The store must not be held by
a running server; the change log goes on from where it was.

With --from and --to: copies a whole registry from one store to another,
between any kinds (badger:///dir, postgres://user@host/db): every record,
the change log and the tokens, read from one snapshot of the source, then
checks that the destination holds exactly the source's statements (count
and content hash). It is safe to run again: an interrupted copy is
completed, a finished one only verified. A destination holding another
registry is refused. Stop the servers writing the source first: writes
made during the copy are not copied.

Flags:
`

// migrateCmd runs "credreg migrate".
func migrateCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("credreg migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	store := fs.String("store", envOr("CREDREG_STORE", "badger://./credreg-data"), "the store to upgrade (env CREDREG_STORE); not while a server holds it")
	from := fs.String("from", "", "copy from this store (with --to)")
	to := fs.String("to", "", "copy into this store (with --from); empty or an earlier copy of the same registry")
	quiet := fs.Bool("quiet", false, "no progress lines")
	fs.Usage = func() { fmt.Fprint(stderr, migrateUsage); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "credreg migrate: unexpected argument %q (the store goes in --store)\n", fs.Arg(0))
		return 2
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *from != "" || *to != "" {
		if *from == "" || *to == "" {
			fmt.Fprintln(stderr, "credreg migrate: --from and --to go together (the store to copy and the store to copy into)")
			return 2
		}
		return copyStores(ctx, *from, *to, *quiet, stdout, stderr)
	}
	start, last := time.Now(), time.Now()
	opts := registry.MigrateOptions{Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	if !*quiet {
		opts.Progress = func(n int64) {
			if time.Since(last) >= 2*time.Second {
				last = time.Now()
				fmt.Fprintf(stderr, "credreg migrate: %d statements copied\n", n)
			}
		}
	}
	info, err := registry.Migrate(ctx, *store, opts)
	switch {
	case errors.Is(err, registry.ErrCurrentLayout):
		fmt.Fprintf(stdout, "credreg migrate: %s is already in the current layout (%s); nothing to do\n", *store, registry.StoreLayout)
		return 0
	case errors.Is(err, registry.ErrLocked):
		fmt.Fprintf(stderr, "credreg migrate: %v\n\nA running credreg holds the store: stop it and run credreg migrate again.\n", err)
		return 1
	case err != nil:
		fmt.Fprintf(stderr, "credreg migrate: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "credreg migrate: %s upgraded to %s: %d statements and %d tokens copied and verified, change log at %d, base %s (%s)\nThe original store is kept in %s; remove it once the registry runs well.\n",
		*store, registry.StoreLayout, info.Statements, info.Tokens, info.Sequence, info.Base, time.Since(start).Round(time.Millisecond), info.Old)
	return 0
}

// copyStores runs "credreg migrate --from --to".
func copyStores(ctx context.Context, from, to string, quiet bool, stdout, stderr io.Writer) int {
	start, last := time.Now(), time.Now()
	opts := registry.CopyOptions{Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	if !quiet {
		opts.Progress = func(n, total int64) {
			if time.Since(last) >= 2*time.Second || n == total {
				last = time.Now()
				rate := float64(n) / time.Since(start).Seconds()
				fmt.Fprintf(stderr, "credreg migrate: %d of %d statements copied (%.0f%%), %.0f statements/s\n", n, total, 100*float64(n)/float64(max(total, 1)), rate)
			}
		}
	}
	info, err := registry.Copy(ctx, from, to, opts)
	switch {
	case errors.Is(err, registry.ErrLocked):
		fmt.Fprintf(stderr, "credreg migrate: %v\n\nA running credreg holds the store: stop it and run credreg migrate again.\n", err)
		return 1
	case err != nil:
		fmt.Fprintf(stderr, "credreg migrate: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "credreg migrate: %s copied to %s: %d statements verified (%d written by this run), %d tokens verified (%d written by this run), change log at %d, base %s (%s)\n",
		from, to, info.Statements, info.Written, info.Tokens, info.TokensWritten, info.Sequence, info.Base, time.Since(start).Round(time.Millisecond))
	return 0
}
