package quadstore

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cayleygraph/cayley/graph"
	"github.com/dgraph-io/badger/v4"
)

// An atomic write (ApplyDeltasAtomic, Replace) that does not fit one
// Badger transaction — Badger caps one at 15% of the memtable, in entries
// and in bytes — is journalled:
//
//  1. it is checked as a whole (validate), under the write lock;
//  2. its deltas, terms encoded, are written under "mjournal/" in parts,
//     then the header "mjournal" (the number of parts and the SHA-256 of
//     their bytes), and synced: from here on the write will happen;
//  3. it is written in as many transactions as it needs, while readers
//     start no transaction (QuadStore.whole), so that none sees a part;
//  4. the journal is deleted.
//
// Open finishes a journal that a crash left (finishJournal): it writes the
// deltas again, adding only statements that are not stored and deleting
// only those that are, in order, which is idempotent and reaches the same
// state as the write would have. Parts without a header are a journal cut
// short before step 2 ended: the write never started, and they are
// dropped.
var (
	keyJournal     = []byte("mjournal")
	pfxJournalPart = []byte("mjournal/")
)

// journalPart is the most bytes of one part: small enough to be kept in
// the LSM tree (under Badger's value threshold), not the value log.
const journalPart = 128 << 10

// Delta actions in a journal.
const (
	journalAdd    = 'a'
	journalDelete = 'd'
)

// encodeJournal writes the deltas ps: an action byte, then for each
// position the uvarint of the term's length plus one (0: no term) and
// the encoded term.
func encodeJournal(ps []prepared) []byte {
	n := 0
	for _, p := range ps {
		n += 5
		for _, e := range p.enc {
			n += len(e) + 2
		}
	}
	buf := make([]byte, 0, n)
	for _, p := range ps {
		a := byte(journalAdd)
		if p.d.Action == graph.Delete {
			a = journalDelete
		}
		buf = append(buf, a)
		for _, e := range p.enc {
			if e == nil {
				buf = append(buf, 0)
				continue
			}
			buf = binary.AppendUvarint(buf, uint64(len(e))+1)
			buf = append(buf, e...)
		}
	}
	return buf
}

// decodeJournal reads what encodeJournal wrote.
func decodeJournal(b []byte) ([]prepared, error) {
	var ps []prepared
	for len(b) > 0 {
		var d graph.Delta
		switch b[0] {
		case journalAdd:
			d.Action = graph.Add
		case journalDelete:
			d.Action = graph.Delete
		default:
			return nil, fmt.Errorf("quadstore: journal: unknown action %q", b[0])
		}
		b = b[1:]
		var enc [4][]byte
		for i := range enc {
			n, w := binary.Uvarint(b)
			if w <= 0 || uint64(len(b)-w)+1 < n {
				return nil, errors.New("quadstore: journal: truncated term")
			}
			b = b[w:]
			if n == 0 {
				continue
			}
			enc[i], b = b[:n-1:n-1], b[n-1:]
		}
		if enc[posS] == nil || enc[posP] == nil || enc[posO] == nil {
			return nil, errors.New("quadstore: journal: a statement without subject, predicate or object")
		}
		ps = append(ps, prepareEncoded(d, enc))
	}
	return ps, nil
}

func journalPartKey(i int) []byte {
	return binary.BigEndian.AppendUint64(bytes.Clone(pfxJournalPart), uint64(i))
}

// writeJournalled writes in, too big for one Badger transaction,
// atomically through the journal (steps above). Called with wmu held.
func (qs *QuadStore) writeJournalled(in []graph.Delta, opts graph.IgnoreOpts) error {
	ps, err := prepareAll(in)
	if err != nil {
		return err
	}
	if err := qs.validate(ps, opts); err != nil {
		return err
	}
	if err := qs.writeJournal(encodeJournal(ps)); err != nil {
		return err
	}
	qs.journalled.Add(1)
	qs.whole.Lock()
	defer qs.whole.Unlock()
	err = qs.writePrepared(ps, opts)
	if err == nil {
		err = qs.clearJournal()
	}
	if err != nil && !errors.Is(err, errCut) {
		// The store holds a part of the write: finish it as Open would,
		// or refuse every later write until it is reopened.
		if ferr := qs.finishJournal(); ferr != nil {
			qs.broken = fmt.Errorf("quadstore: a write across several transactions failed (%w) and could not be finished (%w): reopen the store to finish it", err, ferr)
			return qs.broken
		}
		qs.log.Warn("quadstore: finished a journalled write after an error", "err", err)
		return nil
	}
	return err
}

// JournalledWrites returns how many atomic writes since Open were too big
// for one transaction and went through the journal.
func (qs *QuadStore) JournalledWrites() uint64 { return qs.journalled.Load() }

