package catalog

// The umbrella list's index: credentials, their value designations and the
// names of what they link to, held in memory so that the list's filters,
// full-text search and paging never walk quads. It is built from one scan
// of the store on first use and kept current by every write, under the
// store's write lock, so a list read after a write sees it.

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cayleygraph/quad"

	"credreg/rdf"
	"credreg/registry"
	"credreg/schema"
)

// Facets a credential or a designation is indexed under.
const (
	facetSOC byte = iota
	facetCIP
	facetNAICS
	facetCompetency
	facetType
	credFacetCount // the facets above are the credential's own

	facetCluster // a designation's Cluster or Sub-Cluster
	facetAgency
	facetRegion // NameKey of the region
	facetCriterion
)

// facetKey is a facet and an interned value (see listIndex.id).
type facetKey struct {
	facet byte
	value uint32
}

// credSlot holds what the index knows under one credential IRI: the
// credential (nil until its record is indexed) and its designations. A
// slot lives while either does, so designations keep pointing at it when
// the credential's record is replaced.
type credSlot struct {
	iri    string
	entry  *credEntry
	desigs []*desigEntry
}

// credEntry is one credential of the index.
type credEntry struct {
	view *CredentialView
	slot *credSlot
	// key orders the list: the folded name, then the IRI; nameKey is the
	// name as NameKey folds it, for the phrase bonus of a text query.
	key, nameKey string
	facets       [credFacetCount][]uint32
	// tokens are the credential's full-text terms (interned) with their
	// weight, by id; the text postings that name this entry are valid while
	// it is in the index (listIndex.currentPosting).
	tokens []tokenWeight
	cid    int32 // dense id, in listIndex.creds
	// Hot fields of the view, kept here for the scans.
	retired      bool
	lastVerified int32 // YYYYMMDD, 0 when never verified
}

// tokenWeight is a full-text term of a credential and its weight.
type tokenWeight struct {
	id     uint32
	weight int32
}

// weight returns the weight of the term id in the credential, 0 if absent.
func (e *credEntry) weight(id uint32) int {
	for _, t := range e.tokens {
		if t.id == id {
			return int(t.weight)
		}
	}
	return 0
}

// desigEntry is one designation of the index, its facets interned and its
// dates as numbers (YYYYMMDD; 0 for an open end), for the scans.
type desigEntry struct {
	view          *DesignationView
	slot          *credSlot
	areas         []uint32 // Clusters and Sub-Clusters
	agency        uint32
	region        uint32
	criteria      []uint32
	from, through int32
	lastVerified  int32
	retired       bool
	did           int32 // dense id, in listIndex.dents and dhot
}

// desigHot is what a scan reads of a designation, kept in one array by
// dense id so that scans walk memory in order.
type desigHot struct {
	from, through, lastVerified int32
	retired                     bool
	slot                        *credSlot
	cid                         int32 // the credential's number; -1 while it is not indexed
}

// credHot is what a scan reads of a credential, by number.
type credHot struct {
	retired      bool
	lastVerified int32
	// serial is the serial of the entry holding the number (see
	// listIndex.serial), 0 when the number is free: a text posting is
	// current while it names it.
	serial uint32
}

// activeOn tells whether the designation is in force on day (YYYYMMDD).
func (h *desigHot) activeOn(day int32) bool {
	return !h.retired && (h.from == 0 || day >= h.from) && (h.through == 0 || day <= h.through)
}

// activeOn tells whether the designation is in force on day (YYYYMMDD).
func (d *desigEntry) activeOn(day int32) bool {
	return !d.retired && (d.from == 0 || day >= d.from) && (d.through == 0 || day <= d.through)
}

// dayNumber turns a date YYYY-MM-DD into YYYYMMDD; 0 when s is not a date.
func dayNumber(s string) int32 {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return 0
	}
	n := int32(0)
	for _, c := range s[:4] + s[5:7] + s[8:10] {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int32(c-'0')
	}
	return n
}

// textPosting is one credential of a term's posting list. Postings are
// appended and never removed one by one: those of entries that are no
// longer current are skipped and swept out when they pile up. A posting
// holds no pointer, so that the collector need not scan the postings.
type textPosting struct {
	cid    int32 // the credential's number
	weight int32
	serial uint32 // its entry's serial: the posting is current while chot[cid] has it
}

// term is a resource other than a credential or designation that filters
// and pages name: a Cluster or Sub-Cluster, a SOC, CIP or NAICS code, a
// value criterion, an organization or a competency.
type term struct {
	iri, label, notation, kind string
	parent                     string // a Sub-Cluster's Cluster
}

