package catalog

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/gob"
	"encoding/json"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"credreg/rdf"
	"credreg/registry"

	"github.com/cayleygraph/quad"
)

// openDir opens the Badger store in dir (the test base) and its catalog
// with opts, closing both when the test ends.
func openDir(t testing.TB, dir string, opts Options) *testStore {
	t.Helper()
	return openURL(t, "badger://"+dir, opts)
}

// warm builds the list index and returns its status.
func warm(t testing.TB, s *testStore) ListStatus {
	t.Helper()
	if err := s.WarmList(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s.ListStatus()
}

func closeStore(t testing.TB, s *testStore) {
	t.Helper()
	if err := s.close(); err != nil {
		t.Fatal(err)
	}
}

// listAnswers is what the list index answers on a store: pages of many
// list queries (filters of every kind, text, days, paging), the facets,
// the Cluster report and credential matching, for comparing two indexes.
func listAnswers(t testing.TB, s *testStore) string {
	t.Helper()
	ctx := context.Background()
	queries := []ListQuery{
		{Active: ActiveAny, Limit: MaxListLimit},
		{Active: ActiveAny, Limit: 2},
		{Active: listDay},
		{Active: "2027-03-01"},
		{Active: listDay, Cluster: []string{"Digital Technology"}},
		{Active: ActiveAny, Cluster: []string{"healthcare and human services"}},
		{Active: listDay, SubCluster: []string{"Network Systems & Cybersecurity"}},
		{Active: ActiveAny, Agency: []string{fxDeptEd}},
		{Active: listDay, Agency: []string{"Heartland Higher Education Coordinating Board"}},
		{Active: ActiveAny, Region: []string{"river valley workforce region"}},
		{Active: listDay, Criteria: []string{"High skill", "in-demand"}},
		{Active: listDay, SOC: []string{"29-1141.00"}},
		{Active: ActiveAny, SOC: []string{"Information Security Analysts"}},
		{Active: ActiveAny, NAICS: []string{"332710"}},
		{Active: ActiveAny, CIP: []string{"513801"}},
		{Active: ActiveAny, Competency: []string{listCompetency}},
		{Active: ActiveAny, Type: []string{"License"}},
		{Active: ActiveAny, Text: "nurses"},
		{Active: ActiveAny, Text: "Cyber security"},
		{Active: ActiveAny, Text: "snapshot"},
		{Active: ActiveAny, Text: "secrity"}, // a slip
		{Active: listDay, VerifiedSince: "2026-01-01"},
	}
	out := map[string]any{}
	for _, q := range queries {
		key, _ := json.Marshal(q)
		page, err := s.List(ctx, q)
		if err != nil {
			out[string(key)] = "error: " + err.Error()
			continue
		}
		page.Generation = 0
		out[string(key)] = page
	}
	facets, err := s.Facets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out["facets"] = facets
	report, err := s.ClusterReport(ctx, listDay)
	if err != nil {
		t.Fatal(err)
	}
	rep := *report
	rep.Generation = 0 // counts the index's updates, which differ
	out["report"] = rep
	for _, name := range []string{"Beta Cyber Security Certification", "Snapshot Plumbing Certificate", "Gamma Welding License"} {
		m, err := s.MatchCredential(ctx, CredentialKey{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		out["match "+name] = m
	}
	b, err := json.MarshalIndent(out, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// indexContent is what the index holds, by IRI, for comparing two.
func indexContent(s *testStore) *snapshotContent {
	ix := s.list
	ix.mu.RLock()
	c := ix.content()
	ix.mu.RUnlock()
	sort.Slice(c.creds, func(i, j int) bool { return c.creds[i].IRI < c.creds[j].IRI })
	sort.Slice(c.desigs, func(i, j int) bool { return c.desigs[i].IRI < c.desigs[j].IRI })
	return c
}

// sameIndex fails the test unless s answers as a store whose index was
// built by a scan answers want, and holds the same entries.
func sameIndex(t *testing.T, what string, got, want string, gotC, wantC *snapshotContent) {
	t.Helper()
	if got != want {
		gl, wl := strings.Split(got, "\n"), strings.Split(want, "\n")
		for i := 0; i < len(gl) && i < len(wl); i++ {
			if gl[i] != wl[i] {
				t.Fatalf("%s: answers differ from the scan's at line %d:\n got %s\nwant %s", what, i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("%s: answers differ from the scan's (%d lines, want %d)", what, len(gl), len(wl))
	}
	if !reflect.DeepEqual(gotC, wantC) {
		t.Fatalf("%s: the index holds other entries than the scan's (%d/%d/%d, want %d/%d/%d)", what,
			len(gotC.terms), len(gotC.creds), len(gotC.desigs), len(wantC.terms), len(wantC.creds), len(wantC.desigs))
	}
}

// scanned reopens the store in dir without its snapshot (building the
// index by a scan) and returns its answers and content.
func scanned(t *testing.T, dir string) (string, *snapshotContent) {
	t.Helper()
	s := openDir(t, dir, Options{NoListSnapshot: true})
	if st := warm(t, s); st.FromSnapshot {
		t.Fatal("a store without snapshots read one")
	}
	a, c := listAnswers(t, s), indexContent(s)
	closeStore(t, s)
	return a, c
}

// listStoreIn fills the store in dir as listStore does and closes it with
// its index built (so that a snapshot is written); it returns the
// answers of the index the writes kept.
func listStoreIn(t *testing.T, dir string) string {
	t.Helper()
	s := openDir(t, dir, Options{})
	warm(t, s) // writes keep the index from here on
	fillListStore(t, s)
	a := listAnswers(t, s)
	closeStore(t, s)
	return a
}

func snapPath(dir string) string { return filepath.Join(dir, listSnapshotFile) }

func TestListSnapshotRoundTrip(t *testing.T) {
	dir := t.TempDir()
	kept := listStoreIn(t, dir)
	fi, err := os.Stat(snapPath(dir))
	if err != nil {
		t.Fatalf("no snapshot after a clean close: %v", err)
	}
	s := openDir(t, dir, Options{})
	st := warm(t, s)
	if !st.FromSnapshot {
		t.Fatal("the index was not read from the snapshot")
	}
	if st.Credentials != 6 {
		t.Errorf("%d credentials, want 6", st.Credentials)
	}
	loaded, loadedC := listAnswers(t, s), indexContent(s)
	closeStore(t, s)
	// Nothing changed: the close leaves the file as it was.
	if fi2, err := os.Stat(snapPath(dir)); err != nil || !fi2.ModTime().Equal(fi.ModTime()) {
		t.Errorf("an unchanged index was written again (%v)", err)
	}
	want, wantC := scanned(t, dir)
	if kept != want {
		t.Fatal("the index kept by writes and the scan's differ (the comparison is void)")
	}
	sameIndex(t, "read from the snapshot", loaded, want, loadedC, wantC)
}

// deleteRecordRaw removes a record and logs it, as another writer of the
// store would (the store has no delete of its own): the index of s does
// not see it until it catches up.
func deleteRecordRaw(t *testing.T, s *testStore, iri string) {
	t.Helper()
	if _, err := s.RemoveUnheard(context.Background(), "another server", iri); err != nil {
		t.Fatal(err)
	}
}

// snapshotWrites are writes of every kind the index follows: a new
// credential, a renamed one, a retired credential and designation, a new
// designation, a relabelled term and a deleted credential.
func snapshotWrites(t *testing.T, s *testStore) {
	t.Helper()
	ctx := context.Background()
	doc := `{"@context":"https://w3id.org/credreg/context/v1.jsonld","@graph":[
	 {"id":"resources/ce-33333333-0000-4000-8000-000000000001","type":"Certificate","ctid":"ce-33333333-0000-4000-8000-000000000001",
	  "name":"Snapshot Plumbing Certificate","description":"Pipes and snapshots.","ownedBy":"resources/` + fxCompTIA + `","occupationType":"schemes/soc/47-2152"},
	 {"id":"resources/ce-33333333-0000-4000-8000-000000000002","type":"ValueDesignation","ctid":"ce-33333333-0000-4000-8000-000000000002",
	  "agency":"resources/` + fxWorkforce + `","credential":"resources/ce-33333333-0000-4000-8000-000000000001",
	  "subCluster":"schemes/career-clusters/010204","region":"Snapshot Workforce Region","validFrom":"2025-01-01",
	  "criterion":["schemes/value-criteria/in-demand"]},
	 {"id":"resources/` + lc3 + `","type":"License","ctid":"` + lc3 + `","name":"Gamma Welding And Cutting License",
	  "description":"Certifies welders in structural steel, snapshot edition.","ownedBy":"resources/` + fxCompTIA + `","occupationType":"schemes/soc/51-4121"}
	]}`
	if _, err := s.PutBatch(ctx, fxActor, mustRecords(t, s, []byte(doc))); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	if _, err := s.Retire(ctx, fxActor, res(s, lc2), "withdrawn", day); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Retire(ctx, fxActor, res(s, "ce-22222222-0000-4000-8000-000000000001"), "not renewed", day); err != nil {
		t.Fatal(err)
	}
	// A Cluster's record relabelled.
	cluster := s.Base().Concept("career-clusters", "060100")
	rec, err := s.Get(ctx, cluster)
	if err != nil {
		t.Fatal(err)
	}
	var quads []quad.Quad
	for _, q := range rec.Quads {
		if rdf.IRIOf(q.Predicate) == "http://www.w3.org/2004/02/skos/core#prefLabel" {
			q.Object = quad.String("Digital Technology Snapshot")
		}
		quads = append(quads, q)
	}
	if _, err := s.Put(ctx, fxActor, registry.Record{IRI: cluster, Quads: quads}); err != nil {
		t.Fatal(err)
	}
	deleteRecordRaw(t, s, res(s, lc6))
}

// TestListSnapshotCatchUp: a snapshot older than the store (a crash
// after later writes: the file is put back as it was) is read and caught
// up from the change log, and answers as the scan's index does.
func TestListSnapshotCatchUp(t *testing.T) {
	dir := t.TempDir()
	before := listStoreIn(t, dir)
	old, err := os.ReadFile(snapPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	s := openDir(t, dir, Options{})
	warm(t, s)
	snapshotWrites(t, s)
	// The index does not see another writer's delete until it catches up.
	if n, err := s.CatchUpList(context.Background()); err != nil || n != 1 {
		t.Fatalf("catch up after the delete: %d records, %v; want 1", n, err)
	}
	if n, err := s.CatchUpList(context.Background()); err != nil || n != 0 {
		t.Fatalf("catch up again: %d records, %v; want 0", n, err)
	}
	live := listAnswers(t, s)
	closeStore(t, s)
	if err := os.WriteFile(snapPath(dir), old, 0o600); err != nil {
		t.Fatal(err)
	}

	s = openDir(t, dir, Options{})
	if st := warm(t, s); !st.FromSnapshot {
		t.Fatal("the older snapshot was not used")
	}
	got, gotC := listAnswers(t, s), indexContent(s)
	closeStore(t, s)
	want, wantC := scanned(t, dir)
	if want == before {
		t.Fatal("the writes changed no answer (the comparison is void)")
	}
	for _, s := range []string{"Snapshot Plumbing Certificate", "Gamma Welding And Cutting License", "Digital Technology Snapshot", "not renewed"} {
		if !strings.Contains(want, s) {
			t.Errorf("the answers do not show the write of %q", s)
		}
	}
	if strings.Contains(want, "Zeta Accounting Certificate") {
		t.Error("the deleted credential is still listed")
	}
	sameIndex(t, "the index kept by the writes", live, want, gotC, wantC)
	sameIndex(t, "an old snapshot caught up", got, want, gotC, wantC)
}

// rewriteSnapshot rewrites the header of the snapshot at path with edit,
// the body as it was, and a checksum that holds.
func rewriteSnapshot(t *testing.T, path string, edit func(*snapshotHeader), body func([]byte) []byte) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d := &snapshotDecoder{b: data[:len(data)-4]}
	h := d.header()
	if d.err != nil {
		t.Fatal(d.err)
	}
	rest := data[d.p : len(data)-4]
	if edit != nil {
		edit(&h)
	}
	if body != nil {
		rest = body(rest)
	}
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	e := &snapshotEncoder{w: w, strs: map[string]uint64{}}
	e.bytes([]byte(listSnapshotMagic))
	e.uint(h.version)
	e.raw(h.digest)
	e.raw(h.base)
	e.uint(h.seq)
	e.raw(h.changeIRI)
	e.raw(h.changeHash)
	e.int(h.changeTime)
	e.bytes(rest)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	out := binary.LittleEndian.AppendUint32(buf.Bytes(), crc32.Checksum(buf.Bytes(), castagnoli))
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		src, err := os.Open(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		dst, err := os.Create(filepath.Join(to, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(dst, src); err != nil {
			t.Fatal(err)
		}
		src.Close()
		if err := dst.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestUntrustedListSnapshotIsIgnored: a snapshot that is missing, damaged,
// of another format, base or history, or ahead of the store is not used;
// the index is built by a scan and answers the same.
func TestUntrustedListSnapshotIsIgnored(t *testing.T) {
	template := t.TempDir()
	listStoreIn(t, template)
	want, wantC := scanned(t, template)
	head := func(dir string) uint64 {
		s := openDir(t, dir, Options{NoListSnapshot: true})
		defer closeStore(t, s)
		return s.Sequence()
	}(template)
	header := func(edit func(*snapshotHeader)) func(*testing.T, string) {
		return func(t *testing.T, path string) { rewriteSnapshot(t, path, edit, nil) }
	}
	tests := []struct {
		name   string
		damage func(t *testing.T, path string)
	}{
		{"missing", func(t *testing.T, path string) { _ = os.Remove(path) }},
		{"empty", func(t *testing.T, path string) { _ = os.WriteFile(path, nil, 0o600) }},
		{"cut short", func(t *testing.T, path string) {
			data, _ := os.ReadFile(path)
			_ = os.WriteFile(path, data[:len(data)/2], 0o600)
		}},
		{"a flipped bit", func(t *testing.T, path string) {
			data, _ := os.ReadFile(path)
			data[len(data)/2] ^= 0x10
			_ = os.WriteFile(path, data, 0o600)
		}},
		{"another format version", header(func(h *snapshotHeader) { h.version = listSnapshotVersion + 1 })},
		{"another layout of the views", header(func(h *snapshotHeader) { h.digest = "00000000" })},
		{"another base", header(func(h *snapshotHeader) { h.base = "https://other.example.org" })},
		{"ahead of the store", header(func(h *snapshotHeader) { h.seq = head + 3 })},
		{"another history", header(func(h *snapshotHeader) { h.changeHash = "sha256:0000" })},
		{"a body that does not parse", func(t *testing.T, path string) {
			rewriteSnapshot(t, path, nil, func(b []byte) []byte { return append([]byte{0xff, 0xff, 0xff}, b...) })
		}},
		{"a body with bytes after it", func(t *testing.T, path string) {
			rewriteSnapshot(t, path, nil, func(b []byte) []byte { return append(b, 0) })
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			copyDir(t, template, dir)
			tc.damage(t, snapPath(dir))
			s := openDir(t, dir, Options{})
			if st := warm(t, s); st.FromSnapshot {
				t.Fatal("the snapshot was used")
			}
			sameIndex(t, "built after the snapshot was refused", listAnswers(t, s), want, indexContent(s), wantC)
			closeStore(t, s)
			// The close leaves a good snapshot in its place.
			s = openDir(t, dir, Options{})
			if st := warm(t, s); !st.FromSnapshot {
				t.Fatal("the snapshot written at close was not used")
			}
			sameIndex(t, "read from the new snapshot", listAnswers(t, s), want, indexContent(s), wantC)
		})
	}
	// The untouched template still reads its snapshot: the cases above
	// fail for their damage alone.
	s := openDir(t, template, Options{})
	if st := warm(t, s); !st.FromSnapshot {
		t.Fatal("the undamaged snapshot was not used")
	}
}

// TestCatchUpListWhileReading replays the whole change log into a built
// index while readers list: readers never fail, and the index ends as the
// scan's; replaying again changes nothing.
func TestCatchUpListWhileReading(t *testing.T) {
	dir := t.TempDir()
	listStoreIn(t, dir)
	s := openDir(t, dir, Options{})
	warm(t, s)
	snapshotWrites(t, s)
	ctx := context.Background()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				page, err := s.List(ctx, ListQuery{Active: ActiveAny, Text: "license"})
				if err == nil && page.Total == 0 {
					err = io.ErrUnexpectedEOF
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	var answers []string
	for range 3 {
		s.list.mu.Lock()
		s.list.seq = 0 // as if the index had seen nothing of the log
		s.list.mu.Unlock()
		n, err := s.CatchUpList(ctx)
		if err != nil || n == 0 {
			t.Fatalf("catch up from 0: %d records, %v", n, err)
		}
		if s.list.seq != s.Sequence() {
			t.Fatalf("caught up to %d, the head is %d", s.list.seq, s.Sequence())
		}
		answers = append(answers, listAnswers(t, s))
	}
	close(stop)
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatalf("a reader failed during the catch-up: %v", err)
	default:
	}
	gotC := indexContent(s)
	closeStore(t, s)
	want, wantC := scanned(t, dir)
	for i, a := range answers {
		sameIndex(t, "replayed", a, want, gotC, wantC)
		_ = i
	}
}

// TestListSnapshotKeepsEveryField: every field of the views the index
// holds survives the snapshot (a field added to a view and not to the
// snapshot fails here).
func TestListSnapshotKeepsEveryField(t *testing.T) {
	cred := &CredentialView{}
	fill(reflect.ValueOf(cred).Elem(), "c")
	cred.Record = nil // the index keeps views without their records
	des := &DesignationView{isDesignation: true}
	fill(reflect.ValueOf(des).Elem(), "d")
	des.Record = nil
	tm := &term{iri: "i", label: "l", notation: "n", kind: "k", parent: "p"}
	in := &snapshotContent{terms: []*term{tm}, creds: []*CredentialView{cred, {IRI: "empty"}}, desigs: []*DesignationView{des, {IRI: "empty"}}}
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	h := snapshotHeader{version: listSnapshotVersion, digest: snapshotDigest, base: "b", seq: 7, changeIRI: "x", changeHash: "y", changeTime: 9}
	if err := encodeSnapshot(w, h, in); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	d := &snapshotDecoder{b: data[:len(data)-4]}
	if got := d.header(); got != h {
		t.Errorf("header %+v, want %+v", got, h)
	}
	out := d.body()
	if d.err != nil {
		t.Fatal(d.err)
	}
	if !reflect.DeepEqual(out, in) {
		a, _ := json.Marshal(out.creds)
		b, _ := json.Marshal(in.creds)
		t.Errorf("read back\n%s\nwant\n%s", a, b)
	}
}

// fill sets every settable field of v to a value of its own.
func fill(v reflect.Value, name string) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(name)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			fill(s.Index(i), name+string(rune('0'+i)))
		}
		v.Set(s)
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Field(i); f.CanSet() {
				fill(f, name+"."+v.Type().Field(i).Name)
			}
		}
	}
}

// BenchmarkListSnapshot measures writing and reading the snapshot's
// content for CREDREG_BENCH_N synthetic credentials (default 100000; see
// memListStore), in credreg's format and, for comparison, encoding/gob
// of the same views.
func BenchmarkListSnapshot(b *testing.B) {
	n := 100_000
	if v := os.Getenv("CREDREG_BENCH_N"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	s := memListStore(b, n)
	s.list.mu.RLock()
	c := s.list.content()
	s.list.mu.RUnlock()
	h := snapshotHeader{version: listSnapshotVersion, digest: snapshotDigest, base: s.base.String()}
	var own bytes.Buffer
	if err := encodeSnapshot(bufio.NewWriter(&own), h, c); err != nil {
		b.Fatal(err)
	}
	type gobContent struct {
		Creds  []*CredentialView
		Desigs []*DesignationView
	}
	var gb bytes.Buffer
	if err := gob.NewEncoder(&gb).Encode(gobContent{c.creds, c.desigs}); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d credentials, %d designations: credreg format %d bytes, gob %d bytes", len(c.creds), len(c.desigs), own.Len(), gb.Len())
	b.Run("write", func(b *testing.B) {
		for b.Loop() {
			var buf bytes.Buffer
			if err := encodeSnapshot(bufio.NewWriter(&buf), h, c); err != nil {
				b.Fatal(err)
			}
		}
		b.SetBytes(int64(own.Len()))
	})
	b.Run("read", func(b *testing.B) {
		for b.Loop() {
			data := own.Bytes()
			d := &snapshotDecoder{b: data[:len(data)-4]}
			d.header()
			if d.body(); d.err != nil {
				b.Fatal(d.err)
			}
		}
		b.SetBytes(int64(own.Len()))
	})
	b.Run("read+index", func(b *testing.B) {
		for b.Loop() {
			data := own.Bytes()
			d := &snapshotDecoder{b: data[:len(data)-4]}
			d.header()
			got := d.body()
			ix := newListIndex()
			ix.reserve(len(got.terms), len(got.creds), len(got.desigs))
			for _, t := range got.terms {
				ix.insertTerm(t)
			}
			for _, v := range got.creds {
				ix.addCredential(v)
			}
			for _, v := range got.desigs {
				ix.addDesignation(v)
			}
		}
	})
	b.Run("gob-write", func(b *testing.B) {
		for b.Loop() {
			var buf bytes.Buffer
			if err := gob.NewEncoder(&buf).Encode(gobContent{c.creds, c.desigs}); err != nil {
				b.Fatal(err)
			}
		}
		b.SetBytes(int64(gb.Len()))
	})
	b.Run("gob-read", func(b *testing.B) {
		for b.Loop() {
			var got gobContent
			if err := gob.NewDecoder(bytes.NewReader(gb.Bytes())).Decode(&got); err != nil {
				b.Fatal(err)
			}
		}
		b.SetBytes(int64(gb.Len()))
	})
}

// TestListSnapshotWrittenWhileServing: after enough changes the snapshot
// is written again without a close, so a crash then loses no more.
func TestListSnapshotWrittenWhileServing(t *testing.T) {
	check, changes := snapshotCheck, snapshotChanges
	t.Cleanup(func() { snapshotCheck, snapshotChanges = check, changes })
	snapshotCheck, snapshotChanges = 10*time.Millisecond, 1
	dir := t.TempDir()
	s := openDir(t, dir, Options{})
	warm(t, s)
	fillListStore(t, s)
	head := s.Sequence()
	deadline := time.Now().Add(10 * time.Second)
	for s.list.snapSeq.Load() != head {
		if time.Now().After(deadline) {
			t.Fatalf("no snapshot at %d written while serving (the file holds %d)", head, s.list.snapSeq.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}
	// What a crash leaves: the file as written while serving.
	data, err := os.ReadFile(snapPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	want := listAnswers(t, s)
	closeStore(t, s)
	if err := os.WriteFile(snapPath(dir), data, 0o600); err != nil {
		t.Fatal(err)
	}
	s = openDir(t, dir, Options{})
	if st := warm(t, s); !st.FromSnapshot {
		t.Fatal("the snapshot written while serving was not used")
	}
	if got := listAnswers(t, s); got != want {
		t.Fatal("the snapshot written while serving answers otherwise")
	}
}

// TestSnapshotDigestNamesNoPackage: the digest describes the views'
// fields and types, not the package they live in, so moving a view
// between packages does not throw away every snapshot.
func TestSnapshotDigestNamesNoPackage(t *testing.T) {
	for in, want := range map[string]string{
		"[]catalog.Identifier":            "[]Identifier",
		"map[string][]registry.term":      "map[string][]term",
		"*catalog.EvidenceView":           "*EvidenceView",
		"[]string":                        "[]string",
		"map[uint32]int32":                "map[uint32]int32",
		"struct { A catalog.Identifier }": "struct { A Identifier }",
	} {
		if got := packageName.ReplaceAllString(in, ""); got != want {
			t.Errorf("%s without package names = %s, want %s", in, got, want)
		}
	}
}
