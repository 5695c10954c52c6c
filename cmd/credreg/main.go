// Command credreg runs the credreg credential registry.
//
// Usage:
//
//	credreg serve [--addr 127.0.0.1:8080] [--base URL] [--store badger://./credreg-data|postgres://user@host/db]
//	credreg backup [--store URL] [--out FILE|-]
//	credreg restore [--store URL] --in FILE|-
//	credreg version
//
// Every flag can also be set by an environment variable (CREDREG_ADDR,
// CREDREG_BASE, CREDREG_STORE, ...); a flag on the command line wins.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"credreg/catalog"
	"credreg/harvest"
	"credreg/ingest/seed"
	"credreg/registry"
	"credreg/schema"
	"credreg/server"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	stop := startCPUProfile(os.Stderr)
	code := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)
	stop()
	writeHeapProfile(os.Stderr)
	os.Exit(code)
}

// writeHeapProfile writes a heap profile at the end of the command to the
// file CREDREG_MEMPROFILE names: every allocation the command made
// (go tool pprof -sample_index=alloc_space) and what it still held.
func writeHeapProfile(stderr io.Writer) {
	path := os.Getenv("CREDREG_MEMPROFILE")
	if path == "" {
		return
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.Lookup("allocs").WriteTo(f, 0)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "credreg: CREDREG_MEMPROFILE %s: %v\n", path, err)
	}
}

// startCPUProfile writes a CPU profile of the whole command to the file
// CREDREG_CPUPROFILE names (for the engineers measuring an import or a
// start; go tool pprof reads it), and returns what ends it.
func startCPUProfile(stderr io.Writer) func() {
	path := os.Getenv("CREDREG_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintf(stderr, "credreg: CREDREG_CPUPROFILE %s: %v\n", path, err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintf(stderr, "credreg: CREDREG_CPUPROFILE %s: %v\n", path, err)
		}
	}
}

const usage = `credreg: a registry of credentials of value, published as linked data.

Usage:
  credreg serve [flags]    start the registry (brings the reference data, the
                           Career Clusters Framework and the code lists, up
                           to date; --sample adds the invented sample)
  credreg import [flags] FILE...
                           import spreadsheets (CSV, XLSX), CTDL JSON-LD or
                           N-Quads into the store
  credreg token create|list|revoke
                           manage agencies' write tokens
  credreg regions list|add the registry's list of regions
  credreg backup [--store URL] [--out FILE|-]
                           write a consistent backup of a store that no
                           server holds (a running one: GET /admin/backup)
  credreg restore [--store URL] --in FILE|-
                           make a new store from a backup
  credreg migrate [--store URL | --from URL --to URL]
                           upgrade a store written by an older credreg
                           (cayley kv layout) in place, or copy a whole
                           registry between stores (Badger, PostgreSQL)
  credreg check [--server URL] CTID|NAME
                           ask a running registry whether a credential is
                           of value, by whom, where and why
  credreg version          print the version
  credreg help             print this help

Run "credreg COMMAND --help" (serve, import, backup, restore, migrate) for the flags.
`

// defaultMemoryLimit is the Go runtime's soft memory limit unless
// GOMEMLIMIT or CREDREG_MEMORY_LIMIT says otherwise: most of a bulk load's
// memory is garbage (Badger's table builders, decoded rows) that the
// collector otherwise lets grow to twice the live heap.
const defaultMemoryLimit = 768 << 20

// setMemoryLimit applies CREDREG_MEMORY_LIMIT (bytes, or with a KiB, MiB
// or GiB suffix; "off" for none) unless GOMEMLIMIT is set.
func setMemoryLimit(stderr io.Writer) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	v := envOr("CREDREG_MEMORY_LIMIT", "")
	limit := int64(defaultMemoryLimit)
	if v == "off" {
		return
	}
	if v != "" {
		n, err := parseBytes(v)
		if err != nil {
			fmt.Fprintf(stderr, "credreg: CREDREG_MEMORY_LIMIT %q: %v; using %d MiB\n", v, err, limit>>20)
		} else {
			limit = n
		}
	}
	debug.SetMemoryLimit(limit)
}

