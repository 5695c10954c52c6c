// Package seed turns credreg's embedded data (package fixtures) into
// records and seeds a store with it: the reference data every registry
// starts with, brought up to date at every start (Load), and the invented
// sample, which comes only when asked for.
//
// The reference data is the modernized National Career Clusters Framework
// (14 Clusters and their Sub-Clusters, crosswalked to SOC, NAICS and CIP),
// the complete SOC 2018, NAICS 2022 and CIP 2020 code lists (built from the
// tables schema generates from the official lists), credreg's value
// criteria and the registry's list of regions. Each of its concept schemes
// carries a version (owl:versionInfo); a newer binary with newer reference
// data updates the schemes in place when it opens a store, without touching
// any agency's record.
package seed

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/cayleygraph/quad"

	"credreg/fixtures"
	"credreg/rdf"
	"credreg/registry"
	"credreg/schema"
)

// Actor is the change-log actor of the sample's writes.
const Actor = "credreg-fixtures"

// ReferenceActor is the change-log actor of reference data writes.
const ReferenceActor = "credreg-reference"

// Scheme is one concept scheme of the reference data: its records and the
// version of their content.
type Scheme struct {
	// Name is the scheme's name in its IRI ("soc", "career-clusters").
	Name string
	// Version identifies the content: it changes when any record does.
	Version string
	// Records are the scheme's own record first, then its concepts.
	Records []registry.Record
}

// fileSchemes are the reference schemes kept as JSON-LD files, and
// codeSchemes those built from schema's generated code lists.
var (
	fileSchemes = []string{schema.SchemeCareerClusters, schema.SchemeValueCriteria, schema.SchemeRegions}
	codeSchemes = []string{schema.SchemeSOC, schema.SchemeNAICS, schema.SchemeCIP}
)

// versions returns each reference scheme's version, without building its
// records: what a start compares with the store.
func versions() (map[string]string, error) {
	out := map[string]string{}
	for _, name := range fileSchemes {
		b, err := fixtures.Files.ReadFile("data/reference/" + name + ".jsonld")
		if err != nil {
			return nil, fmt.Errorf("seed: %s: %w", name, err)
		}
		out[name] = fileVersion(b)
	}
	for _, name := range codeSchemes {
		out[name] = schema.CodeListVersion(name)
	}
	return out, nil
}

func fileVersion(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:8])
}

// Reference returns the reference data for the registry at base, a Scheme
// each, the scheme record carrying the version as owl:versionInfo.
func Reference(base schema.Base) ([]Scheme, error) {
	var out []Scheme
	for _, name := range fileSchemes {
		file := "data/reference/" + name + ".jsonld"
		b, err := fixtures.Files.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("seed: %s: %w", file, err)
		}
		recs, err := parse(base, file, b)
		if err != nil {
			return nil, err
		}
		out = append(out, versioned(base, name, fileVersion(b), recs))
	}
	for _, name := range codeSchemes {
		out = append(out, versioned(base, name, schema.CodeListVersion(name), codeList(base, name)))
	}
	return out, nil
}

// versioned puts the scheme's record first and gives it the version.
func versioned(base schema.Base, name, version string, recs []registry.Record) Scheme {
	scheme := base.Scheme(name)
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].IRI == scheme && recs[j].IRI != scheme })
	if len(recs) > 0 && recs[0].IRI == scheme {
		recs[0].Quads = append(recs[0].Quads, quad.Quad{Subject: quad.IRI(scheme), Predicate: quad.IRI(schema.VersionInfo), Object: quad.String(version)})
	}
	return Scheme{Name: name, Version: version, Records: recs}
}

