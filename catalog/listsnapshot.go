package catalog

// The list index's snapshot, so that a start does not scan the store.
//
// When the catalog closes cleanly (and now and then while it serves, see
// snapshotLoop) the index is written to a file beside the store, in its
// side directory (registry.Store.SideDir): DIR/listindex.snap, stamped with the change-log sequence it reflects. At
// the next start the index is read back from it and then caught up from
// the change log (catchUpList): every record a later entry names is read
// again and applied, as writes apply theirs. A file is kept rather than
// statements in the store: the index is one server's cache of the store,
// not registry data, so it stays out of backups, dumps and the change log,
// costs the store no write amplification (~40 MB, rewritten whole), and
// with a shared store (PostgreSQL) each server keeps its own beside its
// working directory while following the one log.
//
// A snapshot that cannot be trusted is never used: the file is missing,
// its checksum fails, it was written by another format (listSnapshotVersion
// or the layout of the views it holds, snapshotDigest), for another base,
// at a sequence beyond the store's head (the store was restored from an
// older backup), or from another history (the change-log entry at its
// sequence is not the one it names). Then the index is built by a scan,
// as before, and the reason is logged.
//
// # Format
//
//	magic "credreg list index\n"
//	uvarint version | uvarint len + digest | uvarint len + base
//	uvarint seq | uvarint len + change IRI | uvarint len + change hash | varint change time (Unix ns)
//	uvarint terms,        each: iri label notation kind parent
//	uvarint credentials,  each: a CredentialView (see putCredential)
//	uvarint designations, each: a DesignationView (see putDesignation)
//	crc32c (Castagnoli) of everything before, 4 bytes little-endian
//
// Strings in the body that repeat (IRIs of terms, codes, dates, regions)
// are interned: uvarint 0, then the length and the bytes, defines the
// next string of the table; uvarint n > 0 repeats string n-1. A record's
// own (a CTID, name, description; a designation's IRI) are written as
// length and bytes.
// A list is uvarint 0 for nil, else its length + 1.

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"time"
)

const (
	// listSnapshotFile is the snapshot's name in the store's directory.
	listSnapshotFile  = "listindex.snap"
	listSnapshotMagic = "credreg list index\n"
	// listSnapshotVersion is the snapshot's format. Bump it whenever what
	// the index derives from a record changes (viewCredential,
	// ViewDesignation, parseTerm, listPredicates): a snapshot holds the
	// views as the code that wrote it read them. A change to the views'
	// fields changes snapshotDigest on its own.
	listSnapshotVersion = 1
)

// castagnoli is the CRC-32C table of the snapshot's checksum.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errSnapshot marks a snapshot that cannot be used.
var errSnapshot = errors.New("list index snapshot unusable")

// packageName matches the package names in a type's name ("catalog." in
// "[]catalog.Identifier").
var packageName = regexp.MustCompile(`\b[a-z][a-z0-9_]*\.`)

// snapshotDigest names the layout of what a snapshot holds: the fields of
// the views and the predicates the index reads. A snapshot with another
// digest was written by code that reads records otherwise.
var snapshotDigest = func() string {
	var b strings.Builder
	for _, t := range []reflect.Type{reflect.TypeOf(CredentialView{}), reflect.TypeOf(Identifier{}),
		reflect.TypeOf(DesignationView{}), reflect.TypeOf(EvidenceView{}), reflect.TypeOf(term{})} {
		b.WriteString(t.Name())
		for i := range t.NumField() {
			f := t.Field(i)
			// The type without package names: a view moving between
			// packages reads records no otherwise.
			fmt.Fprintf(&b, " %s:%s", f.Name, packageName.ReplaceAllString(f.Type.String(), ""))
		}
		b.WriteByte(';')
	}
	ps := make([]string, 0, len(listPredicates))
	for p := range listPredicates {
		ps = append(ps, string(p))
	}
	sort.Strings(ps)
	b.WriteString(strings.Join(ps, " "))
	return fmt.Sprintf("%08x", crc32.Checksum([]byte(b.String()), castagnoli))
}()

// snapshotHeader says which state of which store a snapshot holds.
type snapshotHeader struct {
	version uint64
	digest  string
	base    string
	seq     uint64
	// The change-log entry at seq (none when seq is 0): a store whose
	// entry differs has another history.
	changeIRI, changeHash string
	changeTime            int64
}

