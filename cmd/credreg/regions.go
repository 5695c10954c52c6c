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

	"github.com/cayleygraph/quad"

	"credreg/catalog"
	"credreg/ingest"
	"credreg/ingest/seed"
	"credreg/rdf"
	"credreg/registry"
	"credreg/schema"
)

const regionsUsage = `Usage:
  credreg regions list [--store URL]
  credreg regions add  [--store URL] [--agency CTID|NAME] [--alt SPELLING]... NAME

The registry's list of regions: the regions a value designation can be for
(Statewide, and the state's workforce regions, which agencies add; "add"
on a region the list holds adds the spellings given). Imports
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
	st, err := registry.Open(ctx, *store, registry.Options{Base: base, AdoptStoredBase: true, MustExist: true, Logger: log})
	if err != nil {
		fmt.Fprintf(stderr, "credreg regions: %v\n", err)
		return 1
	}
	defer st.Close()
	if _, err := seed.Load(ctx, st, seed.Options{Logger: log}); err != nil {
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
				names = append(names, rdf.Lexical(a))
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
		name := strings.TrimSpace(fs.Arg(0))
		cat := catalog.New(st, catalog.Options{Logger: log})
		defer cat.Close()
		res, err := ingest.NewResolver(ctx, cat)
		if err != nil {
			fmt.Fprintf(stderr, "credreg regions add: %v\n", err)
			return 1
		}
		// Each spelling names one region: a name or spelling another
		// region answers to would make imports guess.
		existing, _, isRegion := res.Region(name)
		for _, a := range alt {
			if other, _, ok := res.Region(a); ok && (!isRegion || other != existing) {
				fmt.Fprintf(stderr, "credreg regions add: %q already names the region %q; each spelling names one region\n", a, other)
				return 1
			}
		}
		if isRegion && schema.NameKey(existing) != schema.NameKey(name) {
			fmt.Fprintf(stderr, "credreg regions add: %q already names the region %q; give that name to add spellings to it\n", name, existing)
			return 1
		}
		rec := seed.RegionRecord(st.Base(), name, alt)
		verb := "added"
		if isRegion {
			// Another spelling for a region the list holds: its record
			// gains it.
			iri := ""
			members, err := st.Members(ctx, st.Base().Scheme(schema.SchemeRegions))
			if err != nil {
				fmt.Fprintf(stderr, "credreg regions add: %v\n", err)
				return 1
			}
			for _, m := range members {
				if m.Text == existing {
					iri = m.Link
				}
			}
			old, err := st.Get(ctx, iri)
			if err != nil {
				fmt.Fprintf(stderr, "credreg regions add: %v\n", err)
				return 1
			}
			rec = registry.Record{IRI: old.IRI, Quads: old.Quads}
			for _, a := range alt {
				rec.Quads = append(rec.Quads, quad.Quad{Subject: quad.IRI(old.IRI), Predicate: quad.IRI(schema.AltLabel), Object: quad.String(strings.TrimSpace(a))})
			}
			verb = "updated"
		}
		c, err := st.Put(ctx, actor, rec)
		if err != nil {
			fmt.Fprintf(stderr, "credreg regions add: %v\n", err)
			return 1
		}
		if c.Seq == 0 {
			verb = "unchanged"
		}
		fmt.Fprintf(stdout, "%s %s: %s\n", verb, name, rec.IRI)
	}
	return 0
}