// Kinds of terms.
const (
	kindCluster    = "cluster"
	kindSubCluster = "subcluster"
	kindSOC        = "soc"
	kindCIP        = "cip"
	kindNAICS      = "naics"
	kindCriterion  = "criteria"
	kindOrg        = "agency"
	kindCompetency = "competency"
)

// listIndex is the index. Readers take mu for reading; updates run under
// the store's write lock and take mu for writing.
type listIndex struct {
	buildMu  sync.Mutex  // guards building
	building *indexBuild // the build under way, if any

	mu        sync.RWMutex
	ready     bool
	buildTime time.Duration // what the build that made it ready took
	// fromSnapshot is set when the build read the snapshot.
	fromSnapshot bool
	seq          uint64 // the change-log sequence the index reflects
	gen          uint64 // bumped by every update
	// snapSeq is the sequence the snapshot file holds, as far as this
	// store knows (loaded or written by it); 0 when none.
	snapSeq atomic.Uint64

	// ids interns the IRIs and keys facets hold; names[id] is the string
	// back.
	ids   map[string]uint32
	names []string

	slots  map[string]*credSlot // by credential IRI
	desigs map[string]*desigEntry

	// Dense ids: credentials and designations by number, numbers of
	// removed ones reused; live* hold the numbers in use.
	creds []*credEntry
	cfree []int32
	liveC bitset
	dents []*desigEntry
	dhot  []desigHot
	dfree []int32
	liveD bitset
	chot  []credHot // by credential number
	// serial numbers the credential entries as they are added (see
	// credHot.serial).
	serial uint32
	// nameGrams has, by credential number, a bit for each three bytes in
	// a row of the name's NameKey (trigramBits): a phrase whose bits a
	// name lacks is not in it. Apart from chot, which the scans read.
	nameGrams    [][2]uint64
	credFacets   map[facetKey]map[int32]struct{} // credential numbers; sparse: codes, competencies, types
	matchKeys    entrySets                       // by credential match key (see credentialMatchKeys)
	desFacetBits map[facetKey]bitset             // by designation number
	text         map[string][]textPosting
	stale        int        // postings of entries no longer current
	vocab        vocabulary // the text terms in order (prefixes, slips)

	// order holds the credentials' numbers by name (key); a change marks
	// it dirty and the next query sorts it again (under orderMu, readers
	// only, so the index does not change meanwhile).
	order      []int32
	rank       []int32 // by credential number: its position in order
	orderDirty atomic.Bool
	orderMu    sync.Mutex

	terms    map[string]*term
	termKeys map[string]map[string][]string // kind -> NameKey(label) or notation -> IRIs
	children map[string][]string            // Cluster IRI -> Sub-Cluster IRIs
}

func newListIndex() *listIndex {
	return &listIndex{
		ids:          map[string]uint32{},
		slots:        map[string]*credSlot{},
		desigs:       map[string]*desigEntry{},
		credFacets:   map[facetKey]map[int32]struct{}{},
		matchKeys:    newEntrySets(0),
		desFacetBits: map[facetKey]bitset{},
		text:         map[string][]textPosting{},
		terms:        map[string]*term{},
		termKeys:     map[string]map[string][]string{},
		children:     map[string][]string{},
	}
}

// id interns s (ids are never reused; the table only grows, by the
// distinct IRIs, region names, text terms and shared values met).
func (ix *listIndex) id(s string) uint32 {
	if n, ok := ix.ids[s]; ok {
		return n
	}
	if len(ix.names) == 0 {
		ix.names = append(ix.names, "") // id 0 is no value
	}
	n := uint32(len(ix.names))
	ix.ids[s] = n
	ix.names = append(ix.names, s)
	return n
}

// lookupID returns the id of s, 0 when s was never interned.
func (ix *listIndex) lookupID(s string) uint32 { return ix.ids[s] }

// internAll interns each string of ss and returns their ids. It also
// makes each string of ss the index's own copy, so that the views
// of many credentials share one string for a code or an organization: the
// index is smaller and its collector has fewer objects to mark.
func (ix *listIndex) internAll(ss []string) []uint32 {
	out := make([]uint32, len(ss))
	for i, s := range ss {
		out[i] = ix.id(s)
		ss[i] = ix.names[out[i]]
	}
	return out
}

// share returns the index's own copy of s, a value many views repeat (an
// organization, a date, a data source), interning it.
func (ix *listIndex) share(s string) string {
	if s == "" {
		return s
	}
	return ix.names[ix.id(s)]
}

// shareAll makes each string of ss the index's own copy (see share).
func (ix *listIndex) shareAll(ss []string) {
	for i, s := range ss {
		ss[i] = ix.share(s)
	}
}