// codeList builds the records of an official code list: the scheme, and a
// concept per code with its title, notation and broader code.
func codeList(base schema.Base, name string) []registry.Record {
	scheme := base.Scheme(name)
	codes := schema.CodeList(name)
	recs := make([]registry.Record, 0, len(codes)+1)
	head := []quad.Quad{
		registry.Statement(scheme, schema.RDFType, schema.ClassConceptScheme),
		{Subject: quad.IRI(scheme), Predicate: quad.IRI(schema.Title), Object: quad.String(schema.CodeListTitle(name))},
		{Subject: quad.IRI(scheme), Predicate: quad.IRI(schema.Source), Object: quad.String(schema.CodeListSource(name))},
	}
	for _, c := range codes {
		iri := base.Concept(name, c.Notation)
		s := quad.IRI(iri)
		q := []quad.Quad{
			registry.Statement(iri, schema.RDFType, schema.ClassConcept),
			{Subject: s, Predicate: quad.IRI(schema.PrefLabel), Object: quad.String(c.Title)},
			{Subject: s, Predicate: quad.IRI(schema.Notation), Object: quad.String(c.Notation)},
			registry.Statement(iri, schema.InScheme, scheme),
		}
		if c.Parent != "" {
			q = append(q, registry.Statement(iri, schema.Broader, base.Concept(name, c.Parent)))
		} else {
			q = append(q, registry.Statement(iri, schema.TopConceptOf, scheme))
			head = append(head, registry.Statement(scheme, schema.HasTopConcept, iri))
		}
		recs = append(recs, registry.Record{IRI: iri, Quads: q})
	}
	return append([]registry.Record{{IRI: scheme, Quads: head}}, recs...)
}

// Sample returns the invented sample registry's records.
func Sample(base schema.Base) ([]registry.Record, error) {
	names, err := fs.Glob(fixtures.Files, "data/sample/*.jsonld")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var all []registry.Record
	for _, name := range names {
		b, err := fixtures.Files.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("seed: %s: %w", name, err)
		}
		recs, err := parse(base, name, b)
		if err != nil {
			return nil, err
		}
		all = append(all, recs...)
	}
	return all, nil
}

// Records returns every record of the reference data, and of the sample
// too when sample is set.
func Records(base schema.Base, sample bool) ([]registry.Record, error) {
	ref, err := Reference(base)
	if err != nil {
		return nil, err
	}
	var all []registry.Record
	for _, s := range ref {
		all = append(all, s.Records...)
	}
	if sample {
		recs, err := Sample(base)
		if err != nil {
			return nil, err
		}
		all = append(all, recs...)
	}
	return all, nil
}

func parse(base schema.Base, name string, b []byte) ([]registry.Record, error) {
	quads, err := rdf.ParseJSONLD(base, b)
	if err != nil {
		return nil, fmt.Errorf("seed: %s: %w", path.Base(name), err)
	}
	recs, problems := registry.GroupRecords(quads)
	if len(problems) > 0 {
		return nil, fmt.Errorf("seed: %s: %w", path.Base(name), problems)
	}
	return recs, nil
}

// Options configures Load.
type Options struct {
	// Sample loads the invented sample registry too, when the store is
	// empty.
	Sample bool
	// Logger receives what was loaded or updated; nil means slog.Default().
	Logger *slog.Logger
}

// Loaded says what Load did.
type Loaded struct {
	// Updated lists the reference schemes written ("soc 2018 …"), with
	// the versions they replaced.
	Updated []SchemeUpdate
	// Records counts the records written.
	Records int
	// Sample is set when the sample was loaded.
	Sample bool
}

// SchemeUpdate is one reference scheme Load brought up to date.
type SchemeUpdate struct {
	Scheme, From, To string
	Records          int
}