// snapshotPath is where the catalog keeps its list index snapshot; ""
// when it keeps none.
func (c *Catalog) snapshotPath() string { return c.snapPath }

// header returns the header of a snapshot of the index at seq. Called
// with the index's state at seq held still (ix.mu, or the store's writes held).
func (c *Catalog) snapshotHeader(ctx context.Context, seq uint64) (snapshotHeader, error) {
	h := snapshotHeader{version: listSnapshotVersion, digest: snapshotDigest, base: c.base.String(), seq: seq}
	if seq > 0 {
		ch, err := c.store.ChangeAt(ctx, seq)
		if err != nil {
			return h, err
		}
		h.changeIRI, h.changeHash, h.changeTime = ch.IRI, ch.Hash, ch.Time.UnixNano()
	}
	return h, nil
}

// WriteListSnapshot writes the list index to its snapshot now (the
// catalog also writes it when it closes, and now and then while it
// serves). It does nothing when the index is not built or the catalog
// keeps no snapshot, and returns the sequence the snapshot holds. Readers and
// writers wait only while the index's entries are collected, not while
// they are encoded and written.
func (c *Catalog) WriteListSnapshot(ctx context.Context) (uint64, error) {
	path := c.snapshotPath()
	if path == "" {
		return 0, nil
	}
	c.snapMu.Lock() // one writer of the file at a time
	defer c.snapMu.Unlock()
	start := time.Now()
	ix := c.list
	ix.mu.RLock()
	if !ix.ready || ix.snapSeq.Load() == ix.seq && ix.seq != 0 {
		seq := ix.snapSeq.Load()
		ix.mu.RUnlock()
		return seq, nil // nothing to write, or the file holds this state already
	}
	content, seq := ix.content(), ix.seq
	ix.mu.RUnlock()
	// Change-log entries never change, so the header can be read after.
	h, err := c.snapshotHeader(ctx, seq)
	if err != nil {
		return 0, fmt.Errorf("write the list index snapshot: %w", err)
	}
	n, err := writeFileAtomic(path, func(w *bufio.Writer) error { return encodeSnapshot(w, h, content) })
	if err != nil {
		return 0, fmt.Errorf("write the list index snapshot %s: %w", path, err)
	}
	ix.snapSeq.Store(seq)
	c.log.Info("list index snapshot written", "path", path, "sequence", seq, "bytes", n,
		"credentials", len(content.creds), "designations", len(content.desigs), "elapsed", time.Since(start).Round(time.Millisecond))
	return seq, nil
}

// writeFileAtomic writes path through a temporary file beside it, synced
// and renamed over it, so that a crash leaves the old file or the new one,
// never a part. It returns the bytes written.
func writeFileAtomic(path string, write func(*bufio.Writer) error) (int64, error) {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, err
	}
	cw := &countWriter{w: f}
	w := bufio.NewWriterSize(cw, 1<<20)
	err = write(w)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return 0, err
	}
	// The rename is durable once the directory is synced.
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return cw.n, nil
}