// takeNumber returns a dense number for a new entry: a freed one, or the
// next, growing the entry and hot arrays it indexes.
func takeNumber[E any, H any](free *[]int32, entries *[]E, hot *[]H) int32 {
	if n := len(*free); n > 0 {
		id := (*free)[n-1]
		*free = (*free)[:n-1]
		return id
	}
	var e E
	var h H
	*entries = append(*entries, e)
	*hot = append(*hot, h)
	return int32(len(*entries) - 1)
}

// slot returns the slot of a credential IRI, made when create is set.
func (ix *listIndex) slot(iri string, create bool) *credSlot {
	sl := ix.slots[iri]
	if sl == nil && create {
		sl = &credSlot{iri: iri}
		ix.slots[iri] = sl
	}
	return sl
}

// dropSlot forgets a slot that holds nothing any more.
func (ix *listIndex) dropSlot(sl *credSlot) {
	if sl.entry == nil && len(sl.desigs) == 0 {
		delete(ix.slots, sl.iri)
	}
}

// indexBuild is one build of the list index; err is set before done
// closes.
type indexBuild struct {
	done chan struct{}
	err  error
}

// startBuild returns the build under way in *slot (guarded by mu), or
// starts build as one, under the catalog's lifetime: a caller that gives up
// waiting does not stop it for the others, and once it ends the slot is
// free, so a failed build is retried by the next caller.
func (c *Catalog) startBuild(mu *sync.Mutex, slot **indexBuild, build func(context.Context) error) *indexBuild {
	mu.Lock()
	defer mu.Unlock()
	if b := *slot; b != nil {
		return b
	}
	b := &indexBuild{done: make(chan struct{})}
	*slot = b
	c.bg.Add(1)
	go func() {
		defer c.bg.Done()
		b.err = build(c.life)
		mu.Lock()
		*slot = nil
		mu.Unlock()
		close(b.done)
	}()
	return b
}

// listIndex returns the catalog's list index, building it on first use.
// The build runs once for all callers, under the catalog's lifetime (a caller
// that gives up does not stop it for the others); a failed build is
// retried by the next caller.
func (c *Catalog) listIndex(ctx context.Context) (*listIndex, error) {
	ix := c.list
	ix.mu.RLock()
	ready := ix.ready
	ix.mu.RUnlock()
	if ready {
		return ix, nil
	}
	b := c.startBuild(&ix.buildMu, &ix.building, c.buildListIndex)
	select {
	case <-b.done:
	case <-ctx.Done():
		return nil, fmt.Errorf("the list index is being built: %w", ctx.Err())
	}
	if b.err != nil {
		return nil, b.err
	}
	return ix, nil
}

// ListReady reports whether the umbrella list's index is built, so that
// list and check queries answer without waiting (a readiness probe).
func (c *Catalog) ListReady() bool {
	ix := c.list
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.ready
}

// WarmList builds the umbrella list's index now (it is otherwise built by
// the first list query), logging its progress, and waits for it. Servers
// call it at start.
func (c *Catalog) WarmList(ctx context.Context) error {
	_, err := c.listIndex(ctx)
	return err
}

// listPredicates are the statements the index reads; the scan that
// builds it keeps no other.
var listPredicates = map[quad.IRI]bool{}

func init() {
	for _, p := range []string{
		schema.RDFType, schema.CTID, schema.Name, schema.Description, schema.SubjectWebpage, schema.OwnedBy, schema.OfferedBy,
		schema.OccupationType, schema.IndustryType, schema.InstructionalProgramType, schema.TargetCompetency,
		schema.Cluster, schema.SubCluster, schema.SupersededBy, schema.LastVerified, schema.RecordStatus,
		schema.RetiredOn, schema.RetirementReason, schema.DesignatingAgency, schema.DesignatedFor,
		schema.Region, schema.ValidFrom, schema.ValidThrough, schema.Criterion, schema.Evidence,
		schema.MedianAnnualWage, schema.ProjectedOpenings, dataSource, schema.DataYear,
		schema.PrefLabel, schema.Notation, schema.InScheme, schema.Broader, schema.CompetencyText, schema.Title,
		// what imports match credentials by (see MatchCredential)
		schema.SameAs, schema.Identifier, schema.IdentifierValueCode, schema.IdentifierSource,
	} {
		listPredicates[quad.IRI(p)] = true
	}
}

