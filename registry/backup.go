package registry

// Online backup and restore. A backup is one Badger snapshot of the whole
// store (the records, their bookkeeping, the change log, the token
// keyspace and the quad store's own keys: dictionary, indexes, counters,
// layout),
// read at one timestamp while writers go on, in a file of its own:
//
//	"credreg-backup\n"                 magic line
//	{"format":1,...}\n                 header (JSON, one line): base, sequence, layout
//	chunks                             the Badger backup stream (DB.Load's input),
//	                                   cut in chunks of at most 1 MiB, each
//	                                   [len uint32][keys uint32][crc32c uint32][data]
//	[0 uint32][0 uint32][0 uint32]     end of the chunks
//	{"keys":...,"sha256":...}\n        trailer (JSON, one line)
//
// The checksums let a restore refuse a damaged file before Badger reads a
// byte of it, and the trailer tells a file cut short from a whole one.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/pb"
	"github.com/dgraph-io/ristretto/v2/z"
	"google.golang.org/protobuf/proto"

	"credreg/registry/internal/badgerkv"
	"credreg/schema"
)

// Errors of backups and restores, for errors.Is.
var (
	// ErrNotBackup: the input is not a credreg backup at all.
	ErrNotBackup = errors.New("not a credreg backup")
	// ErrDamagedBackup: a credreg backup that is cut short or corrupt.
	ErrDamagedBackup = errors.New("the backup is damaged")
	// ErrNotEmpty: Restore was given a directory that holds something.
	ErrNotEmpty = errors.New("the directory is not empty")
)