type countWriter struct {
	w interface{ Write([]byte) (int, error) }
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// snapshotEncoder writes the snapshot's primitives, summing what it
// writes.
type snapshotEncoder struct {
	w    *bufio.Writer
	crc  uint32
	strs map[string]uint64
	buf  [binary.MaxVarintLen64]byte
}

func (e *snapshotEncoder) bytes(p []byte) {
	e.crc = crc32.Update(e.crc, castagnoli, p)
	_, _ = e.w.Write(p) // a bufio.Writer keeps its first error for Flush
}

func (e *snapshotEncoder) uint(n uint64) { e.bytes(e.buf[:binary.PutUvarint(e.buf[:], n)]) }
func (e *snapshotEncoder) int(n int64)   { e.bytes(e.buf[:binary.PutVarint(e.buf[:], n)]) }

// raw writes a string that is not interned.
func (e *snapshotEncoder) raw(s string) {
	e.uint(uint64(len(s)))
	e.crc = crc32.Update(e.crc, castagnoli, []byte(s))
	_, _ = e.w.WriteString(s)
}

// str writes an interned string.
func (e *snapshotEncoder) str(s string) {
	if n, ok := e.strs[s]; ok {
		e.uint(n + 1)
		return
	}
	e.strs[s] = uint64(len(e.strs))
	e.uint(0)
	e.raw(s)
}

func (e *snapshotEncoder) list(ss []string) {
	if ss == nil {
		e.uint(0)
		return
	}
	e.uint(uint64(len(ss)) + 1)
	for _, s := range ss {
		e.str(s)
	}
}

// Flags of a view.
const (
	snapRetired = 1 << iota
	snapIsCredential
	snapIsDesignation
)

// content collects what the index holds: terms by IRI, credentials and
// designations by number (so that a load numbers them alike). Views and
// terms are never changed once indexed (a write replaces them), so the
// content may be encoded after mu is released. Called with mu held for
// reading.
func (ix *listIndex) content() *snapshotContent {
	c := &snapshotContent{
		terms:  make([]*term, 0, len(ix.terms)),
		creds:  make([]*CredentialView, 0, ix.liveC.count()),
		desigs: make([]*DesignationView, 0, len(ix.desigs)),
	}
	for _, t := range ix.terms {
		c.terms = append(c.terms, t)
	}
	sort.Slice(c.terms, func(i, j int) bool { return c.terms[i].iri < c.terms[j].iri })
	for _, e := range ix.creds {
		if e != nil {
			c.creds = append(c.creds, e.view)
		}
	}
	for _, d := range ix.dents {
		if d != nil {
			c.desigs = append(c.desigs, d.view)
		}
	}
	return c
}

// encodeSnapshot writes a snapshot of content c with header h.
func encodeSnapshot(w *bufio.Writer, h snapshotHeader, c *snapshotContent) error {
	e := &snapshotEncoder{w: w, strs: make(map[string]uint64, len(c.terms)+len(c.creds))}
	e.bytes([]byte(listSnapshotMagic))
	e.uint(h.version)
	e.raw(h.digest)
	e.raw(h.base)
	e.uint(h.seq)
	e.raw(h.changeIRI)
	e.raw(h.changeHash)
	e.int(h.changeTime)
	e.uint(uint64(len(c.terms)))
	for _, t := range c.terms {
		for _, s := range []string{t.iri, t.label, t.notation, t.kind, t.parent} {
			e.str(s)
		}
	}
	e.uint(uint64(len(c.creds)))
	for _, v := range c.creds {
		e.putCredential(v)
	}
	e.uint(uint64(len(c.desigs)))
	for _, v := range c.desigs {
		e.putDesignation(v)
	}
	var sum [4]byte
	binary.LittleEndian.PutUint32(sum[:], e.crc)
	_, _ = w.Write(sum[:])
	return w.Flush()
}

func (e *snapshotEncoder) putCredential(v *CredentialView) {
	e.str(v.IRI) // designations name it
	for _, s := range []string{v.CTID, v.Name, v.Description} {
		e.raw(s) // the credential's own: not interned
	}
	e.str(v.SubjectWebpage)
	e.str(v.LastVerified)
	for _, l := range [][]string{v.Types, v.OwnedBy, v.OfferedBy, v.Competencies, v.Occupations, v.Industries,
		v.Programs, v.Clusters, v.SubClusters, v.SupersededBy, v.SameAs} {
		e.list(l)
	}
	var flags uint64
	if v.Retired {
		flags |= snapRetired
	}
	if v.IsCredential {
		flags |= snapIsCredential
	}
	e.uint(flags)
	if v.Identifiers == nil {
		e.uint(0)
	} else {
		e.uint(uint64(len(v.Identifiers)) + 1)
		for _, id := range v.Identifiers {
			e.str(id.Source)
			e.str(id.Code)
		}
	}
}

func (e *snapshotEncoder) putDesignation(v *DesignationView) {
	e.raw(v.IRI) // the designation's own: not interned
	e.raw(v.CTID)
	for _, s := range []string{v.Agency, v.Credential, v.Region, v.ValidFrom, v.ValidThrough,
		v.RetiredOn, v.RetirementReason, v.LastVerified} {
		e.str(s)
	}
	for _, l := range [][]string{v.Clusters, v.SubClusters, v.Criteria} {
		e.list(l)
	}
	var flags uint64
	if v.Retired {
		flags |= snapRetired
	}
	if v.isDesignation {
		flags |= snapIsDesignation
	}
	e.uint(flags)
	if v.Evidence == nil {
		e.uint(0)
	} else {
		e.uint(uint64(len(v.Evidence)) + 1)
		for _, ev := range v.Evidence {
			e.raw(ev.IRI)
			for _, s := range []string{ev.MedianAnnualWage, ev.ProjectedAnnualOpenings, ev.DataSource, ev.DataYear} {
				e.str(s)
			}
		}
	}
}

// snapshotDecoder reads what snapshotEncoder wrote; the first error
// sticks and later reads return zero values.
type snapshotDecoder struct {
	b    []byte
	p    int
	strs []string
	err  error
}

func (d *snapshotDecoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: bad %s at byte %d", errSnapshot, what, d.p)
	}
}