// buildListIndex fills the index from its snapshot when there is one it
// can trust, else by one scan of the store; then it catches up with the
// change log (the writes after the snapshot, or that committed during the
// scan) and marks the index ready. One build runs at a time.
func (c *Catalog) buildListIndex(ctx context.Context) error {
	start := time.Now()
	from, loaded := c.loadListSnapshot(ctx)
	n := 0
	if !loaded {
		from = c.store.Sequence()
		var err error
		if n, err = c.scanListIndex(ctx, start); err != nil {
			return err
		}
	}
	ix := c.list
	if loaded {
		ix.snapSeq.Store(from)
	}
	// Catch up in two steps: first without the write lock, as far as the
	// head is now (writes meanwhile leave the index alone until it is
	// ready, and are read again below), then the rest holding it, so
	// that none slips between the catch-up and readiness.
	head := c.store.Sequence()
	caught, err := c.catchUpRange(ctx, from, head)
	if err != nil {
		return fmt.Errorf("build the list index: %w", err)
	}
	var to uint64
	var more, creds, desigs int
	err = c.store.HoldWrites(func(h uint64) error {
		to = h
		var err error
		if more, err = c.catchUpRange(ctx, head, to); err != nil {
			return fmt.Errorf("build the list index: %w", err)
		}
		ix.mu.Lock()
		ix.seq = to
		ix.ready = true
		ix.buildTime = time.Since(start)
		ix.fromSnapshot = loaded
		creds, desigs = ix.liveC.count(), len(ix.desigs)
		ix.mu.Unlock()
		return nil
	})
	if err != nil {
		return err
	}
	how := "scan"
	if loaded {
		how = "snapshot"
	}
	c.log.Info("list index ready", "from", how, "credentials", creds, "designations", desigs,
		"statements_scanned", n, "changes_caught_up", to-from, "records_caught_up", caught+more,
		"elapsed", time.Since(start).Round(time.Millisecond))
	c.startSnapshots()
	return nil
}