const (
	backupMagic = "credreg-backup\n"
	// BackupFormat is the version of the backup file format this credreg
	// writes and reads.
	BackupFormat = 1
	// backupChunk is the largest chunk written; a restore refuses larger.
	backupChunk = 1 << 20
	// maxBackupLine bounds the header and trailer lines.
	maxBackupLine = 1 << 16
	// quadStoreVersion is the layout version of credreg's quad store
	// (registry/internal/quadstore) that this credreg reads and writes.
	// Version 2 was cayley's kv layout (credreg before the storage port),
	// whose backups this credreg refuses; version 3 was quadstore layout 1
	// (no counted graphs) and version 4 quadstore layout 2 (tokens as
	// statements of the token graph), whose backups restore and are
	// upgraded in place when the restored store opens (Restore opens it).
	// Version 5 was quadstore layout 3 (tokens in their own keyspace),
	// also upgraded in place; version 6 was quadstore layout 4 (statements
	// counted by IRI object), also upgraded in place; version 7 is
	// quadstore layout 5 (side graphs: the bookkeeping graphs' statements
	// in three indexes, the others' in four).
	quadStoreVersion = 7
	// quadStoreV3 is the version before the counted graphs.
	quadStoreV3 = 3
	// quadStoreV4 is the version before the token keyspace.
	quadStoreV4 = 4
	// quadStoreV5 is the version before the object counters.
	quadStoreV5 = 5
	// quadStoreV6 is the version before side graphs.
	quadStoreV6 = 6
	// layoutKV names the key-value layout of a backup's stream.
	layoutKV = "credreg-quadstore"
	// legacyLayoutKV is the layout of backups made by an older credreg.
	legacyLayoutKV = "badger4"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// BackupLayout describes how the backed-up store keeps its data.
type BackupLayout struct {
	KV               string          `json:"kv"`               // "credreg-quadstore" ("badger4": cayley kv)
	QuadStoreVersion int64           `json:"quadStoreVersion"` // the layout's version
	QuadIndexes      json.RawMessage `json:"quadIndexes,omitempty"`
}

// BackupHeader is the header of a backup file.
type BackupHeader struct {
	Format   int          `json:"format"`
	Created  time.Time    `json:"created"`
	Base     string       `json:"base"`
	Sequence uint64       `json:"sequence"` // the change log's head in the snapshot
	Layout   BackupLayout `json:"layout"`
}

// backupTrailer closes a backup file.
type backupTrailer struct {
	Keys   uint64 `json:"keys"`
	Bytes  uint64 `json:"bytes"` // of the Badger stream
	SHA256 string `json:"sha256"`
}

// BackupProgress is how far a backup or restore has come.
type BackupProgress struct {
	Keys  uint64 // key-value pairs done
	Bytes int64  // bytes of the backup file written or read
}

// BackupInfo says what a backup holds.
type BackupInfo struct {
	BackupHeader
	Keys  uint64 // key-value pairs in the snapshot
	Bytes int64  // size of the backup file
}

// BackupOptions configures Store.BackupWith.
type BackupOptions struct {
	// Started, when set, is called once the snapshot is fixed and before
	// the first byte is written, with the header (its sequence is the
	// change-log head of the snapshot).
	Started func(BackupHeader)
	// Progress, when set, is called after each part of the stream is
	// written, from one goroutine at a time.
	Progress func(BackupProgress)
}

// Backup writes a consistent snapshot of the whole store to w while
// writers go on. See BackupWith.
func (s *Store) Backup(ctx context.Context, w io.Writer) (BackupInfo, error) {
	return s.BackupWith(ctx, w, BackupOptions{})
}

// BackupWith writes a consistent snapshot of the whole store to w: every
// key of the store as of one moment between two writes, read from one
// Badger transaction. Writers are held back only while the snapshot is
// taken (milliseconds), not while it is written. The snapshot's
// change-log head is the header's Sequence: every write acknowledged
// before BackupWith was called is in it, and no part of a later one.
//
// On an error w holds an incomplete backup that Restore refuses.
func (s *Store) BackupWith(ctx context.Context, w io.Writer, opts BackupOptions) (BackupInfo, error) {
	bdb, ok := s.be.(badgerDB)
	if !ok {
		return BackupInfo{}, errors.New("backup: credreg backup works on Badger stores only; back a PostgreSQL store up with PostgreSQL's tools (pg_dump --format=custom, or a base backup with WAL archiving)")
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stopOnClose := context.AfterFunc(s.life, func() { cancel(errors.New("the store is closing")) })
	defer stopOnClose()

	// Register with the store's background work, so that Close waits for
	// the backup (and cancels it) rather than closing Badger under it.
	s.mu.Lock()
	if s.closed || s.life.Err() != nil {
		s.mu.Unlock()
		return BackupInfo{}, errors.New("backup: the store is closed")
	}
	s.bg.Add(1)
	defer s.bg.Done()

	bw := &backupWriter{w: bufio.NewWriterSize(w, 256<<10), sum: sha256.New(), progress: opts.Progress}
	stream := bdb.Badger().NewStream()
	stream.LogPrefix = "credreg backup"
	// One producer: a Stream reads with one transaction per goroutine,
	// and only one transaction is one snapshot.
	stream.NumGo = 1
	stream.MaxSize = 8 << 20 // bounds a frame (the stream's default is 100 MB)
	started := make(chan struct{})
	var startOnce sync.Once
	var keyErr atomic.Pointer[error]
	stream.KeyToList = func(key []byte, itr *badger.Iterator) (*pb.KVList, error) {
		startOnce.Do(func() { close(started) })
		item := itr.Item()
		if item.IsDeletedOrExpired() {
			return nil, nil
		}
		val, err := item.ValueCopy(nil)
		if err != nil {
			// Stream logs and skips a key whose KeyToList fails; a
			// backup must not, so the error ends it below.
			err = fmt.Errorf("read key %q: %w", key, err)
			keyErr.CompareAndSwap(nil, &err)
			cancel(err)
			return nil, err
		}
		return &pb.KVList{Kv: []*pb.KV{{
			Key:       key,
			Value:     val,
			UserMeta:  []byte{item.UserMeta()},
			Version:   item.Version(),
			ExpiresAt: item.ExpiresAt(),
		}}}, nil
	}
	headerDone := make(chan struct{})
	var headerErr error
	stream.Send = func(buf *z.Buffer) error {
		<-headerDone
		if headerErr != nil {
			return headerErr
		}
		list, err := badger.BufferToKVList(buf)
		if err != nil {
			return err
		}
		return bw.frame(list)
	}
	done := make(chan error, 1)
	go func() { done <- stream.Orchestrate(ctx) }()

	// Writes take s.mu, so while it is held the snapshot's read timestamp
	// (fixed when the stream's transaction starts, before its first key)
	// falls between two writes, and s.seq is its change-log head.
	var streamErr error
	streamEnded := false
	select {
	case <-started:
	case streamErr = <-done:
		streamEnded = true
	}
	hdr := BackupHeader{Format: BackupFormat, Created: time.Now().UTC().Truncate(time.Second), Base: s.base.String(), Sequence: s.seq}
	s.mu.Unlock()

	layout, err := s.layout(ctx)
	if err == nil {
		hdr.Layout = layout
		if opts.Started != nil {
			opts.Started(hdr)
		}
		err = bw.header(hdr)
	}
	headerErr = err
	close(headerDone)
	if err != nil {
		cancel(err)
	}
	if !streamEnded {
		streamErr = <-done
	}
	info := BackupInfo{BackupHeader: hdr, Keys: bw.keys, Bytes: bw.n}
	if p := keyErr.Load(); p != nil {
		return info, fmt.Errorf("backup: %w", *p)
	}
	if err := errors.Join(headerErr, streamErr); err != nil {
		if c := context.Cause(ctx); c != nil && errors.Is(err, context.Canceled) {
			err = c
		}
		return info, fmt.Errorf("backup: %w", err)
	}
	if err := bw.finish(); err != nil {
		return info, fmt.Errorf("backup: %w", err)
	}
	info.Keys, info.Bytes = bw.keys, bw.n
	return info, nil
}

// layout reads the store's layout key.
func (s *Store) layout(ctx context.Context) (BackupLayout, error) {
	l := BackupLayout{KV: layoutKV}
	bdb, ok := s.be.(badgerDB)
	if !ok {
		return l, errors.New("read the store's layout: not a Badger store")
	}
	err := bdb.Badger().View(func(txn *badger.Txn) error {
		item, err := txn.Get([]byte("mlayout"))
		if err != nil {
			return fmt.Errorf("read the store's layout version: %w", err)
		}
		v, err := item.ValueCopy(nil)
		if err != nil {
			return fmt.Errorf("read the store's layout version: %w", err)
		}
		if string(v) != StoreLayout {
			return fmt.Errorf("the store's layout is %q, not %q", v, StoreLayout)
		}
		l.QuadStoreVersion = quadStoreVersion
		return nil
	})
	return l, err
}

// backupWriter writes the parts of a backup file.
type backupWriter struct {
	w        *bufio.Writer
	sum      hash.Hash // of the Badger stream
	stream   uint64    // bytes of the Badger stream
	keys     uint64
	n        int64 // bytes of the file
	progress func(BackupProgress)
	frameBuf []byte
}

func (b *backupWriter) write(p []byte) error {
	n, err := b.w.Write(p)
	b.n += int64(n)
	return err
}

func (b *backupWriter) header(h BackupHeader) error {
	js, err := json.Marshal(h)
	if err != nil {
		return err
	}
	if err := b.write([]byte(backupMagic)); err != nil {
		return err
	}
	return b.write(append(js, '\n'))
}

// frame writes one list of Badger's backup stream (a little-endian
// uint64 size and the KVList), in chunks.
func (b *backupWriter) frame(list *pb.KVList) error {
	size := proto.Size(list)
	buf := binary.LittleEndian.AppendUint64(b.frameBuf[:0], uint64(size))
	buf, err := proto.MarshalOptions{}.MarshalAppend(buf, list)
	if err != nil {
		return err
	}
	b.frameBuf = buf[:0]
	b.sum.Write(buf)
	b.stream += uint64(len(buf))
	for off := 0; off < len(buf); off += backupChunk {
		end := min(off+backupChunk, len(buf))
		keys := uint32(0)
		if end == len(buf) {
			keys = uint32(len(list.Kv))
		}
		if err := b.chunk(buf[off:end], keys); err != nil {
			return err
		}
	}
	b.keys += uint64(len(list.Kv))
	if b.progress != nil {
		b.progress(BackupProgress{Keys: b.keys, Bytes: b.n})
	}
	return nil
}

func (b *backupWriter) chunk(data []byte, keys uint32) error {
	var h [12]byte
	binary.BigEndian.PutUint32(h[0:], uint32(len(data)))
	binary.BigEndian.PutUint32(h[4:], keys)
	binary.BigEndian.PutUint32(h[8:], chunkCRC(data, keys))
	if err := b.write(h[:]); err != nil {
		return err
	}
	return b.write(data)
}

func chunkCRC(data []byte, keys uint32) uint32 {
	var k [4]byte
	binary.BigEndian.PutUint32(k[:], keys)
	c := crc32.Update(0, castagnoli, k[:])
	return crc32.Update(c, castagnoli, data)
}

// finish writes the end of the chunks and the trailer, and flushes.
func (b *backupWriter) finish() error {
	if err := b.write(make([]byte, 12)); err != nil {
		return err
	}
	js, err := json.Marshal(backupTrailer{Keys: b.keys, Bytes: b.stream, SHA256: hex.EncodeToString(b.sum.Sum(nil))})
	if err != nil {
		return err
	}
	if err := b.write(append(js, '\n')); err != nil {
		return err
	}
	return b.w.Flush()
}

// RestoreOptions configures Restore.
type RestoreOptions struct {
	// Progress, when set, is called as the backup is read.
	Progress func(BackupProgress)
	// Logger receives Badger's logs; nil means slog.Default().
	Logger *slog.Logger
}

// ReadBackupHeader reads and checks the magic line and header of a backup.
// Errors wrap ErrNotBackup or ErrDamagedBackup and say what is wrong.
func ReadBackupHeader(r *bufio.Reader) (BackupHeader, error) {
	var h BackupHeader
	magic, err := r.Peek(len(backupMagic))
	if string(magic) != backupMagic {
		switch {
		case len(magic) == 0 && (err == io.EOF || err == nil):
			return h, fmt.Errorf("%w: the input is empty", ErrNotBackup)
		case bytes.HasPrefix([]byte(backupMagic), magic) && len(magic) > 0:
			return h, fmt.Errorf("%w: it ends after %d bytes", ErrDamagedBackup, len(magic))
		case len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b:
			return h, fmt.Errorf("%w: it is gzip-compressed; decompress it first (gunzip)", ErrNotBackup)
		case len(magic) > 0 && (magic[0] == '{' || magic[0] == '<'):
			return h, fmt.Errorf("%w: it begins like JSON or HTML (an HTTP error saved as the file?), not with the line \"credreg-backup\"", ErrNotBackup)
		case err != nil && err != io.EOF:
			return h, fmt.Errorf("read the backup: %w", err)
		}
		return h, fmt.Errorf("%w: it does not begin with the line \"credreg-backup\" (backups are made by credreg backup or GET /admin/backup)", ErrNotBackup)
	}
	_, _ = r.Discard(len(backupMagic))
	line, err := readLine(r)
	if err != nil {
		return h, fmt.Errorf("%w: its header: %w", ErrDamagedBackup, err)
	}
	var probe struct {
		Format int `json:"format"`
	}
	if err := json.Unmarshal(line, &probe); err != nil {
		return h, fmt.Errorf("%w: its header is not JSON: %w", ErrDamagedBackup, err)
	}
	if probe.Format != BackupFormat {
		if probe.Format > BackupFormat {
			return h, fmt.Errorf("the backup is of format %d, made by a newer credreg; this one reads format %d: restore it with the credreg that made it", probe.Format, BackupFormat)
		}
		return h, fmt.Errorf("%w: unknown format %d", ErrDamagedBackup, probe.Format)
	}
	if err := json.Unmarshal(line, &h); err != nil {
		return h, fmt.Errorf("%w: its header: %w", ErrDamagedBackup, err)
	}
	if h.Layout.KV == legacyLayoutKV {
		return h, fmt.Errorf("the backup holds a store in cayley's kv layout, made by an older credreg: restore it with that credreg, then run credreg migrate on the restored store")
	}
	if h.Layout.KV != layoutKV {
		return h, fmt.Errorf("the backup holds a %q store; this credreg restores %q stores", h.Layout.KV, layoutKV)
	}
	if v := h.Layout.QuadStoreVersion; v != quadStoreVersion && v != quadStoreV6 && v != quadStoreV5 && v != quadStoreV4 && v != quadStoreV3 {
		return h, fmt.Errorf("the backup's quad store layout is version %d; this credreg reads version %d", h.Layout.QuadStoreVersion, quadStoreVersion)
	}
	if _, err := schema.NewBase(h.Base); err != nil {
		return h, fmt.Errorf("%w: its base %q: %w", ErrDamagedBackup, h.Base, err)
	}
	return h, nil
}

// readLine reads one line of at most maxBackupLine bytes, without its
// newline.
func readLine(r *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		part, err := r.ReadSlice('\n')
		line = append(line, part...)
		if len(line) > maxBackupLine {
			return nil, fmt.Errorf("a line longer than %d bytes", maxBackupLine)
		}
		switch {
		case err == nil:
			return line[:len(line)-1], nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err == io.EOF:
			return nil, errors.New("it ends in the middle of a line (cut short?)")
		default:
			return nil, err
		}
	}
}

// RestoreInfo says what Restore restored.
type RestoreInfo struct {
	BackupHeader
	Keys  uint64
	Bytes int64 // of the backup file
	Dir   string
}

// Restore makes a new store at storeURL (badger:///path/to/dir) from a
// backup read from r. The directory must be empty or missing: Restore
// never overwrites a store. On an error it removes what it wrote, leaving
// the directory as it found it (empty, or missing).
//
// The restored store is opened once to check it; opening it afterwards
// as usual rebuilds what the store keeps in memory (the list index, the
// change-log head, which the next write continues from).
func Restore(ctx context.Context, storeURL string, r io.Reader, opts RestoreOptions) (RestoreInfo, error) {
	kind, dir, err := parseStoreURL(storeURL)
	if err != nil {
		return RestoreInfo{}, err
	}
	if kind == "postgres" || kind == "postgresql" {
		return RestoreInfo{}, fmt.Errorf("restore into %s: credreg restore writes Badger stores only; restore a PostgreSQL store with PostgreSQL's tools (pg_restore of a pg_dump)", redactURL(storeURL))
	}
	if kind != "badger" {
		return RestoreInfo{}, fmt.Errorf("restore into %s: unsupported kind %q (use badger:///path/to/dir)", storeURL, kind)
	}
	info := RestoreInfo{Dir: dir}
	cr := &chunkReader{ctx: ctx, progress: opts.Progress, sum: sha256.New()}
	cr.r = bufio.NewReaderSize(&countingReader{r: r, n: &cr.n}, 256<<10)
	hdr, err := ReadBackupHeader(cr.r)
	if err != nil {
		return info, err // says what the input is, before any directory is touched
	}
	info.BackupHeader = hdr
	created, err := emptyDir(dir)
	if err != nil {
		return info, fmt.Errorf("restore into %s: %w", dir, err)
	}
	fail := func(err error) (RestoreInfo, error) {
		if rerr := clearDir(dir, created); rerr != nil {
			err = errors.Join(err, fmt.Errorf("remove the partial store: %w", rerr))
		}
		return info, fmt.Errorf("restore into %s: %w", dir, err)
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	db, err := badgerkv.Open(badgerkv.Options{Dir: dir, Logger: log, MemTableSize: badgerMemTable})
	if err != nil {
		return fail(err)
	}
	// A raw Badger handle: the stream holds the quad store's keys,
	// layout key included, which the registry's open checks below.
	lerr := db.Badger().Load(cr, 16)
	if cr.err != nil { // the reader's own error says more than Load's
		lerr = cr.err
	}
	cerr := db.Close()
	if err := errors.Join(lerr, cerr); err != nil {
		return fail(err)
	}
	info.Keys, info.Bytes = cr.keys, cr.n
	// Open it as a registry: the base, the layout and the change log must
	// be what the header says.
	base, _ := schema.NewBase(hdr.Base)
	st, err := Open(ctx, storeURL, Options{Base: base, AdoptStoredBase: true, MustExist: true, DocumentCache: -1, Logger: log})
	if err != nil {
		return fail(fmt.Errorf("%w: the restored store does not open: %w", ErrDamagedBackup, err))
	}
	seq, gotBase := st.Sequence(), st.Base().String()
	if err := st.Close(); err != nil {
		return fail(err)
	}
	if gotBase != hdr.Base || seq != hdr.Sequence {
		return fail(fmt.Errorf("%w: the restored store has base %s and change log head %d; the header says %s and %d", ErrDamagedBackup, gotBase, seq, hdr.Base, hdr.Sequence))
	}
	return info, nil
}

// emptyDir makes sure dir is an empty directory, creating it (and
// reporting so) when missing.
func emptyDir(dir string) (created bool, err error) {
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return false, err
		}
		return true, nil
	}
	if err != nil {
		return false, err
	}
	if !fi.IsDir() {
		return false, fmt.Errorf("it is a file, not a directory")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false, err
	}
	if len(entries) > 0 {
		return false, fmt.Errorf("%w (it holds %s and %d more): restore makes a new store and never overwrites one; give an empty or new directory", ErrNotEmpty, entries[0].Name(), len(entries)-1)
	}
	return false, nil
}

