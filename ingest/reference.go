package ingest

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/cayleygraph/quad"

	"credreg/registry"
	"credreg/schema"
)

// maxDanglingChecks caps the links one import checks for a record to
// point at, so that a document linking to many thousands of others does
// not cost as many reads.
const maxDanglingChecks = 10_000

// resolveReferences settles the batch's references: one the batch also
// describes whole gains what it lacks from the reference; one the store
// holds gains the properties its node lacks (a merge that replaces
// nothing), or nothing for CreateOnly ones; one named nowhere is created
// when its description is a whole record, and otherwise stays a link.
// It returns the records to write beside the batch's own.
func (r *runner) resolveReferences() ([]registry.Record, error) {
	var out []registry.Record
	for _, iri := range r.refOrder {
		ref := r.refs[iri]
		if full, ok := r.recs[iri]; ok {
			r.rep.References.Resolved++
			if ref.CreateOnly || full.Merge {
				continue
			}
			add := missingOf(iri, full.Quads, ref.Record.Quads)
			if len(add) == 0 {
				continue
			}
			combined := append(append([]quad.Quad(nil), full.Quads...), add...)
			if len(r.store.Validate(registry.Record{IRI: iri, Quads: combined})) == 0 {
				full.Quads = combined
				r.rep.References.Extended++
			}
			continue
		}
		stored, err := r.stored(iri)
		switch {
		case err == nil && stored != nil:
			r.rep.References.Resolved++
			if ref.CreateOnly || stored.Retired() {
				continue
			}
			add := missingOf(iri, stored.Quads, ref.Record.Quads)
			if len(add) == 0 {
				continue
			}
			union := append(append([]quad.Quad(nil), stored.Quads...), add...)
			if ps := r.store.Validate(registry.Record{IRI: iri, Quads: union}); len(ps) > 0 {
				r.warn(ref, fmt.Sprintf("named inside another record; linked to the stored record, left as it is (what this input adds to it would make it invalid: %v)", ps))
				continue
			}
			out = append(out, registry.Record{IRI: iri, Quads: add, Merge: true}) // counted when written
		case err == nil:
			if ps := r.store.Validate(ref.Record); len(ps) > 0 {
				r.rep.References.Dangling++
				r.checked[iri] = true // counted here, not again as a link
				r.warn(ref, fmt.Sprintf("named inside another record, which links to it; the registry holds no such record and this description is not a whole one (%v), so none was made", ps))
				continue
			}
			rec := ref.Record
			rec.IfMatch = registry.NoRecord // made here, or left to another write that made it first
			out = append(out, rec)          // counted when written
		default:
			return nil, fmt.Errorf("import %s: read %s: %w", r.src.Name(), iri, err)
		}
	}
	return out, nil
}

// dropMadeMeanwhile takes out of extra the references it would create
// (IfMatch registry.NoRecord) that another write has created since
// resolveReferences found them absent: they are linked to as stored,
// with a warning. It reports whether it took any out.
func (r *runner) dropMadeMeanwhile(extra []registry.Record) ([]registry.Record, bool, error) {
	out := extra[:0:0]
	dropped := false
	for _, rec := range extra {
		if rec.IfMatch == registry.NoRecord {
			_, err := r.store.Get(r.ctx, rec.IRI)
			if err == nil {
				dropped = true
				r.rep.References.Resolved++
				if ref, ok := r.refs[rec.IRI]; ok {
					r.warn(ref, "named inside another record; another write created it while this import ran, so it is linked to as that write stored it")
				}
				continue
			}
			if !errors.Is(err, registry.ErrNotFound) {
				return nil, false, fmt.Errorf("import %s: read %s: %w", r.src.Name(), rec.IRI, err)
			}
		}
		out = append(out, rec)
	}
	return out, dropped, nil
}

// referencesWritten counts and tells the references a batch wrote (or
// would write, in a dry run): extra as it was written, after what failed
// was taken out. They are counted here, not when resolveReferences made
// them, so that a write the registry refused is never reported as done.
func (r *runner) referencesWritten(extra []registry.Record) {
	for _, rec := range extra {
		if !rec.Merge {
			r.rep.References.Created++
			continue
		}
		r.rep.References.Extended++
		if ref, ok := r.refs[rec.IRI]; ok {
			r.warn(ref, fmt.Sprintf("named inside another record with %d statements; linked to the stored record, which gained the %s it lacked and is otherwise left as it is", len(ref.Record.Quads), propertyList(rec.IRI, rec.Quads)))
		}
	}
}