func parseBytes(s string) (int64, error) {
	mult := int64(1)
	for suffix, m := range map[string]int64{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30} {
		if strings.HasSuffix(s, suffix) {
			s, mult = strings.TrimSuffix(s, suffix), m
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("expected a size like 768MiB or 2GiB")
	}
	return n * mult, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	setMemoryLimit(stderr)
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stdout, stderr)
	case "import":
		return importCmd(ctx, args[1:], stdout, stderr)
	case "token":
		return tokenCmd(ctx, args[1:], stdout, stderr)
	case "regions":
		return regionsCmd(ctx, args[1:], stdout, stderr)
	case "check":
		return checkCmd(ctx, args[1:], stdout, stderr)
	case "backup":
		return backupCmd(ctx, args[1:], stdout, stderr)
	case "restore":
		return restoreCmd(ctx, args[1:], stdout, stderr)
	case "migrate":
		return migrateCmd(ctx, args[1:], stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, versionString())
		return 0
	case "help", "--help", "-help", "-h":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "credreg: unknown command %q\n\n%s", args[0], usage)
	return 2
}

func versionString() string {
	v := version
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " (" + s.Value[:12] + ")"
			}
		}
		return fmt.Sprintf("credreg %s %s, JSON-LD context v%s", v, bi.GoVersion, schema.ContextVersion)
	}
	return "credreg " + v
}

// envInt returns the environment variable name as an integer, or def when
// it is unset or not a number.
func envInt(name string, def int) int {
	if n, err := strconv.Atoi(envOr(name, "")); err == nil {
		return n
	}
	return def
}

// envDuration returns the environment variable name as a duration, or def
// when it is unset or not a duration.
func envDuration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(envOr(name, "")); err == nil {
		return d
	}
	return def
}

// envOr returns the environment variable name, or def when it is unset.
func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

