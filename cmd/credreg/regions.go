package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"

	"credreg/fixtures"
	"credreg/registry"
	"credreg/schema"
)

const regionsUsage = `Usage:
  credreg regions list [--store URL]
  credreg regions add  [--store URL] [--agency CTID|NAME] [--alt SPELLING]... NAME

The registry's list of regions: the regions a value designation can be for
(Statewide, and the state's workforce regions, which agencies add). Imports
match a sheet's region column against it loosely (case, punctuation, the
words "Region" or "Workforce Region", the other spellings given with --alt)
and write the region's name as the list has it.
`

// stringsFlag collects a repeated flag.
type stringsFlag []string

func (f *stringsFlag) String() string     { return strings.Join(*f, ", ") }
func (f *stringsFlag) Set(v string) error { *f = append(*f, v); return nil }

// regionsCmd runs "credreg regions".
func regionsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "--help" || args[0] == "-h" {
		fmt.Fprint(stderr, regionsUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	sub := args[0]
	fs := flag.NewFlagSet("credreg regions "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	store := fs.String("store", envOr("CREDREG_STORE", "badger://./credreg-data"), "the store (env CREDREG_STORE); not while a server holds it")
	var agency string
	var alt stringsFlag
	if sub == "add" {
		fs.StringVar(&agency, "agency", envOr("CREDREG_AGENCY", ""), "the agency adding the region: its CTID or exact name, named in the change log (env CREDREG_AGENCY; default \"credreg regions\")")
		fs.Var(&alt, "alt", "another spelling of the region that sheets use (repeat for several)")
	}
	fs.Usage = func() { fmt.Fprint(stderr, regionsUsage+"\nFlags:\n"); fs.PrintDefaults() }
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	switch sub {
	case "list":
		if fs.NArg() > 0 {
			fmt.Fprint(stderr, "credreg regions list: takes no arguments\n")
			return 2
		}
	case "add":
		if fs.NArg() != 1 || strings.TrimSpace(fs.Arg(0)) == "" {
			fmt.Fprint(stderr, "credreg regions add: give the region's NAME (quoted), e.g. credreg regions add --agency \"Heartland Workforce Commission\" --alt \"River Valley\" \"River Valley Workforce Region\"\n")
			return 2
		}
	default:
		fmt.Fprintf(stderr, "credreg regions: unknown command %q\n\n%s", sub, regionsUsage)
		return 2
	}
	base, _ := schema.NewBase("http://127.0.0.1:8080")
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	st, err := registry.Open(ctx, *store, registry.Options{Base: base, AdoptStoredBase: true, Logger: log})
	if err != nil {
		fmt.Fprintf(stderr, "credreg regions: %v\n", err)
		return 1
	}
	defer st.Close()
	if _, err := fixtures.Load(ctx, st, fixtures.Options{Logger: log}); err != nil {
		fmt.Fprintf(stderr, "credreg regions: %v\n", err)
		return 1
	}
	scheme := st.Base().Scheme(schema.SchemeRegions)
	switch sub {
	case "list":
		members, err := st.Members(ctx, scheme)
		if err != nil {
			fmt.Fprintf(stderr, "credreg regions list: %v\n", err)
			return 1
		}
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "REGION\tOTHER SPELLINGS\tIRI")
		for _, m := range members {
			alts, err := st.Objects(ctx, m.Link, schema.AltLabel)
			if err != nil {
				fmt.Fprintf(stderr, "credreg regions list: %v\n", err)
				return 1
			}
			var names []string
			for _, a := range alts {
				names = append(names, registry.Lexical(a))
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", m.Text, strings.Join(names, "; "), m.Link)
		}
		_ = tw.Flush()
	case "add":
		actor := "credreg regions"
		if agency != "" {
			if actor, err = st.FindOrganization(ctx, agency); err != nil {
				fmt.Fprintf(stderr, "credreg regions add: --agency: %v\n", err)
				return 1
			}
		}
		rec := fixtures.RegionRecord(st.Base(), fs.Arg(0), alt)
		if _, err := st.Get(ctx, rec.IRI); err == nil {
			fmt.Fprintf(stderr, "credreg regions add: the list already holds %s (%s)\n", fs.Arg(0), rec.IRI)
			return 1
		} else if !errors.Is(err, registry.ErrNotFound) {
			fmt.Fprintf(stderr, "credreg regions add: %v\n", err)
			return 1
		}
		if _, err := st.Put(ctx, actor, rec); err != nil {
			fmt.Fprintf(stderr, "credreg regions add: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "added %s: %s\n", strings.TrimSpace(fs.Arg(0)), rec.IRI)
	}
	return 0
}