func (d *snapshotDecoder) uint() uint64 {
	if d.err != nil {
		return 0
	}
	n, k := binary.Uvarint(d.b[d.p:])
	if k <= 0 {
		d.fail("number")
		return 0
	}
	d.p += k
	return n
}

func (d *snapshotDecoder) int() int64 {
	if d.err != nil {
		return 0
	}
	n, k := binary.Varint(d.b[d.p:])
	if k <= 0 {
		d.fail("number")
		return 0
	}
	d.p += k
	return n
}

// count reads a count of items that take at least one byte each.
func (d *snapshotDecoder) count() int {
	n := d.uint()
	if n > uint64(len(d.b)-d.p) {
		d.fail("count")
		return 0
	}
	return int(n)
}

func (d *snapshotDecoder) raw() string {
	n := d.count()
	if d.err != nil {
		return ""
	}
	s := string(d.b[d.p : d.p+n])
	d.p += n
	return s
}

func (d *snapshotDecoder) str() string {
	n := d.uint()
	switch {
	case d.err != nil:
		return ""
	case n == 0:
		s := d.raw()
		d.strs = append(d.strs, s)
		return s
	case n-1 < uint64(len(d.strs)):
		return d.strs[n-1]
	}
	d.fail("string reference")
	return ""
}

func (d *snapshotDecoder) list() []string {
	n := d.count()
	if n == 0 || d.err != nil {
		return nil
	}
	out := make([]string, n-1)
	for i := range out {
		out[i] = d.str()
	}
	return out
}

func (d *snapshotDecoder) header() snapshotHeader {
	if len(d.b) < len(listSnapshotMagic) || string(d.b[:len(listSnapshotMagic)]) != listSnapshotMagic {
		d.fail("magic")
		return snapshotHeader{}
	}
	d.p = len(listSnapshotMagic)
	var h snapshotHeader
	h.version = d.uint()
	if h.version != listSnapshotVersion {
		return h // the rest may be laid out otherwise
	}
	h.digest = d.raw()
	h.base = d.raw()
	h.seq = d.uint()
	h.changeIRI = d.raw()
	h.changeHash = d.raw()
	h.changeTime = d.int()
	return h
}

// snapshotContent is a decoded snapshot's body.
type snapshotContent struct {
	terms  []*term
	creds  []*CredentialView
	desigs []*DesignationView
}

func (d *snapshotDecoder) body() *snapshotContent {
	c := &snapshotContent{}
	c.terms = make([]*term, d.count())
	for i := range c.terms {
		c.terms[i] = &term{iri: d.str(), label: d.str(), notation: d.str(), kind: d.str(), parent: d.str()}
	}
	c.creds = make([]*CredentialView, d.count())
	for i := range c.creds {
		c.creds[i] = d.credential()
	}
	c.desigs = make([]*DesignationView, d.count())
	for i := range c.desigs {
		c.desigs[i] = d.designation()
	}
	if d.err == nil && d.p != len(d.b) {
		d.fail("end")
	}
	if d.err != nil {
		return nil
	}
	return c
}

