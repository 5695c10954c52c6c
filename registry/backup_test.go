package registry

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cayleygraph/quad"
	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/pb"

	"credreg/rdf"
	"credreg/registry/internal/quadstore"
	"credreg/schema"
)

// credentialNo is the sample credential under the i-th test CTID, named name.
func credentialNo(t *testing.T, i int, name string) Record {
	t.Helper()
	cred := sampleRecords(t)[0]
	ctid := fmt.Sprintf("ce-%08x-0000-4000-8000-000000000000", i)
	iri := testBase + "/resources/" + ctid
	var qs []quad.Quad
	for _, q := range cred.Quads {
		if q.Subject == quad.IRI(cred.IRI) {
			q.Subject = quad.IRI(iri)
		}
		switch q.Predicate {
		case quad.IRI(schema.CTID):
			q.Object = quad.String(ctid)
		case quad.IRI(schema.Name):
			q.Object = quad.String(name)
		}
		qs = append(qs, q)
	}
	return Record{IRI: iri, Quads: qs}
}

// allQuads is every statement of the store, bookkeeping and tokens
// included, as sorted N-Quads lines.
func allQuads(t *testing.T, s *Store) []string {
	t.Helper()
	var out []string
	err := s.scanAllQuads(context.Background(), func(q quad.Quad) error {
		out = append(out, rdf.NQuadLine(q.Subject, q.Predicate, q.Object, q.Label))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func backupTo(t *testing.T, s *Store) (string, BackupInfo) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "store.crbak")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Backup(context.Background(), f)
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path, info
}

func restoreFrom(t *testing.T, path, dir string) (RestoreInfo, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return Restore(context.Background(), "badger://"+dir, f, RestoreOptions{})
}

// TestBackupRestoreIsExact: a store at rest comes back statement for
// statement (records, bookkeeping, change log, tokens), its tokens work
// and its next write continues the change log.
func TestBackupRestoreIsExact(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir())
	recs := sampleRecords(t)
	if _, err := s.PutBatch(ctx, "a", recs); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Retire(ctx, "a", recs[2].IRI, "superseded", time.Now()); err != nil {
		t.Fatal(err)
	}
	secret, _, err := s.CreateToken(ctx, recs[1].IRI, RoleAdmin, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var progress []BackupProgress
	var buf bytes.Buffer
	info, err := s.BackupWith(ctx, &buf, BackupOptions{Progress: func(p BackupProgress) { progress = append(progress, p) }})
	if err != nil {
		t.Fatal(err)
	}
	if info.Sequence != 4 || info.Keys == 0 || info.Bytes != int64(buf.Len()) || info.Base != testBase || info.Layout.QuadStoreVersion != quadStoreVersion {
		t.Errorf("backup info %+v (file of %d bytes)", info, buf.Len())
	}
	if len(progress) == 0 || progress[len(progress)-1].Keys != info.Keys {
		t.Errorf("progress %v, keys %d", progress, info.Keys)
	}
	want := allQuads(t, s)

	dir := filepath.Join(t.TempDir(), "restored") // missing: Restore makes it
	var rprog BackupProgress
	ri, err := Restore(ctx, "badger://"+dir, bytes.NewReader(buf.Bytes()), RestoreOptions{Progress: func(p BackupProgress) { rprog = p }})
	if err != nil {
		t.Fatal(err)
	}
	if ri.Keys != info.Keys || ri.Bytes != info.Bytes || ri.Sequence != 4 || rprog.Keys != info.Keys || rprog.Bytes != info.Bytes {
		t.Errorf("restore info %+v, last progress %+v; backup %+v", ri, rprog, info)
	}
	r := openStore(t, dir)
	if got := allQuads(t, r); strings.Join(got, "") != strings.Join(want, "") {
		t.Fatalf("restored store differs: %d statements, want %d", len(got), len(want))
	}
	if tok, err := r.Authenticate(ctx, secret); err != nil || !tok.Admin() {
		t.Errorf("the admin token on the restored store: %+v %v", tok, err)
	}
	wantToks, err := s.be.ListTokens(ctx)
	if err != nil {
		t.Fatal(err)
	}
	gotToks, err := r.be.ListTokens(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sameTokens(t, "the restored tokens", gotToks, wantToks)
	if got, err := r.Get(ctx, recs[2].IRI); err != nil || !got.Retired() {
		t.Errorf("retired designation: %v", err)
	}
	c, err := r.Put(ctx, "a", credentialNo(t, 1, "After the restore"))
	if err != nil || c.Seq != 5 {
		t.Fatalf("first write after restore: %+v %v, want sequence 5", c, err)
	}
	// Writes on the source after the backup are not in the restored store.
	if _, err := s.Put(ctx, "a", credentialNo(t, 2, "After the backup")); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Get(ctx, credentialNo(t, 2, "").IRI); !errors.Is(err, ErrNotFound) {
		t.Errorf("a write after the backup is in the restore: %v", err)
	}
}

// TestBackupWhileWriting takes a backup while writers commit batches: the
// restored store holds exactly the state at the backup's sequence (every
// batch acknowledged before the backup began, no half batch, each
// record as of its last change up to that point), and new writes
// continue after it.
func TestBackupWhileWriting(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir())
	if _, err := s.PutBatch(ctx, "a", sampleRecords(t)); err != nil {
		t.Fatal(err)
	}
	type batch struct{ changes []Change }
	var (
		mu    sync.Mutex
		acked []batch
		stop  = make(chan struct{})
		wg    sync.WaitGroup
		errc  = make(chan error, 4)
	)
	const writers, perBatch = 3, 3
	for g := 0; g < writers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := 0; ; round++ {
				select {
				case <-stop:
					return
				default:
				}
				var recs []Record
				for k := 0; k < perBatch; k++ {
					// Each writer rewrites its own few records, so records
					// are both created and replaced.
					no := 100 + g*perBatch*4 + (round%4)*perBatch + k
					recs = append(recs, credentialNo(t, no, fmt.Sprintf("writer %d round %d", g, round)))
				}
				cs, err := s.PutBatch(ctx, "a", recs)
				if err != nil {
					errc <- err
					return
				}
				mu.Lock()
				acked = append(acked, batch{cs})
				mu.Unlock()
			}
		}()
	}
	waitFor := func(n int) {
		deadline := time.Now().Add(time.Minute)
		for {
			mu.Lock()
			got := len(acked)
			mu.Unlock()
			if got >= n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("only %d batches written", got)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitFor(10)
	mu.Lock()
	var before uint64
	for _, b := range acked {
		for _, c := range b.changes {
			before = max(before, c.Seq)
		}
	}
	n := len(acked)
	mu.Unlock()
	path, info := backupTo(t, s)
	waitFor(n + 10) // writes go on after the backup
	close(stop)
	wg.Wait()
	select {
	case err := <-errc:
		t.Fatal(err)
	default:
	}
	if info.Sequence < before {
		t.Fatalf("backup at sequence %d misses writes acknowledged before it (up to %d)", info.Sequence, before)
	}
	if info.Sequence >= s.Sequence() {
		t.Fatalf("no write after the backup (at %d, head %d): the test proves nothing", info.Sequence, s.Sequence())
	}

	dir := t.TempDir()
	if _, err := restoreFrom(t, path, dir); err != nil {
		t.Fatal(err)
	}
	r := openStore(t, dir)
	head := r.Sequence()
	if head != info.Sequence {
		t.Fatalf("restored change log ends at %d, the backup was at %d", head, info.Sequence)
	}
	// The change log is the source's, up to the head.
	got, err := r.Changes(ctx, 0, int(head)+1)
	if err != nil {
		t.Fatal(err)
	}
	src, err := s.Changes(ctx, 0, int(head))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != int(head) || fmt.Sprint(got) != fmt.Sprint(src) {
		t.Fatalf("restored change log (%d entries) differs from the source's first %d", len(got), head)
	}
	// No half batch, and every record as of its last change up to head.
	last := map[string]Change{}
	for _, c := range src {
		last[c.IRI] = c
	}
	for _, b := range acked {
		in := 0
		for _, c := range b.changes {
			if c.Seq <= head {
				in++
			}
		}
		if in != 0 && in != len(b.changes) {
			t.Errorf("half a batch restored: %d of %v", in, b.changes)
		}
		for _, c := range b.changes {
			want, ok := last[c.IRI]
			rec, err := r.Get(ctx, c.IRI)
			switch {
			case !ok && !errors.Is(err, ErrNotFound):
				t.Errorf("%s, first written after the backup, is restored: %v", c.IRI, err)
			case ok && err != nil:
				t.Errorf("%s: %v", c.IRI, err)
			case ok && (rec.Hash != want.Hash || rec.Version != want.Seq):
				t.Errorf("%s restored as %s (change %d), want %s (change %d)", c.IRI, rec.Hash, rec.Version, want.Hash, want.Seq)
			}
		}
	}
	// Numbers go on from the restored head, also after a reopen.
	c, err := r.Put(ctx, "b", credentialNo(t, 1, "first after restore"))
	if err != nil || c.Seq != head+1 {
		t.Fatalf("write after restore: %+v %v, want sequence %d", c, err, head+1)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	r = openStore(t, dir)
	if c, err := r.Put(ctx, "b", credentialNo(t, 2, "after reopen")); err != nil || c.Seq != head+2 {
		t.Fatalf("write after reopen: %+v %v, want sequence %d", c, err, head+2)
	}
	statements := 0
	if err := r.ScanRecords(ctx, nil, func(quad.Quad) error { statements++; return nil }); err != nil || statements == 0 {
		t.Errorf("scan of the restored store's records (what the list index reads): %d statements, %v", statements, err)
	}
}

func TestRestoreRefusesNonEmptyDirectory(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir())
	path, _ := backupTo(t, s)

	dir := t.TempDir()
	keep := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(keep, []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := restoreFrom(t, path, dir); !errors.Is(err, ErrNotEmpty) || !strings.Contains(err.Error(), "notes.txt") {
		t.Errorf("restore into a directory with a file: %v", err)
	}
	if b, err := os.ReadFile(keep); err != nil || string(b) != "mine" {
		t.Errorf("the file was touched: %q %v", b, err)
	}
	// A store of its own (closed) is refused too.
	other := t.TempDir()
	o := openStore(t, other)
	if _, err := o.Put(ctx, "a", credentialNo(t, 7, "keep me")); err != nil {
		t.Fatal(err)
	}
	_ = o.Close()
	if _, err := restoreFrom(t, path, other); !errors.Is(err, ErrNotEmpty) {
		t.Errorf("restore over a store: %v", err)
	}
	o = openStore(t, other)
	if _, err := o.Get(ctx, credentialNo(t, 7, "").IRI); err != nil {
		t.Errorf("the store was damaged: %v", err)
	}
	file := filepath.Join(t.TempDir(), "plain")
	_ = os.WriteFile(file, nil, 0o600)
	if _, err := restoreFrom(t, path, file); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("restore onto a file: %v", err)
	}
}

func TestRestoreRefusesWhatIsNotAWholeBackup(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir())
	if _, err := s.PutBatch(ctx, "a", sampleRecords(t)); err != nil {
		t.Fatal(err)
	}
	var good bytes.Buffer
	if _, err := s.Backup(ctx, &good); err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(good.Bytes())
	_ = zw.Close()
	hdrEnd := bytes.IndexByte(good.Bytes()[len(backupMagic):], '\n') + len(backupMagic) + 1
	flipped := bytes.Clone(good.Bytes())
	flipped[hdrEnd+12+100] ^= 0x40
	newer := bytes.Replace(good.Bytes(), []byte(`{"format":1,`), []byte(`{"format":9,`), 1)
	tests := []struct {
		name string
		data []byte
		is   error
		want string
	}{
		{"empty", nil, ErrNotBackup, "empty"},
		{"garbage", []byte("PK\x03\x04 this is a zip file, or anything else entirely"), ErrNotBackup, `does not begin with the line "credreg-backup"`},
		{"problem JSON", []byte(`{"title":"Unauthorized","status":401}`), ErrNotBackup, "JSON or HTML"},
		{"gzip", gz.Bytes(), ErrNotBackup, "gunzip"},
		{"newer format", newer, nil, "newer credreg"},
		{"cut in the header", good.Bytes()[:len(backupMagic)+10], ErrDamagedBackup, "header"},
		{"cut short", good.Bytes()[:good.Len()/2], ErrDamagedBackup, "cut short"},
		{"no trailer", good.Bytes()[:good.Len()-5], ErrDamagedBackup, "trailer"},
		{"flipped bit", flipped, ErrDamagedBackup, "checksum"},
		{"data after the end", append(bytes.Clone(good.Bytes()), 'x'), ErrDamagedBackup, "follows its trailer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "new")
			_, err := Restore(ctx, "badger://"+dir, bytes.NewReader(tt.data), RestoreOptions{})
			if err == nil || (tt.is != nil && !errors.Is(err, tt.is)) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("restore: %v; want %v with %q", err, tt.is, tt.want)
			}
			if _, serr := os.Stat(dir); !errors.Is(serr, os.ErrNotExist) {
				t.Errorf("a refused restore left %s behind (%v)", dir, serr)
			}
		})
	}
	// And an empty directory given by the caller stays, empty.
	dir := t.TempDir()
	if _, err := Restore(ctx, "badger://"+dir, bytes.NewReader(good.Bytes()[:good.Len()/2]), RestoreOptions{}); !errors.Is(err, ErrDamagedBackup) {
		t.Fatalf("restore of half a backup: %v", err)
	}
	if entries, err := os.ReadDir(dir); err != nil || len(entries) != 0 {
		t.Errorf("after a failed restore the directory holds %v (%v)", entries, err)
	}
	if _, err := Restore(ctx, "badger://"+dir, bytes.NewReader(good.Bytes()), RestoreOptions{}); err != nil {
		t.Errorf("restore into the cleared directory: %v", err)
	}
}

