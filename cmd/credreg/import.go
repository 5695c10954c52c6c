package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"credreg/catalog"
	"credreg/ingest"
	"credreg/ingest/seed"
	"credreg/registry"
	"credreg/schema"
)

// importCmd runs "credreg import".
func importCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("credreg import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	store := fs.String("store", envOr("CREDREG_STORE", "badger://./credreg-data"), "the store to import into (env CREDREG_STORE); not while a server holds it")
	baseFlag := fs.String("base", envOr("CREDREG_BASE", ""), "base IRI for a new store (env CREDREG_BASE; default: the store's own)")
	agency := fs.String("agency", envOr("CREDREG_AGENCY", ""), "the agency importing: its CTID or name; it designates the rows' credentials and is named in the change log (env CREDREG_AGENCY)")
	mappingPath := fs.String("mapping", "", "a JSON or YAML file mapping the sheet's headers and spellings to credreg's fields")
	sheet := fs.String("sheet", "", "the worksheet of an XLSX workbook to read: its name or its position, 1 for the first; default the first visible one (`NAME|N`)")
	format := fs.String("format", "", "csv, xlsx, ctdl or nquads (default: from each file's extension; required for -)")
	dryRun := fs.Bool("dry-run", false, "validate and report without writing")
	atomic := fs.Bool("atomic", false, "all of each file or none of it: check every row first (a dry run) and write only when all pass")
	reportPath := fs.String("report", "", "write the full report as JSON to this file")
	quiet := fs.Bool("quiet", false, "no progress lines")
	newAgency := fs.Bool("new-agency", false, "let --agency or the sheet's Agency column name an organization the registry does not hold yet, and create it as an agency (without it, such a name is an error with the closest names)")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: credreg import [flags] FILE...

Imports agencies' data into the registry: spreadsheets (.csv, .xlsx) in the
default column layout or mapped with --mapping, Credential Engine CTDL
JSON-LD (.json, .jsonld) and N-Quads/N-Triples (.nq, .nt). "-" reads
standard input (give --format). Valid rows import even when others fail;
every problem is reported with its file, row, column and value. Rows are
written in atomic batches: re-running an import finishes an interrupted one
and writes only what changed.

Exit status: 0 all rows imported, 1 some rows failed or the import stopped,
2 bad usage.

Flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	files := fs.Args()
	if len(files) == 0 {
		fmt.Fprintln(stderr, "credreg import: name at least one FILE (or - for standard input)")
		return 2
	}
	for _, f := range files {
		if *format == "" {
			if _, ok := ingest.FormatOfFile(f); !ok {
				fmt.Fprintf(stderr, "credreg import: %s: cannot tell the format from the name; give --format (%v)\n", f, ingest.Formats)
				return 2
			}
		}
	}
	var mapping *ingest.Mapping
	if *mappingPath != "" {
		m, err := ingest.LoadMapping(*mappingPath)
		if err != nil {
			fmt.Fprintf(stderr, "credreg import: %v\n", err)
			return 2
		}
		mapping = m
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	base, err := schema.NewBase(*baseFlag)
	if *baseFlag == "" {
		base, err = schema.NewBase("http://127.0.0.1:8080")
	}
	if err != nil {
		fmt.Fprintf(stderr, "credreg import: --base: %v\n", err)
		return 2
	}
	st, err := registry.Open(ctx, *store, registry.Options{Base: base, AdoptStoredBase: *baseFlag == "", BulkLoad: true, Logger: log})
	if errors.Is(err, registry.ErrLocked) {
		fmt.Fprintf(stderr, "credreg import: %v\n\nA running server holds the store. Import over HTTP with an agency's token:\n  curl -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: text/csv' --data-binary @sheet.csv http://HOST/import\nor stop the server and run credreg import again.\n", err)
		return 1
	}
	if err != nil {
		fmt.Fprintf(stderr, "credreg import: %v\n", err)
		return 1
	}
	defer st.Close()
	// The reference data (the Framework, the code lists) is brought up to
	// date first, as a server does at start.
	if _, err := seed.Load(ctx, st, seed.Options{Logger: log}); err != nil {
		fmt.Fprintf(stderr, "credreg import: %v\n", err)
		return 1
	}
	// The catalog matches the credentials of the input with the stored
	// ones; closed before the store.
	cat := catalog.New(st, catalog.Options{Logger: log})
	defer cat.Close()
	res, err := ingest.NewResolver(ctx, cat)
	if err != nil {
		fmt.Fprintf(stderr, "credreg import: %v\n", err)
		return 1
	}
	// With --agency the import writes for that agency, under the rule
	// every write path applies (registry.Authorize); without it, for the
	// registry's operator.
	actor, principal := "credreg import", ""
	if *agency != "" {
		actor = *agency
		if iri, _, ok := res.Agency(*agency); ok {
			principal = iri
		} else if *newAgency {
			principal, _, _ = res.Organization(*agency)
		}
		if principal != "" {
			actor = principal
		}
	}
	var reports []*ingest.Report
	failed := false
	for _, f := range files {
		rep, err := importFile(ctx, cat, f, *format, ingest.Config{
			Base:  st.Base(),
			Sheet: ingest.SheetOptions{Agency: *agency, Mapping: mapping, Resolver: res, NewAgency: *newAgency, Sheet: *sheet},
		}, ingest.Options{Actor: actor, Agency: principal, DryRun: *dryRun, Logger: log}, *atomic, *quiet, stderr)
		if err != nil {
			fmt.Fprintf(stderr, "credreg import: %v\n", err)
			failed = true
			if rep == nil {
				continue
			}
		}
		reports = append(reports, rep)
		ingest.WriteTable(stdout, rep, 100)
		ingest.WriteWarnings(stdout, rep, 20)
		ingest.WriteClasses(stdout, rep)
		if !rep.OK() {
			failed = true
		}
	}
	if *reportPath != "" {
		b, _ := json.MarshalIndent(map[string]any{"reports": reports}, "", "  ")
		if err := os.WriteFile(*reportPath, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintf(stderr, "credreg import: write report: %v\n", err)
			return 1
		}
	}
	if failed {
		return 1
	}
	return 0
}

func importFile(ctx context.Context, cat *catalog.Catalog, name, format string, cfg ingest.Config, opts ingest.Options, atomic, quiet bool, stderr io.Writer) (*ingest.Report, error) {
	st := cat.Store()
	if format == "" {
		format, _ = ingest.FormatOfFile(name)
	}
	var r io.Reader
	var size int64
	if name == "-" {
		r = os.Stdin
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if fi, err := f.Stat(); err == nil {
			size = fi.Size()
		}
		r = f
	}
	if !quiet {
		opts.Progress = ingest.NewProgress(stderr, name)
	}
	if atomic {
		if name == "-" {
			return nil, errors.New("--atomic reads the input twice (a check, then the writes): give a file, not -")
		}
		// Each reading opens the file again, with a resolver of its own
		// (it learns the organizations the input creates).
		open := func() (ingest.Source, error) {
			f, err := os.Open(name)
			if err != nil {
				return nil, err
			}
			res, err := ingest.NewResolver(ctx, cat)
			if err != nil {
				f.Close()
				return nil, err
			}
			c := cfg
			c.Sheet.Resolver = res
			src, err := ingest.NewSource(format, name, f, size, c)
			if err != nil {
				f.Close()
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			return closingSource{src, f}, nil
		}
		return ingest.RunAtomic(ctx, st, open, format, opts)
	}
	src, err := ingest.NewSource(format, name, r, size, cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return ingest.Run(ctx, st, src, format, opts)
}

// closingSource closes its file when the import is done with it (Run
// closes a Source that is an io.Closer).
type closingSource struct {
	ingest.Source
	f *os.File
}

func (c closingSource) Close() error {
	if cl, ok := c.Source.(io.Closer); ok {
		cl.Close()
	}
	return c.f.Close()
}