func (r *runner) warn(ref *Reference, msg string) {
	r.warning(Problem{File: r.src.Name(), Row: ref.row, Column: "@id", Value: ref.Record.IRI, Message: msg})
}

// propertyList names the properties of the record's node among quads.
func propertyList(iri string, quads []quad.Quad) string {
	seen := map[string]bool{}
	var names []string
	for _, q := range quads {
		if q.Subject != quad.IRI(iri) {
			continue
		}
		n := schema.Compact(string(q.Predicate.(quad.IRI)))
		if !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	sort.Strings(names)
	if len(names) == 1 {
		return "property " + names[0]
	}
	return "properties " + strings.Join(names, ", ")
}

// withMissing returns have with the statements of extra that give its
// record's node a property it has none of, with the fragment nodes those
// statements lead to.
func withMissing(iri string, have, extra []quad.Quad) []quad.Quad {
	return append(have, missingOf(iri, have, extra)...)
}

// missingOf returns the statements of extra about properties the node iri
// has none of in have, with the fragment nodes ("iri#…") they lead to
// that have does not describe.
func missingOf(iri string, have, extra []quad.Quad) []quad.Quad {
	root := quad.IRI(iri)
	props := map[quad.Value]bool{}
	described := map[quad.Value]bool{}
	for _, q := range have {
		described[q.Subject] = true
		if q.Subject == root {
			props[q.Predicate] = true
		}
	}
	bySubject := map[quad.Value][]quad.Quad{}
	for _, q := range extra {
		bySubject[q.Subject] = append(bySubject[q.Subject], q)
	}
	var out []quad.Quad
	var queue []quad.Value
	queued := map[quad.Value]bool{}
	follow := func(o quad.Value) {
		if iri, ok := o.(quad.IRI); ok && strings.HasPrefix(string(iri), string(root)+"#") && !described[o] && !queued[o] {
			queued[o] = true
			queue = append(queue, o)
		}
	}
	for _, q := range bySubject[root] {
		if props[q.Predicate] {
			continue
		}
		out = append(out, q)
		follow(q.Object)
	}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, q := range bySubject[n] {
			out = append(out, q)
			follow(q.Object)
		}
	}
	return out
}

// danglingLinks counts the links of the batch's records to credreg
// resources that neither the batch nor the store holds, and reports them
// once per linking record.
func (r *runner) danglingLinks(recs []registry.Record) error {
	base := r.store.Base()
	inBatch := map[string]bool{}
	for _, rec := range recs {
		inBatch[rec.IRI] = true
	}
	for _, rec := range recs {
		var missing []string
		for _, q := range rec.Quads {
			o, ok := q.Object.(quad.IRI)
			if !ok || q.Predicate == quad.IRI(schema.SameAs) || inBatch[string(o)] || r.checked[string(o)] {
				continue
			}
			if c := ctidOfIRI(base, string(o)); c == "" || base.Resource(c) != string(o) {
				continue
			}
			if len(r.checked) >= maxDanglingChecks {
				break
			}
			r.checked[string(o)] = true
			_, err := r.store.Get(r.ctx, string(o))
			switch {
			case errors.Is(err, registry.ErrNotFound):
				r.rep.References.Dangling++
				missing = append(missing, string(o))
			case err != nil:
				return fmt.Errorf("import %s: read %s: %w", r.src.Name(), o, err)
			}
		}
		if len(missing) == 0 {
			continue
		}
		list := missing
		if len(list) > 3 {
			list = list[:3]
		}
		more := ""
		if len(missing) > len(list) {
			more = fmt.Sprintf(" and %d more", len(missing)-len(list))
		}
		r.warning(Problem{File: r.src.Name(), Column: "@id", Value: rec.IRI,
			Message: fmt.Sprintf("links to %d resources the registry does not hold (yet): %s%s; the links are kept and resolve once those are imported", len(missing), strings.Join(list, ", "), more)})
	}
	return nil
}