// clearDir removes what a failed restore wrote into dir, which was empty
// (or missing, when created is set) before.
func clearDir(dir string, created bool) error {
	if created {
		return os.RemoveAll(dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		errs = append(errs, os.RemoveAll(filepath.Join(dir, e.Name())))
	}
	return errors.Join(errs...)
}

type countingReader struct {
	r io.Reader
	n *int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	*c.n += int64(n)
	return n, err
}

// chunkReader yields the Badger stream of a backup after its header,
// checking every chunk before handing it on and the trailer at the end.
type chunkReader struct {
	ctx      context.Context
	r        *bufio.Reader
	n        int64 // bytes of the file read
	sum      hash.Hash
	stream   uint64
	keys     uint64
	buf      []byte
	pos      int
	done     bool
	err      error
	progress func(BackupProgress)
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	for c.pos == len(c.buf) {
		if c.done {
			return 0, io.EOF
		}
		if err := c.next(); err != nil {
			c.err = err
			return 0, err
		}
	}
	n := copy(p, c.buf[c.pos:])
	c.pos += n
	return n, nil
}

func (c *chunkReader) damaged(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrDamagedBackup, fmt.Sprintf(format, args...))
}

// next reads and checks the next chunk, or the end and the trailer.
func (c *chunkReader) next() error {
	if err := c.ctx.Err(); err != nil {
		return err
	}
	at := c.n - int64(c.r.Buffered())
	var h [12]byte
	if _, err := io.ReadFull(c.r, h[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return c.damaged("it ends at byte %d, before its last chunk (cut short?)", at)
		}
		return err
	}
	size, keys, crc := binary.BigEndian.Uint32(h[0:]), binary.BigEndian.Uint32(h[4:]), binary.BigEndian.Uint32(h[8:])
	if size == 0 {
		if keys != 0 || crc != 0 {
			return c.damaged("bad chunk header at byte %d", at)
		}
		c.done, c.buf, c.pos = true, nil, 0
		return c.trailer()
	}
	if size > backupChunk {
		return c.damaged("a chunk of %d bytes at byte %d (chunks are at most %d)", size, at, backupChunk)
	}
	if cap(c.buf) < int(size) {
		c.buf = make([]byte, size)
	}
	c.buf, c.pos = c.buf[:size], 0
	if _, err := io.ReadFull(c.r, c.buf); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return c.damaged("it ends in the chunk at byte %d (cut short?)", at)
		}
		return err
	}
	if chunkCRC(c.buf, keys) != crc {
		return c.damaged("the chunk at byte %d fails its checksum", at)
	}
	c.sum.Write(c.buf)
	c.stream += uint64(size)
	c.keys += uint64(keys)
	if c.progress != nil {
		c.progress(BackupProgress{Keys: c.keys, Bytes: c.n - int64(c.r.Buffered())})
	}
	return nil
}

func (c *chunkReader) trailer() error {
	line, err := readLine(c.r)
	if err != nil {
		return c.damaged("its trailer: %v", err)
	}
	var t backupTrailer
	if err := json.Unmarshal(line, &t); err != nil {
		return c.damaged("its trailer is not JSON: %v", err)
	}
	if sum := hex.EncodeToString(c.sum.Sum(nil)); t.Bytes != c.stream || t.Keys != c.keys || t.SHA256 != sum {
		return c.damaged("it holds %d bytes, %d keys (sha256 %s); its trailer says %d, %d (%s)", c.stream, c.keys, sum, t.Bytes, t.Keys, t.SHA256)
	}
	if _, err := c.r.ReadByte(); err != io.EOF {
		if err != nil {
			return err
		}
		return c.damaged("data follows its trailer")
	}
	if c.progress != nil {
		c.progress(BackupProgress{Keys: c.keys, Bytes: c.n})
	}
	return nil
}