func TestBackupOfAClosedStore(t *testing.T) {
	s := openStore(t, t.TempDir())
	_ = s.Close()
	if _, err := s.Backup(context.Background(), &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("backup of a closed store: %v", err)
	}
}

// TestQuadStoreVersion: the layout version a backup records is the one
// the store holds.
func TestQuadStoreVersion(t *testing.T) {
	s := openStore(t, t.TempDir())
	l, err := s.layout(context.Background())
	if err != nil || l.QuadStoreVersion != quadStoreVersion || l.KV != layoutKV || StoreLayout != quadstore.Layout() {
		t.Errorf("layout %+v %v", l, err)
	}
}

// writeBackupOfDir writes a backup file of the Badger store in dir (closed)
// with the header h, as the credreg that wrote the store made them: the
// way to get a backup of an older layout.
func writeBackupOfDir(t *testing.T, dir string, h BackupHeader) []byte {
	t.Helper()
	db, err := badger.Open(badger.DefaultOptions(dir).WithLogger(nil))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	list := &pb.KVList{}
	err = db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.DefaultIteratorOptions)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			item := it.Item()
			val, err := item.ValueCopy(nil)
			if err != nil {
				return err
			}
			list.Kv = append(list.Kv, &pb.KV{Key: item.KeyCopy(nil), Value: val, UserMeta: []byte{item.UserMeta()}, Version: item.Version(), ExpiresAt: item.ExpiresAt()})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	bw := &backupWriter{w: bufio.NewWriter(&buf), sum: sha256.New()}
	if err := errors.Join(bw.header(h), bw.frame(list), bw.finish()); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestRestoreOldBackupMovesTokens: a backup of a layout 2 store (backup
// layout version 4, tokens as statements) restores, and the restored
// store has its tokens in the token keyspace, working as before.
func TestRestoreOldBackupMovesTokens(t *testing.T) {
	ctx := context.Background()
	src := t.TempDir()
	active, admin, revoked := legacyTokenStore(t, src)
	file := writeBackupOfDir(t, src, BackupHeader{Format: BackupFormat, Created: time.Now().UTC().Truncate(time.Second), Base: testBase, Sequence: 3,
		Layout: BackupLayout{KV: layoutKV, QuadStoreVersion: quadStoreV4}})
	dir := filepath.Join(t.TempDir(), "restored")
	if _, err := Restore(ctx, "badger://"+dir, bytes.NewReader(file), RestoreOptions{}); err != nil {
		t.Fatal(err)
	}
	s := openStore(t, dir)
	checkLegacyTokens(t, s, active, admin, revoked)
	// And its backup is of the current layout, tokens included.
	path, info := backupTo(t, s)
	if info.Layout.QuadStoreVersion != quadStoreVersion {
		t.Errorf("backup of the upgraded store: layout version %d", info.Layout.QuadStoreVersion)
	}
	again := filepath.Join(t.TempDir(), "again")
	if _, err := restoreFrom(t, path, again); err != nil {
		t.Fatal(err)
	}
	checkLegacyTokens(t, openStore(t, again), active, admin, revoked)
}

// TestRestoreLayout3Backup: a backup of a quadstore layout 3 store
// (backup layout version 5, no object counters) restores; the restored
// store is upgraded to the current layout and counts every IRI object's
// statements outside the bookkeeping graphs as a scan does.
func TestRestoreLayout3Backup(t *testing.T) {
	ctx := context.Background()
	src := t.TempDir()
	s := openStore(t, src)
	if _, err := s.PutBatch(ctx, "a", sampleRecords(t)); err != nil {
		t.Fatal(err)
	}
	seq := s.Sequence()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := badger.Open(badger.DefaultOptions(src).WithLogger(nil))
	if err != nil {
		t.Fatal(err)
	}
	// Layout 3 had no object counters ("co", "cw", "cj", "ck").
	if err := db.DropPrefix([]byte("co"), []byte("cw"), []byte("cj"), []byte("ck")); err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(db.Update(func(txn *badger.Txn) error { return txn.Set([]byte("mlayout"), []byte("credreg-quadstore 3")) }), db.Close()); err != nil {
		t.Fatal(err)
	}
	file := writeBackupOfDir(t, src, BackupHeader{Format: BackupFormat, Created: time.Now().UTC().Truncate(time.Second), Base: testBase, Sequence: seq,
		Layout: BackupLayout{KV: layoutKV, QuadStoreVersion: quadStoreV5}})
	dir := filepath.Join(t.TempDir(), "restored")
	if _, err := Restore(ctx, "badger://"+dir, bytes.NewReader(file), RestoreOptions{}); err != nil {
		t.Fatal(err)
	}
	r := openStore(t, dir)
	if l, err := r.layout(ctx); err != nil || l.QuadStoreVersion != quadStoreVersion {
		t.Fatalf("restored layout %+v %v", l, err)
	}
	want := map[quad.Value]int64{}
	err = r.be.Scan(ctx, Pattern{Except: bookkeepingGraphs}, 0, func(q quad.Quad) error {
		if _, ok := q.Object.(quad.IRI); ok {
			want[q.Object]++
		}
		return nil
	})
	if err != nil || len(want) == 0 {
		t.Fatalf("scan: %v (%d objects)", err, len(want))
	}
	for o, n := range want {
		got, err := r.be.Count(ctx, Pattern{Object: o, Except: bookkeepingGraphs})
		if err != nil || got != n {
			t.Errorf("Count of object %v: %d %v, want %d", o, got, err, n)
		}
	}
}
