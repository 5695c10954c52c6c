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
	"credreg/registry/badgerkv"
)

const migrateUsage = `Usage: credreg migrate [--store URL]

Upgrades a store written by an older credreg (cayley's kv layout) to the
current layout (` + registry.StoreLayout + `), in place: every statement
(records, bookkeeping, change log, tokens) is copied into DIR.migrating
beside the store, the copy's count and content hash are checked against
the original, and only then is the original moved to DIR.cayley-kv and
the copy to DIR. On any failure the original is left as it was. The
original is kept after a migration: remove DIR.cayley-kv once the
registry runs well on the migrated store. The store must not be held by
a running server; the change log goes on from where it was.

Flags:
`

// migrateCmd runs "credreg migrate".
func migrateCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("credreg migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	store := fs.String("store", envOr("CREDREG_STORE", "badger://./credreg-data"), "the store to upgrade (env CREDREG_STORE); not while a server holds it")
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
	case errors.Is(err, badgerkv.ErrLocked):
		fmt.Fprintf(stderr, "credreg migrate: %v\n\nA running credreg holds the store: stop it and run credreg migrate again.\n", err)
		return 1
	case err != nil:
		fmt.Fprintf(stderr, "credreg migrate: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "credreg migrate: %s upgraded to %s: %d statements copied and verified, change log at %d, base %s (%s)\nThe original store is kept in %s; remove it once the registry runs well.\n",
		*store, registry.StoreLayout, info.Statements, info.Sequence, info.Base, time.Since(start).Round(time.Millisecond), info.Old)
	return 0
}