func (d *snapshotDecoder) credential() *CredentialView {
	v := &CredentialView{IRI: d.str(), CTID: d.raw(), Name: d.raw(), Description: d.raw(), SubjectWebpage: d.str(), LastVerified: d.str()}
	for _, l := range []*[]string{&v.Types, &v.OwnedBy, &v.OfferedBy, &v.Competencies, &v.Occupations, &v.Industries,
		&v.Programs, &v.Clusters, &v.SubClusters, &v.SupersededBy, &v.SameAs} {
		*l = d.list()
	}
	flags := d.uint()
	v.Retired, v.IsCredential = flags&snapRetired != 0, flags&snapIsCredential != 0
	if n := d.count(); n > 0 {
		v.Identifiers = make([]Identifier, n-1)
		for i := range v.Identifiers {
			v.Identifiers[i] = Identifier{Source: d.str(), Code: d.str()}
		}
	}
	return v
}

func (d *snapshotDecoder) designation() *DesignationView {
	v := &DesignationView{IRI: d.raw(), CTID: d.raw(), Agency: d.str(), Credential: d.str(), Region: d.str(),
		ValidFrom: d.str(), ValidThrough: d.str(), RetiredOn: d.str(), RetirementReason: d.str(), LastVerified: d.str()}
	for _, l := range []*[]string{&v.Clusters, &v.SubClusters, &v.Criteria} {
		*l = d.list()
	}
	flags := d.uint()
	v.Retired, v.isDesignation = flags&snapRetired != 0, flags&snapIsDesignation != 0
	if n := d.count(); n > 0 {
		v.Evidence = make([]EvidenceView, n-1)
		for i := range v.Evidence {
			v.Evidence[i] = EvidenceView{IRI: d.raw(), MedianAnnualWage: d.str(), ProjectedAnnualOpenings: d.str(), DataSource: d.str(), DataYear: d.str()}
		}
	}
	return v
}

// readListSnapshot reads and checks the snapshot file against the store:
// it returns the snapshot's content and sequence, or an error wrapping
// errSnapshot (or fs.ErrNotExist) that says why it cannot be used.
func (c *Catalog) readListSnapshot(ctx context.Context, path string) (*snapshotContent, uint64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, err
	}
	if len(data) < len(listSnapshotMagic)+4 {
		return nil, 0, fmt.Errorf("%w: %d bytes, too short", errSnapshot, len(data))
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if got := crc32.Checksum(body, castagnoli); got != sum {
		return nil, 0, fmt.Errorf("%w: checksum %08x, the file says %08x (damaged or cut short)", errSnapshot, got, sum)
	}
	d := &snapshotDecoder{b: body}
	h := d.header()
	switch {
	case d.err != nil:
		return nil, 0, d.err
	case h.version != listSnapshotVersion:
		return nil, 0, fmt.Errorf("%w: format version %d, this credreg writes %d", errSnapshot, h.version, listSnapshotVersion)
	case h.digest != snapshotDigest:
		return nil, 0, fmt.Errorf("%w: written by a credreg that reads records otherwise (digest %s, now %s)", errSnapshot, h.digest, snapshotDigest)
	case h.base != c.base.String():
		return nil, 0, fmt.Errorf("%w: written for base %s, the store's is %s", errSnapshot, h.base, c.base)
	}
	head := c.store.Sequence()
	if h.seq > head {
		return nil, 0, fmt.Errorf("%w: at change %d, beyond the store's head %d (a store restored from an older backup?)", errSnapshot, h.seq, head)
	}
	if h.seq > 0 {
		ch, err := c.store.ChangeAt(ctx, h.seq)
		if err != nil {
			return nil, 0, fmt.Errorf("%w: %w", errSnapshot, err)
		}
		if ch.IRI != h.changeIRI || ch.Hash != h.changeHash || ch.Time.UnixNano() != h.changeTime {
			return nil, 0, fmt.Errorf("%w: change %d of the store is not the one the snapshot was written after (another history)", errSnapshot, h.seq)
		}
	}
	content := d.body()
	if d.err != nil {
		return nil, 0, d.err
	}
	return content, h.seq, nil
}

