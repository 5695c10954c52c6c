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
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"credreg/registry"
	"credreg/schema"
)

const backupUsage = `Usage: credreg backup [--store URL] [--out FILE|-]

Writes a consistent backup of the whole store (records, change log,
tokens, bookkeeping) to FILE, or to standard output with --out -. The
store must not be held by a running server: back a running registry up
over HTTP instead, with an admin token:

  curl -fsS -H "Authorization: Bearer $ADMIN_TOKEN" -o credreg.crbak \
    https://registry.example.gov/admin/backup

Both make the same file; "credreg restore" reads it. Progress goes to
standard error.

Flags:
`

const restoreUsage = `Usage: credreg restore [--store URL] --in FILE|-

Makes a new store from a backup (of credreg backup or GET /admin/backup).
The store's directory must be empty or missing: restore never overwrites
a store. A file that is not a whole credreg backup (cut short, damaged,
of a newer format) is refused and nothing is left behind. Start the
restored registry with credreg serve --store URL; its change log goes on
from the backup's sequence.

Flags:
`

// backupCmd runs "credreg backup".
func backupCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("credreg backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	store := fs.String("store", envOr("CREDREG_STORE", "badger://./credreg-data"), "the store to back up (env CREDREG_STORE); not while a server holds it")
	out := fs.String("out", "", `the backup file, or - for standard output (default: credreg-backup-TIME.crbak in the working directory)`)
	quiet := fs.Bool("quiet", false, "no progress lines")
	fs.Usage = func() { fmt.Fprint(stderr, backupUsage); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "credreg backup: unexpected argument %q (the file goes in --out)\n", fs.Arg(0))
		return 2
	}
	if *out == "-" && isTerminal(stdout) {
		fmt.Fprint(stderr, "credreg backup: standard output is a terminal; redirect it (--out - > FILE) or give --out FILE\n")
		return 2
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	base, _ := schema.NewBase("http://127.0.0.1:8080")
	st, err := registry.Open(ctx, *store, registry.Options{Base: base, AdoptStoredBase: true, MustExist: true, DocumentCache: -1, Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if errors.Is(err, registry.ErrLocked) {
		fmt.Fprintf(stderr, "credreg backup: %v\n\nA running server holds the store. Back it up over HTTP with an admin token:\n  curl -fsS -H \"Authorization: Bearer $ADMIN_TOKEN\" -o credreg.crbak http://HOST/admin/backup\nor stop the server and run credreg backup again.\n", err)
		return 1
	}
	if err != nil {
		fmt.Fprintf(stderr, "credreg backup: %v\n", err)
		return 1
	}
	defer st.Close()

	var w io.Writer = stdout
	var f *os.File
	name, tmp := *out, ""
	if name != "-" {
		if name == "" {
			name = "credreg-backup-" + time.Now().UTC().Format("20060102T150405Z") + ".crbak"
		}
		if _, err := os.Stat(name); err == nil {
			fmt.Fprintf(stderr, "credreg backup: %s exists; give another --out (a backup never overwrites a file)\n", name)
			return 1
		}
		// Written under a temporary name and renamed when whole, so that
		// a failed backup leaves no file that looks like one.
		f, err = os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*.part")
		if err != nil {
			fmt.Fprintf(stderr, "credreg backup: %v\n", err)
			return 1
		}
		tmp = f.Name()
		defer os.Remove(tmp) // after the rename, nothing to remove
		w = f
	}
	prog := newProgress(stderr, "credreg backup", *quiet)
	info, err := st.BackupWith(ctx, w, registry.BackupOptions{Progress: prog.report})
	if err == nil && f != nil {
		if err = f.Sync(); err == nil {
			err = f.Close()
		} else {
			_ = f.Close()
		}
		if err == nil {
			err = os.Rename(tmp, name)
		}
	} else if f != nil {
		_ = f.Close()
	}
	if err != nil {
		fmt.Fprintf(stderr, "credreg backup: %v\n", err)
		return 1
	}
	where := name
	if name == "-" {
		where = "standard output"
	}
	summary := fmt.Sprintf("backed up %s at change %d: %d keys, %s, to %s\n", info.Base, info.Sequence, info.Keys, humanBytes(info.Bytes), where)
	if name == "-" {
		fmt.Fprint(stderr, "credreg backup: "+summary)
	} else {
		fmt.Fprint(stdout, summary)
	}
	return 0
}

// restoreCmd runs "credreg restore".
func restoreCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("credreg restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	store := fs.String("store", envOr("CREDREG_STORE", "badger://./credreg-data"), "the new store, in an empty or missing directory (env CREDREG_STORE)")
	in := fs.String("in", "", "the backup file, or - for standard input (required)")
	quiet := fs.Bool("quiet", false, "no progress lines")
	fs.Usage = func() { fmt.Fprint(stderr, restoreUsage); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "credreg restore: unexpected argument %q (the file goes in --in)\n", fs.Arg(0))
		return 2
	}
	if *in == "" {
		fmt.Fprint(stderr, "credreg restore: give the backup with --in FILE (or --in - for standard input)\n")
		return 2
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	var r io.Reader = os.Stdin
	if *in != "-" {
		f, err := os.Open(*in)
		if err != nil {
			fmt.Fprintf(stderr, "credreg restore: %v\n", err)
			return 1
		}
		defer f.Close()
		r = f
	}
	prog := newProgress(stderr, "credreg restore", *quiet)
	info, err := registry.Restore(ctx, *store, r, registry.RestoreOptions{Progress: prog.report, Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		fmt.Fprintf(stderr, "credreg restore: %s: %v\n", *in, err)
		return 1
	}
	fmt.Fprintf(stdout, "restored %s at change %d (backed up %s): %d keys, %s, into %s; start it with credreg serve --store %s\n",
		info.Base, info.Sequence, info.Created.Format(time.RFC3339), info.Keys, humanBytes(info.Bytes), info.Dir, *store)
	return 0
}

// progress prints a line to stderr at most every two seconds.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	what  string
	quiet bool
	last  time.Time
}

func newProgress(w io.Writer, what string, quiet bool) *progress {
	return &progress{w: w, what: what, quiet: quiet, last: time.Now()}
}

func (p *progress) report(b registry.BackupProgress) {
	if p.quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if time.Since(p.last) < 2*time.Second {
		return
	}
	p.last = time.Now()
	fmt.Fprintf(p.w, "%s: %d keys, %s so far\n", p.what, b.Keys, humanBytes(b.Bytes))
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// isTerminal tells whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