type serveConfig struct {
	addr, base, store, logLevel string
	license                     string
	sample                      bool
	maxAuthFailures             int
	maxWrites                   int
	maxImports                  int
	readStore                   string
	shutdownTimeout             time.Duration
	writeTimeout                time.Duration
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var cfg serveConfig
	fs := flag.NewFlagSet("credreg serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.addr, "addr", envOr("CREDREG_ADDR", "127.0.0.1:8080"), "address to listen on, host:port (env CREDREG_ADDR)")
	fs.StringVar(&cfg.base, "base", envOr("CREDREG_BASE", ""), "base IRI of every resource, e.g. https://registry.example.gov (env CREDREG_BASE; default: the base the store was created with, or http:// + addr for a new store)")
	fs.StringVar(&cfg.store, "store", envOr("CREDREG_STORE", "badger://./credreg-data"), "where the data lives: badger:///abs/dir, badger://./relative/dir or postgres://user@host/db (env CREDREG_STORE)")
	fs.StringVar(&cfg.readStore, "read-store", envOr("CREDREG_READ_STORE", ""), "a read replica of --store (a PostgreSQL hot standby: postgres://user@replica/db): reads go to it, writes to --store, and a write is acknowledged once the replica has it (env CREDREG_READ_STORE)")
	fs.BoolVar(&cfg.sample, "sample", envOr("CREDREG_SAMPLE", "false") == "true", "load the invented sample registry (organizations, credentials, designations) into an empty store, to try the registry out (env CREDREG_SAMPLE); the Framework and the code lists are always loaded")
	fs.IntVar(&cfg.maxImports, "max-imports", envInt("CREDREG_MAX_IMPORTS", 0), "POST /import requests that run at once; more answer 429 (env CREDREG_MAX_IMPORTS; 0: the default of 2)")
	fs.IntVar(&cfg.maxAuthFailures, "max-auth-failures", envInt("CREDREG_MAX_AUTH_FAILURES", 0), "failed authentications a client address may make within a minute before its writes answer 429 (env CREDREG_MAX_AUTH_FAILURES; 0: the default of 20; negative: no limit)")
	fs.IntVar(&cfg.maxWrites, "max-writes-per-minute", envInt("CREDREG_MAX_WRITES_PER_MINUTE", 0), "writes one token may make within a minute (each PUT, designation, retire, revoke or import), in bursts of as many; more answer 429 (env CREDREG_MAX_WRITES_PER_MINUTE; 0: the default of 600; negative: no limit)")
	fs.StringVar(&cfg.license, "license", envOr("CREDREG_LICENSE", ""), "the data's license, an IRI or a text, stated in /.well-known/void (env CREDREG_LICENSE)")
	fs.StringVar(&cfg.logLevel, "log-level", envOr("CREDREG_LOG_LEVEL", "info"), "debug, info, warn or error (env CREDREG_LOG_LEVEL)")
	fs.DurationVar(&cfg.writeTimeout, "write-timeout", envDuration("CREDREG_WRITE_TIMEOUT", 120*time.Second), "how long writing an answer may take; a streamed one (the dump, the CSV export) may take longer while the client keeps reading, and is cut off when one piece of it waits this long (env CREDREG_WRITE_TIMEOUT)")
	fs.DurationVar(&cfg.shutdownTimeout, "shutdown-timeout", 10*time.Second, "how long to wait for requests in flight on SIGINT/SIGTERM")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: credreg serve [flags]\n\nStarts the registry. Reads are public; the data is kept in the store.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "credreg serve: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if cfg.writeTimeout <= 0 {
		fmt.Fprintf(stderr, "credreg serve: --write-timeout %v: give a positive duration, such as 2m\n", cfg.writeTimeout)
		return 2
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.logLevel)); err != nil {
		fmt.Fprintf(stderr, "credreg serve: --log-level %q: use debug, info, warn or error\n", cfg.logLevel)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(log)

	// Listen first, so that port 0 works and the default base names the
	// real address.
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		fmt.Fprintf(stderr, "credreg serve: listen on %s: %v\n", cfg.addr, err)
		return 1
	}
	defer ln.Close()
	adoptBase := cfg.base == ""
	if adoptBase {
		cfg.base = "http://" + ln.Addr().String()
	}
	base, err := schema.NewBase(cfg.base)
	if err != nil {
		fmt.Fprintf(stderr, "credreg serve: --base: %v\n", err)
		return 2
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	store, err := registry.Open(ctx, cfg.store, registry.Options{Base: base, AdoptStoredBase: adoptBase, Logger: log, ReadStore: cfg.readStore})
	if err != nil {
		fmt.Fprintf(stderr, "credreg serve: %v\n", err)
		return 1
	}
	defer func() {
		if err := store.Close(); err != nil {
			log.Error("closing store", "err", err)
		}
	}()
	if _, err := seed.Load(ctx, store, seed.Options{Sample: cfg.sample, Logger: log}); err != nil {
		fmt.Fprintf(stderr, "credreg serve: %v\n", err)
		return 1
	}
	// The catalog, closed before the store (it writes its list index's
	// snapshot). Build the umbrella list's index now rather than on the
	// first list query (closing the catalog stops it): it decides
	// readiness, and from its snapshot it is ready in seconds.
	cat := catalog.New(store, catalog.Options{Logger: log})
	defer func() {
		if err := cat.Close(); err != nil {
			log.Error("closing the catalog", "err", err)
		}
	}()
	go func() {
		if err := cat.WarmList(ctx); err != nil && ctx.Err() == nil {
			log.Error("building the list index", "err", err)
		}
	}()
	handler, err := server.New(server.Config{Catalog: cat, Harvest: harvest.New(store), Logger: log, License: cfg.license, MaxAuthFailures: cfg.maxAuthFailures, MaxWritesPerMinute: cfg.maxWrites, MaxConcurrentImports: cfg.maxImports, StreamWriteTimeout: cfg.writeTimeout})
	if err != nil {
		fmt.Fprintf(stderr, "credreg serve: %v\n", err)
		return 1
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      cfg.writeTimeout,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	base = store.Base()
	log.Info("credreg listening", "addr", ln.Addr().String(), "base", base.String(), "store", registry.RedactStoreURL(cfg.store))
	fmt.Fprintf(stdout, "credreg serving %s on http://%s\n", base, ln.Addr())

	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintf(stderr, "credreg serve: %v\n", err)
			return 1
		}
	case <-ctx.Done():
		log.Info("shutting down", "reason", strings.TrimSpace(context.Cause(ctx).Error()))
		shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.shutdownTimeout)
		defer cancel()
		if err := srv.Shutdown(shutdownCtx); err != nil {
			log.Error("shutdown", "err", err)
		}
	}
	return 0
}