// scanListIndex fills the index from one scan of the store and returns
// the number of statements read. Writes that commit during the scan may be
// missing or half seen: the caller catches up from the change log.
func (c *Catalog) scanListIndex(ctx context.Context, start time.Time) (int, error) {
	records := map[string][]quad.Quad{}
	n := 0
	err := c.store.ScanRecords(ctx, listPredicates, func(q quad.Quad) error {
		n++
		if n%500_000 == 0 {
			c.log.Info("list index: scanning", "statements", n, "records", len(records), "elapsed", time.Since(start).Round(time.Millisecond))
		}
		label := string(rdf.IRIOf(q.Label))
		if label == "" || strings.HasPrefix(label, "urn:credreg:") {
			return nil
		}
		records[label] = append(records[label], q)
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("build the list index: %w", err)
	}
	ix := c.list
	ix.mu.Lock()
	for iri, quads := range records {
		ix.apply(c.base, iri, quads)
	}
	ix.mu.Unlock()
	return n, nil
}

// catchUpRange applies to the index the records that change-log entries
// from+1 to to name, each read as it is now (once, however many entries
// name it): the step that follows the change log. Applying the current
// state of a record is idempotent, so a range may be applied again, or
// overlap one applied before. Each record is applied under the index's
// lock, so readers see it as it was or as it is, never half. It does not
// move the index's sequence (the caller does, once the range is applied).
// A caller racing writes must read the range again after them (writes
// made while the index is ready apply themselves under the write lock).
func (c *Catalog) catchUpRange(ctx context.Context, from, to uint64) (records int, err error) {
	if to <= from {
		return 0, nil
	}
	// The records the entries name, each once, read by a few workers:
	// entries and records are independent point reads.
	workers := min(runtime.GOMAXPROCS(0), 4)
	named := make([]string, to-from)
	err = parallel(ctx, workers, len(named), func(i int) error {
		seq := from + 1 + uint64(i)
		iri, err := c.changedRecord(ctx, seq)
		if err != nil {
			return fmt.Errorf("catch up at change %d: %w", seq, err)
		}
		named[i] = iri
		return nil
	})
	if err != nil {
		return 0, err
	}
	seen := make(map[string]bool, len(named))
	iris := named[:0]
	for _, iri := range named {
		if !seen[iri] {
			seen[iri] = true
			iris = append(iris, iri)
		}
	}
	ix := c.list
	err = parallel(ctx, workers, len(iris), func(i int) error {
		iri := iris[i]
		// The record's statements as they are now; none when it is gone.
		quads, err := c.store.Statements(ctx, iri)
		if err != nil {
			return fmt.Errorf("catch up %s: %w", iri, err)
		}
		ix.mu.Lock()
		ix.apply(c.base, iri, quads)
		ix.mu.Unlock()
		return nil
	})
	if err != nil {
		return 0, err
	}
	return len(iris), nil
}

// changedRecord returns the IRI of the record change-log entry seq names.
func (c *Catalog) changedRecord(ctx context.Context, seq uint64) (string, error) {
	ch, err := c.store.ChangeAt(ctx, seq)
	if err != nil {
		return "", err
	}
	return ch.IRI, nil
}

// parallel calls fn(0) to fn(n-1) on up to workers goroutines and returns
// the first error (the rest of the work is then skipped).
func parallel(ctx context.Context, workers, n int, fn func(int) error) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for range min(workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				err := ctx.Err()
				if err == nil {
					err = fn(i)
				}
				if err != nil {
					once.Do(func() { first = err })
					next.Store(int64(n))
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}

// CatchUpList brings the list index from the change-log sequence it
// reflects to the store's head: every record an entry after it names is
// read as it is now and applied to the index, as a write applies its
// records. It is idempotent, safe to call at any time and from several
// goroutines (callers are serialised with the store's writes), and
// readers meanwhile see each record as it was or as it is. It does
// nothing before the index is built (the build catches up itself) and
// returns the number of records applied.
//
// A store written only through this process keeps its index current on
// every write, so this finds nothing to do; it is the step a server
// sharing its store with others takes to apply their writes.
func (c *Catalog) CatchUpList(ctx context.Context) (int, error) {
	n := 0
	err := c.store.HoldWrites(func(to uint64) error {
		ix := c.list
		ix.mu.RLock()
		ready, from := ix.ready, ix.seq
		ix.mu.RUnlock()
		if !ready || from >= to {
			return nil
		}
		var err error
		if n, err = c.catchUpRange(ctx, from, to); err != nil {
			return fmt.Errorf("catch up the list index from change %d: %w", from, err)
		}
		ix.mu.Lock()
		ix.seq = max(ix.seq, to)
		ix.mu.Unlock()
		return nil
	})
	return n, err
}

// updateList applies written records to the index. It runs under the
// store's write lock, after the write committed; before the index is built
// it does nothing (the build catches up from the change log).
func (c *Catalog) updateList(seq uint64, recs []registry.Record) {
	ix := c.list
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if !ix.ready {
		return
	}
	for _, r := range recs {
		ix.apply(c.base, r.IRI, r.Quads)
	}
	ix.seq = seq
}

// apply replaces whatever the index holds for the record iri by what its
// statements say (nothing, when quads is empty). Called with mu held.
func (ix *listIndex) apply(base schema.Base, iri string, quads []quad.Quad) {
	ix.forget(iri)
	if len(quads) == 0 {
		return
	}
	rec := &registry.Record{IRI: iri, Quads: quads}
	var isCred, isDesig bool
	var types []string
	for _, q := range quads {
		if rdf.IRIOf(q.Subject) == quad.IRI(iri) && rdf.IRIOf(q.Predicate) == schema.RDFType {
			t := string(rdf.IRIOf(q.Object))
			types = append(types, t)
			isCred = isCred || schema.IsCredentialType(t)
			isDesig = isDesig || t == schema.ClassValueDesignation
		}
	}
	switch {
	case isCred:
		ix.addCredential(viewCredential(rec))
	case isDesig:
		d := ViewDesignation(rec)
		d.Record = nil
		ix.addDesignation(&d)
	default:
		ix.addTerm(base, iri, types, quads)
	}
}

// forget removes whatever the index holds for the record iri. Called with
// mu held.
func (ix *listIndex) forget(iri string) {
	ix.gen++
	ix.removeCredential(iri)
	ix.removeDesignation(iri)
	ix.removeTerm(iri)
}

func (ix *listIndex) addCredential(v *CredentialView) {
	v.Record = nil
	sl := ix.slot(v.IRI, true)
	e := &credEntry{view: v, slot: sl, key: foldName(v.Name) + "\x00" + v.IRI, nameKey: schema.NameKey(v.Name),
		retired: v.Retired, lastVerified: dayNumber(v.LastVerified)}
	sl.entry = e
	e.cid = takeNumber(&ix.cfree, &ix.creds, &ix.chot)
	ix.serial++
	if ix.serial == 0 { // wrapped: 0 means a free number
		ix.serial++
	}
	ix.creds[e.cid], ix.chot[e.cid] = e, credHot{retired: e.retired, lastVerified: e.lastVerified, serial: ix.serial}
	if n := int(e.cid) + 1 - len(ix.nameGrams); n > 0 {
		ix.nameGrams = append(ix.nameGrams, make([][2]uint64, n)...)
	}
	ix.nameGrams[e.cid] = trigramBits(e.nameKey)
	ix.liveC.set(e.cid)
	for _, d := range sl.desigs {
		ix.dhot[d.did].cid = e.cid
	}
	ix.orderDirty.Store(true)
	e.facets[facetSOC] = ix.internAll(v.Occupations)
	e.facets[facetCIP] = ix.internAll(v.Programs)
	e.facets[facetNAICS] = ix.internAll(v.Industries)
	e.facets[facetCompetency] = ix.internAll(v.Competencies)
	e.facets[facetType] = ix.internAll(v.Types)
	ix.shareAll(v.OwnedBy)
	ix.shareAll(v.OfferedBy)
	ix.shareAll(v.Clusters)
	ix.shareAll(v.SubClusters)
	v.LastVerified = ix.share(v.LastVerified)
	for f, vals := range e.facets {
		for _, val := range vals {
			k := facetKey{byte(f), val}
			set := ix.credFacets[k]
			if set == nil {
				set = map[int32]struct{}{}
				ix.credFacets[k] = set
			}
			set[e.cid] = struct{}{}
		}
	}
	for _, k := range credentialMatchKeys(v) {
		ix.matchKeys.add(k, e)
	}
	// Full text: a term in the name weighs 3, in the description 1 per
	// occurrence (at most 3).
	// A name's words also count as written (rawTerm), so that the exact
	// word ranks before another form of it: nurse finds "Nurse Aide"
	// before "Nursing Certificate".
	weights := map[string]int{}
	for _, w := range words(v.Name) {
		if t := stem(w); weights[t] < 3 {
			weights[t] += 3
		}
		weights[rawTerm(w)] = 3
	}
	if abbr := initials(v.Name); abbr != "" && weights[abbr] < 3 {
		weights[abbr] = 3 // Certified Nursing Assistant: cna
	}
	desc := map[string]int{}
	for _, t := range textTerms(v.Description) {
		desc[t]++
	}
	for t, n := range desc {
		weights[t] += min(n, 3)
	}
	e.tokens = make([]tokenWeight, 0, len(weights))
	for t, w := range weights {
		e.tokens = append(e.tokens, tokenWeight{ix.id(textKey(t)), int32(w)})
		if len(ix.text[t]) == 0 {
			ix.vocab.dirty.Store(true)
		}
		ix.text[t] = append(ix.text[t], textPosting{e.cid, int32(w), ix.serial})
	}
}

// currentPosting tells whether p names a credential entry still in the
// index.
func (ix *listIndex) currentPosting(p textPosting) bool {
	return ix.chot[p.cid].serial == p.serial
}

// textKey is the interned key of a full-text term.
func textKey(t string) string { return "text:" + t }

func (ix *listIndex) removeCredential(iri string) {
	sl := ix.slots[iri]
	if sl == nil || sl.entry == nil {
		return
	}
	e := sl.entry
	sl.entry = nil
	ix.dropSlot(sl)
	for _, d := range sl.desigs {
		ix.dhot[d.did].cid = -1
	}
	ix.creds[e.cid], ix.chot[e.cid], ix.nameGrams[e.cid] = nil, credHot{}, [2]uint64{}
	ix.cfree = append(ix.cfree, e.cid)
	ix.liveC.clear(e.cid)
	ix.orderDirty.Store(true)
	for f, vals := range e.facets {
		for _, val := range vals {
			k := facetKey{byte(f), val}
			if set := ix.credFacets[k]; set != nil {
				delete(set, e.cid)
				if len(set) == 0 {
					delete(ix.credFacets, k)
				}
			}
		}
	}
	for _, k := range credentialMatchKeys(e.view) {
		ix.matchKeys.remove(k, e)
	}
	ix.stale += len(e.tokens)
	if ix.stale > 1<<16 && ix.stale > len(ix.desigs)*4 {
		ix.sweepText()
	}
}

// sweepText drops the postings of entries that are no longer current.
func (ix *listIndex) sweepText() {
	for t, ps := range ix.text {
		out := ps[:0]
		for _, p := range ps {
			if ix.currentPosting(p) {
				out = append(out, p)
			}
		}
		if len(out) == 0 {
			delete(ix.text, t)
			ix.vocab.dirty.Store(true)
			continue
		}
		clear(ps[len(out):])
		ix.text[t] = out
	}
	ix.stale = 0
}

// facetKeys are the facet keys of a designation.
func (d *desigEntry) facetKeys() []facetKey {
	ks := make([]facetKey, 0, len(d.areas)+len(d.criteria)+2)
	for _, a := range d.areas {
		ks = append(ks, facetKey{facetCluster, a})
	}
	if d.agency != 0 {
		ks = append(ks, facetKey{facetAgency, d.agency})
	}
	if d.region != 0 {
		ks = append(ks, facetKey{facetRegion, d.region})
	}
	for _, c := range d.criteria {
		ks = append(ks, facetKey{facetCriterion, c})
	}
	return ks
}

func (ix *listIndex) addDesignation(v *DesignationView) {
	d := &desigEntry{view: v, slot: ix.slot(v.Credential, true), from: dayNumber(v.ValidFrom), through: dayNumber(v.ValidThrough),
		lastVerified: dayNumber(v.LastVerified), retired: v.Retired}
	d.areas = append(ix.internAll(v.Clusters), ix.internAll(v.SubClusters)...)
	if v.Agency != "" {
		d.agency = ix.id(v.Agency)
	}
	if v.Region != "" {
		d.region = ix.id(regionKey(v.Region))
	}
	d.criteria = ix.internAll(v.Criteria)
	v.Credential = d.slot.iri
	v.Agency, v.Region = ix.share(v.Agency), ix.share(v.Region)
	v.ValidFrom, v.ValidThrough, v.LastVerified = ix.share(v.ValidFrom), ix.share(v.ValidThrough), ix.share(v.LastVerified)
	for i := range v.Evidence {
		ev := &v.Evidence[i]
		ev.DataSource, ev.DataYear = ix.share(ev.DataSource), ix.share(ev.DataYear)
	}
	ix.desigs[v.IRI] = d
	d.slot.desigs = append(d.slot.desigs, d)
	sortDesignations(d.slot.desigs)
	hot := desigHot{from: d.from, through: d.through, lastVerified: d.lastVerified, retired: d.retired, slot: d.slot, cid: -1}
	if d.slot.entry != nil {
		hot.cid = d.slot.entry.cid
	}
	d.did = takeNumber(&ix.dfree, &ix.dents, &ix.dhot)
	ix.dents[d.did], ix.dhot[d.did] = d, hot
	ix.liveD.set(d.did)
	for _, k := range d.facetKeys() {
		b := ix.desFacetBits[k]
		b.set(d.did)
		ix.desFacetBits[k] = b
	}
}

// regionKey is the interned key of a region name: NameKey'd, so that case
// and punctuation do not make two regions.
func regionKey(region string) string { return "region:" + schema.NameKey(region) }

func (ix *listIndex) removeDesignation(iri string) {
	d := ix.desigs[iri]
	if d == nil {
		return
	}
	delete(ix.desigs, iri)
	sl := d.slot
	for i, x := range sl.desigs {
		if x == d {
			sl.desigs = append(sl.desigs[:i], sl.desigs[i+1:]...)
			break
		}
	}
	ix.dropSlot(sl)
	for _, k := range d.facetKeys() {
		if b, ok := ix.desFacetBits[k]; ok {
			b.clear(d.did)
		}
	}
	ix.dents[d.did], ix.dhot[d.did] = nil, desigHot{cid: -1}
	ix.dfree = append(ix.dfree, d.did)
	ix.liveD.clear(d.did)
}

// sortedOrder returns the credentials' numbers by name, and each
// credential's position in that order (by number), sorting them again
// after changes. Called with mu held for reading.
func (ix *listIndex) sortedOrder() (order, rank []int32) {
	if !ix.orderDirty.Load() {
		return ix.order, ix.rank
	}
	ix.orderMu.Lock()
	defer ix.orderMu.Unlock()
	if !ix.orderDirty.Load() {
		return ix.order, ix.rank
	}
	order = make([]int32, 0, len(ix.creds))
	ix.liveC.each(func(cid int32) bool {
		order = append(order, cid)
		return true
	})
	sort.Slice(order, func(i, j int) bool { return ix.creds[order[i]].key < ix.creds[order[j]].key })
	rank = make([]int32, len(ix.creds))
	for i, cid := range order {
		rank[cid] = int32(i)
	}
	ix.order, ix.rank = order, rank
	ix.orderDirty.Store(false)
	return order, rank
}

// addTerm indexes a resource filters name: concepts of the Framework, the
// code lists and the value criteria, organizations and competencies.
func (ix *listIndex) addTerm(base schema.Base, iri string, types []string, quads []quad.Quad) {
	if t := parseTerm(base, iri, types, quads); t != nil {
		ix.insertTerm(t)
	}
}

// parseTerm reads a term from a record's statements; nil when no filter
// or page names it (no kind and no label).
func parseTerm(base schema.Base, iri string, types []string, quads []quad.Quad) *term {
	t := &term{iri: iri}
	var scheme, broader, prefLabel, name, text string
	for _, q := range quads {
		if rdf.IRIOf(q.Subject) != quad.IRI(iri) {
			continue
		}
		o := rdf.Lexical(q.Object)
		switch string(rdf.IRIOf(q.Predicate)) {
		case schema.InScheme:
			scheme = o
		case schema.Broader:
			broader = o
		case schema.Notation:
			t.notation = o
		case schema.PrefLabel:
			prefLabel = o
		case schema.Name:
			name = o
		case schema.CompetencyText:
			text = o
		}
	}
	t.label = firstNonEmpty(prefLabel, name, text)
	for _, ty := range types {
		switch ty {
		case schema.ClassConcept:
			switch scheme {
			case base.Scheme(schema.SchemeCareerClusters):
				t.kind = kindCluster
				if broader != "" {
					t.kind, t.parent = kindSubCluster, broader
				}
			case base.Scheme(schema.SchemeSOC):
				t.kind = kindSOC
			case base.Scheme(schema.SchemeCIP):
				t.kind = kindCIP
			case base.Scheme(schema.SchemeNAICS):
				t.kind = kindNAICS
			case base.Scheme(schema.SchemeValueCriteria):
				t.kind = kindCriterion
				if t.notation == "" {
					t.notation = iri[strings.LastIndexByte(iri, '/')+1:]
				}
			}
		case schema.ClassCredentialOrganization, schema.ClassQACredentialOrganization, schema.ClassAgency:
			t.kind = kindOrg
		case schema.ClassCompetency:
			t.kind = kindCompetency
		}
	}
	if t.kind == "" && t.label == "" {
		return nil
	}
	return t
}

// insertTerm indexes a term (none is held under its IRI).
func (ix *listIndex) insertTerm(t *term) {
	ix.terms[t.iri] = t
	if t.kind == "" {
		return // named, but no filter names it
	}
	keys := ix.termKeys[t.kind]
	if keys == nil {
		keys = map[string][]string{}
		ix.termKeys[t.kind] = keys
	}
	for _, k := range termLookupKeys(t) {
		keys[k] = append(keys[k], t.iri)
	}
	if t.parent != "" {
		ix.children[t.parent] = append(ix.children[t.parent], t.iri)
	}
}

// termLookupKeys are the keys a term is found by: its NameKey'd label and
// its notation.
func termLookupKeys(t *term) []string {
	var ks []string
	if t.label != "" {
		ks = append(ks, schema.NameKey(t.label))
	}
	if t.notation != "" && schema.NameKey(t.notation) != schema.NameKey(t.label) {
		ks = append(ks, strings.ToLower(t.notation))
	}
	return ks
}

func (ix *listIndex) removeTerm(iri string) {
	t := ix.terms[iri]
	if t == nil {
		return
	}
	delete(ix.terms, iri)
	if keys := ix.termKeys[t.kind]; keys != nil {
		for _, k := range termLookupKeys(t) {
			keys[k] = removeString(keys[k], iri)
			if len(keys[k]) == 0 {
				delete(keys, k)
			}
		}
	}
	if t.parent != "" {
		ix.children[t.parent] = removeString(ix.children[t.parent], iri)
		if len(ix.children[t.parent]) == 0 {
			delete(ix.children, t.parent)
		}
	}
}

func removeString(list []string, s string) []string {
	out := list[:0]
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// stopWords are left out of the full-text index and of queries.

// entrySets maps keys to sets of credentials. Most keys (a name, an
// identifier) name one credential, kept without a set of its own: a map
// per key cost the index about 450 bytes a credential at 100,000.
type entrySets struct {
	one  map[string]*credEntry
	many map[string]map[*credEntry]struct{}
}

func newEntrySets(n int) entrySets {
	return entrySets{one: make(map[string]*credEntry, n), many: map[string]map[*credEntry]struct{}{}}
}

// add puts e in k's set (once, however often it is added).
func (s *entrySets) add(k string, e *credEntry) {
	if set := s.many[k]; set != nil {
		set[e] = struct{}{}
		return
	}
	first, ok := s.one[k]
	switch {
	case !ok:
		s.one[k] = e
	case first != e:
		delete(s.one, k)
		s.many[k] = map[*credEntry]struct{}{first: {}, e: {}}
	}
}

// remove takes e out of k's set.
func (s *entrySets) remove(k string, e *credEntry) {
	if set := s.many[k]; set != nil {
		delete(set, e)
		if len(set) == 1 {
			delete(s.many, k)
			for last := range set {
				s.one[k] = last
			}
		}
		return
	}
	if s.one[k] == e {
		delete(s.one, k)
	}
}

// each calls fn for each credential in k's set.
func (s *entrySets) each(k string, fn func(e *credEntry)) {
	if e, ok := s.one[k]; ok {
		fn(e)
		return
	}
	for e := range s.many[k] {
		fn(e)
	}
}