// Load brings the store's reference data up to date and, when opts.Sample
// is set and the store holds nothing but reference data, loads the sample.
//
// A scheme whose stored version (owl:versionInfo on its record) differs
// from this binary's is written again: its records that changed are
// replaced and new ones added, in atomic batches, the scheme's own record
// last, so that an interrupted update is finished at the next start. No
// other record is written; a stored concept the new list no longer holds
// is kept as it is, and counted in the log.
func Load(ctx context.Context, store *registry.Store, opts Options) (Loaded, error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	var out Loaded
	empty := store.Sequence() == 0
	start := time.Now()
	// A start on a store whose reference data is current compares six
	// versions and builds nothing.
	want, err := versions()
	if err != nil {
		return out, err
	}
	current := true
	for name, v := range want {
		stored, err := storedVersion(ctx, store, store.Base().Scheme(name))
		if err != nil {
			return out, err
		}
		current = current && stored == v
	}
	var ref []Scheme
	if !current {
		if ref, err = Reference(store.Base()); err != nil {
			return out, err
		}
	}
	for _, s := range ref {
		stored, err := storedVersion(ctx, store, s.Records[0].IRI)
		if err != nil {
			return out, err
		}
		if stored == s.Version {
			continue
		}
		// Concepts first, the scheme record (with the version) last.
		n, err := putAll(ctx, store, ReferenceActor, append(append([]registry.Record(nil), s.Records[1:]...), s.Records[0]))
		if err != nil {
			return out, fmt.Errorf("seed: reference scheme %s: %w", s.Name, err)
		}
		out.Records += n
		out.Updated = append(out.Updated, SchemeUpdate{Scheme: s.Name, From: stored, To: s.Version, Records: n})
		if s.Name == schema.SchemeRegions && stored == "" && !empty {
			// A store from before the list of regions: the regions its
			// designations name become the list's first entries.
			added, err := regionsInUse(ctx, store)
			if err != nil {
				return out, err
			}
			out.Records += added
			if added > 0 {
				log.Info("regions named by stored designations added to the list of regions", "regions", added)
			}
		}
		if stored != "" {
			kept, err := conceptsNotIn(ctx, store, s)
			if err != nil {
				return out, err
			}
			log.Info("reference data updated", "scheme", s.Name, "from", stored, "to", s.Version, "records_written", n, "concepts_not_in_new_list_kept", kept)
		} else if !empty {
			log.Info("reference data added", "scheme", s.Name, "version", s.Version, "records_written", n)
		}
	}
	if empty {
		log.Info("loaded reference data", "schemes", len(ref), "records", out.Records, "duration", time.Since(start).Round(time.Millisecond))
	}
	if opts.Sample {
		if !empty {
			onlyRef, err := onlyReference(ctx, store)
			if err != nil {
				return out, err
			}
			if !onlyRef {
				log.Warn("the sample is not loaded: the store holds agencies' data (the sample loads only into a store holding nothing or the reference data alone)")
				return out, nil
			}
		}
		recs, err := Sample(store.Base())
		if err != nil {
			return out, err
		}
		n, err := putAll(ctx, store, Actor, recs)
		if err != nil {
			return out, fmt.Errorf("seed: sample: %w", err)
		}
		out.Records += n
		out.Sample = true
		log.Info("loaded the sample registry", "records", n)
	}
	return out, nil
}

// RegionIRI returns the IRI of the region named name in the registry's
// list: its notation is the name folded to lower-case words joined by
// hyphens.
func RegionIRI(base schema.Base, name string) string {
	slug := strings.ReplaceAll(schema.NameKey(name), " ", "-")
	if len(slug) > 64 {
		slug = strings.TrimRight(slug[:64], "-")
	}
	return base.Concept(schema.SchemeRegions, slug)
}

// RegionRecord returns the record of a region of the registry's list: a
// concept of the regions scheme with its name, other spellings and
// notation, narrower than Statewide.
func RegionRecord(base schema.Base, name string, alt []string) registry.Record {
	iri := RegionIRI(base, name)
	s := quad.IRI(iri)
	q := []quad.Quad{
		registry.Statement(iri, schema.RDFType, schema.ClassConcept),
		{Subject: s, Predicate: quad.IRI(schema.PrefLabel), Object: quad.String(strings.TrimSpace(name))},
		{Subject: s, Predicate: quad.IRI(schema.Notation), Object: quad.String(iri[strings.LastIndexByte(iri, '/')+1:])},
		registry.Statement(iri, schema.InScheme, base.Scheme(schema.SchemeRegions)),
		registry.Statement(iri, schema.Broader, base.Concept(schema.SchemeRegions, "statewide")),
	}
	for _, a := range alt {
		if a = strings.TrimSpace(a); a != "" {
			q = append(q, quad.Quad{Subject: s, Predicate: quad.IRI(schema.AltLabel), Object: quad.String(a)})
		}
	}
	return registry.Record{IRI: iri, Quads: q}
}