// loadListSnapshot fills the index from the snapshot, if there is one it
// can trust, and returns the sequence it reflects. ok is false when the
// index must be built by a scan; the reason is logged.
func (c *Catalog) loadListSnapshot(ctx context.Context) (seq uint64, ok bool) {
	path := c.snapshotPath()
	if path == "" {
		return 0, false
	}
	start := time.Now()
	content, seq, err := c.readListSnapshot(ctx, path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		c.log.Info("list index: no snapshot, building by a scan", "path", path)
		return 0, false
	case err != nil:
		c.log.Warn("list index: snapshot not used, building by a scan", "path", path, "reason", err)
		return 0, false
	}
	read := time.Since(start)
	// Catching up costs a few times what scanning costs per record: far
	// behind (a crash long after the last snapshot), a scan is quicker.
	if behind, size := c.store.Sequence()-seq, len(content.terms)+len(content.creds)+len(content.desigs); behind > uint64(size/2) {
		c.log.Info("list index: snapshot too far behind the store, building by a scan", "path", path,
			"sequence", seq, "changes_behind", behind, "records", size)
		return 0, false
	}
	ix := c.list
	ix.mu.Lock()
	// A build retried after a failure finds the index filled: then each
	// entry replaces what it holds, as apply does.
	fresh := len(ix.slots) == 0 && len(ix.terms) == 0
	if fresh {
		ix.reserve(len(content.terms), len(content.creds), len(content.desigs))
	}
	for _, t := range content.terms {
		if !fresh {
			ix.forget(t.iri)
		}
		ix.insertTerm(t)
	}
	for _, v := range content.creds {
		if !fresh {
			ix.forget(v.IRI)
		}
		ix.addCredential(v)
	}
	for _, v := range content.desigs {
		if !fresh {
			ix.forget(v.IRI)
		}
		ix.addDesignation(v)
	}
	ix.gen++
	ix.mu.Unlock()
	c.log.Info("list index: snapshot loaded", "path", path, "sequence", seq, "credentials", len(content.creds),
		"designations", len(content.desigs), "read", read.Round(time.Millisecond), "elapsed", time.Since(start).Round(time.Millisecond))
	return seq, true
}

// While a store serves, its list index snapshot is written again once
// snapshotChanges changes have been applied since the last one (a large
// import), or snapshotStale after an earlier change, so that a crash
// (no clean close) costs a catch-up of at most about that much.
var (
	snapshotCheck   = time.Minute
	snapshotChanges = uint64(10_000)
	snapshotStale   = 15 * time.Minute
)

// startSnapshots starts, once, the loop that writes the snapshot while
// the catalog is open.
func (c *Catalog) startSnapshots() {
	if c.snapshotPath() == "" || c.life == nil {
		return
	}
	c.snapOnce.Do(func() {
		c.bg.Add(1)
		go func() {
			defer c.bg.Done()
			c.snapshotLoop(c.life)
		}()
	})
}

func (c *Catalog) snapshotLoop(ctx context.Context) {
	t := time.NewTicker(snapshotCheck)
	defer t.Stop()
	since := time.Now() // since the snapshot was last known current
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		ix := c.list
		ix.mu.RLock()
		seq := ix.seq
		ix.mu.RUnlock()
		behind := seq - min(seq, ix.snapSeq.Load())
		if behind == 0 {
			since = time.Now()
			continue
		}
		if behind < snapshotChanges && time.Since(since) < snapshotStale {
			continue
		}
		if _, err := c.WriteListSnapshot(ctx); err != nil {
			c.log.Warn("list index snapshot not written", "err", err)
			continue
		}
		since = time.Now()
	}
}

// reserve sizes an empty index's tables for what a snapshot holds, so
// that filling them does not grow them step by step.
func (ix *listIndex) reserve(terms, creds, desigs int) {
	ix.terms = make(map[string]*term, terms)
	ix.slots = make(map[string]*credSlot, creds)
	ix.desigs = make(map[string]*desigEntry, desigs)
	ix.ids = make(map[string]uint32, creds+terms)
	ix.names = make([]string, 0, creds+terms)
	ix.creds = make([]*credEntry, 0, creds)
	ix.chot = make([]credHot, 0, creds)
	ix.nameGrams = make([][2]uint64, 0, creds)
	ix.dents = make([]*desigEntry, 0, desigs)
	ix.dhot = make([]desigHot, 0, desigs)
	ix.matchKeys = newEntrySets(creds)
}