// errCut is what a test's QuadStore.afterChunk returns to stop a
// journalled write as a crash would: nothing more is written.
var errCut = errors.New("quadstore: write cut short")

// writeJournal writes the journal blob: its parts in transactions that
// fit, the header last, then syncs, even under Options.NoSync: after a
// power loss no transaction of the write may be on disk without the
// journal that finishes it.
func (qs *QuadStore) writeJournal(blob []byte) error {
	part := journalPart
	if t := int(qs.db.Opts().ValueThreshold) / 2; t < part {
		part = max(t, 1<<10)
	}
	maxSize := qs.db.MaxBatchSize() * 9 / 10
	sum := sha256.Sum256(blob)
	txn := qs.db.NewTransaction(true)
	defer func() { txn.Discard() }()
	var size int64
	parts := 0
	for off := 0; off < len(blob); off += part {
		p := blob[off:min(off+part, len(blob))]
		if size > 0 && size+int64(len(p))+64 > maxSize {
			if err := txn.Commit(); err != nil {
				return fmt.Errorf("quadstore: write the journal: %w", err)
			}
			txn, size = qs.db.NewTransaction(true), 0
		}
		if err := txn.Set(journalPartKey(parts), p); err != nil {
			return fmt.Errorf("quadstore: write the journal: %w", err)
		}
		size += int64(len(p)) + 64
		parts++
	}
	header := append(idBytes(uint64(parts)), sum[:]...)
	if err := txn.Set(bytes.Clone(keyJournal), header); err != nil {
		return fmt.Errorf("quadstore: write the journal: %w", err)
	}
	if err := txn.Commit(); err != nil {
		return fmt.Errorf("quadstore: write the journal: %w", err)
	}
	// The journal must be durable before any of the write is.
	if err := qs.db.Sync(); err != nil {
		return fmt.Errorf("quadstore: sync the journal: %w", err)
	}
	return nil
}

// readJournal returns the journal's bytes; found is false when there is
// no header (parts, if any, are of a journal never finished).
func (qs *QuadStore) readJournal() (blob []byte, found bool, err error) {
	err = qs.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(keyJournal)
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		header, err := item.ValueCopy(nil)
		if err != nil {
			return err
		}
		if len(header) != idLen+sha256.Size {
			return fmt.Errorf("quadstore: journal header of %d bytes", len(header))
		}
		parts := binary.BigEndian.Uint64(header)
		for i := 0; uint64(i) < parts; i++ {
			item, err := txn.Get(journalPartKey(i))
			if err != nil {
				return fmt.Errorf("quadstore: journal part %d of %d: %w", i, parts, err)
			}
			if err := item.Value(func(v []byte) error { blob = append(blob, v...); return nil }); err != nil {
				return err
			}
		}
		if sum := sha256.Sum256(blob); !bytes.Equal(sum[:], header[idLen:]) {
			return errors.New("quadstore: the journal's checksum does not match its parts")
		}
		found = true
		return nil
	})
	return blob, found, err
}

// clearJournal deletes the journal's header and parts in one transaction
// (a journal is at most a few megabytes: tens of parts).
func (qs *QuadStore) clearJournal() error {
	var keys [][]byte
	err := qs.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: keyJournal})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			keys = append(keys, it.Item().KeyCopy(nil))
		}
		return nil
	})
	if err != nil || len(keys) == 0 {
		return err
	}
	err = qs.db.Update(func(txn *badger.Txn) error {
		for _, k := range keys {
			if err := txn.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("quadstore: delete the journal: %w", err)
	}
	return nil
}

// finishJournal finishes the write a journal holds, if any (see above),
// and deletes the journal.
func (qs *QuadStore) finishJournal() error {
	blob, found, err := qs.readJournal()
	if err != nil {
		return err
	}
	if found {
		ps, err := decodeJournal(blob)
		if err != nil {
			return err
		}
		qs.log.Warn("quadstore: finishing a write a crash or an error interrupted", "store", qs.dir, "deltas", len(ps))
		err = qs.writePrepared(ps, graph.IgnoreOpts{IgnoreDup: true, IgnoreMissing: true})
		if err != nil {
			return fmt.Errorf("quadstore: finish the journalled write: %w", err)
		}
	}
	if err := qs.clearJournal(); err != nil {
		return err
	}
	if found {
		return qs.db.Sync()
	}
	return nil
}

// readTxn starts a read transaction. While a journalled write is under
// way it waits for its end, so that no reader sees a part of it.
func (qs *QuadStore) readTxn() *badger.Txn {
	qs.whole.RLock()
	defer qs.whole.RUnlock()
	return qs.db.NewTransaction(false)
}

// view is db.View in a transaction of readTxn.
func (qs *QuadStore) view(fn func(txn *badger.Txn) error) error {
	txn := qs.readTxn()
	defer txn.Discard()
	return fn(txn)
}