// regionsInUse adds to the list of regions those the stored designations
// name that it lacks.
func regionsInUse(ctx context.Context, store *registry.Store) (int, error) {
	// The designations' regions: credreg:region on a record's own node.
	inUse := map[string]bool{}
	err := store.ScanRecords(ctx, map[quad.IRI]bool{quad.IRI(schema.Region): true}, func(q quad.Quad) error {
		if q.Subject == q.Label {
			inUse[rdf.Lexical(q.Object)] = true
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("seed: read the regions in use: %w", err)
	}
	var recs []registry.Record
	for _, name := range slices.Sorted(maps.Keys(inUse)) {
		if schema.NameKey(name) == "statewide" || strings.TrimSpace(name) == "" {
			continue
		}
		rec := RegionRecord(store.Base(), name, nil)
		if _, err := store.Get(ctx, rec.IRI); err == nil {
			continue
		}
		recs = append(recs, rec)
	}
	return putAll(ctx, store, ReferenceActor, recs)
}

// onlyReference reports whether every change the store logged is a write
// of the reference data.
func onlyReference(ctx context.Context, store *registry.Store) (bool, error) {
	for since := uint64(0); ; {
		changes, err := store.Changes(ctx, since, 1000)
		if err != nil {
			return false, fmt.Errorf("seed: read the change log: %w", err)
		}
		if len(changes) == 0 {
			return true, nil
		}
		for _, c := range changes {
			if c.Actor != ReferenceActor {
				return false, nil
			}
			since = c.Seq
		}
	}
}

// storedVersion reads a scheme record's owl:versionInfo, "" when the record
// or the version is absent.
func storedVersion(ctx context.Context, store *registry.Store, scheme string) (string, error) {
	rec, err := store.Get(ctx, scheme)
	if errors.Is(err, registry.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("seed: read %s: %w", scheme, err)
	}
	for _, q := range rec.Quads {
		if q.Subject == quad.IRI(scheme) && q.Predicate == quad.IRI(schema.VersionInfo) {
			return rdf.Lexical(q.Object), nil
		}
	}
	return "", nil
}

// conceptsNotIn counts the stored members of s that s no longer holds.
func conceptsNotIn(ctx context.Context, store *registry.Store, s Scheme) (int, error) {
	have := map[string]bool{}
	for _, r := range s.Records {
		have[r.IRI] = true
	}
	members, err := store.Members(ctx, s.Records[0].IRI)
	if err != nil {
		return 0, fmt.Errorf("seed: read %s: %w", s.Name, err)
	}
	n := 0
	for _, m := range members {
		if !have[schema.RecordIRI(m.Link)] {
			n++
		}
	}
	return n, nil
}

// putAll writes recs in batches of the store's preferred size and returns the
// number of records that changed.
func putAll(ctx context.Context, store *registry.Store, actor string, recs []registry.Record) (int, error) {
	n := 0
	for len(recs) > 0 {
		size, i := 0, 0
		for ; i < len(recs); i++ {
			q := len(recs[i].Quads) + registry.BookkeepingQuads
			if i > 0 && size+q > registry.PreferredBatchQuads {
				break
			}
			size += q
		}
		changes, err := store.PutBatch(ctx, actor, recs[:i])
		if err != nil {
			return n, err
		}
		for _, c := range changes {
			if c.Seq > 0 {
				n++
			}
		}
		recs = recs[i:]
	}
	return n, nil
}
