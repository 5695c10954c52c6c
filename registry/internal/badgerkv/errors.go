package badgerkv

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// ErrLocked reports that a store directory is held by another Badger handle,
// in another process or in this one: Badger allows one read-write handle per
// directory, guarded by a lock on DIR/LOCK. Open returns an error that
// matches it with errors.Is; close the other handle (or share one *DB)
// before opening again.
var ErrLocked = errors.New("it is in use by another process")

// lockFileName is the file Badger keeps in a directory it holds open.
const lockFileName = "LOCK"

// lockedError is returned by Open for a directory held by another handle.
// It matches ErrLocked and the underlying cause with errors.Is and errors.As.
type lockedError struct {
	dir    string
	causes []error
}

func (e *lockedError) Error() string {
	return fmt.Sprintf("open badger store at %s: %v (holds %s)",
		e.dir, ErrLocked, filepath.Join(e.dir, lockFileName))
}

func (e *lockedError) Unwrap() []error {
	return append([]error{ErrLocked}, e.causes...)
}

// classifyOpenError turns a failed badger.Open into an error a user can act
// on. Badger flattens the errors it wraps into strings (errors.Is no longer
// sees the cause), so the likely causes are checked again here, on the
// failure path only:
//
//   - the directory lock: probed with the same flock Badger takes; Badger's
//     message is used as a fallback (the holder may have let go meanwhile),
//   - writability of the directory, with a throwaway file, for read-write
//     opens.
func classifyOpenError(dir string, readOnly bool, err error) error {
	if locked, cause := probeLock(dir, readOnly); locked {
		return &lockedError{dir: dir, causes: []error{cause, err}}
	}
	if strings.Contains(err.Error(), "Cannot acquire directory lock") {
		return &lockedError{dir: dir, causes: []error{err}}
	}
	if !readOnly {
		if werr := probeWritable(dir); werr != nil {
			return fmt.Errorf("open badger store at %s: directory is not writable: %w", dir, werr)
		}
	}
	return fmt.Errorf("open badger store at %s: %w", dir, err)
}

// probeWritable creates and removes a file in dir.
func probeWritable(dir string) error {
	f, err := os.CreateTemp(dir, ".badgerkv-write-probe-*")
	if err != nil {
		return err
	}
	name := f.Name()
	cerr := f.Close()
	rerr := os.Remove(name)
	return errors.Join(cerr, rerr)
}

// txnTooBig wraps badger.ErrTxnTooBig with the limits that produced it.
func (db *DB) txnTooBig(err error) error {
	return fmt.Errorf("badgerkv: transaction too big: a transaction holds at most about %d bytes or %d entries "+
		"(15%% of MemTableSize); commit it and continue in a new transaction, or raise MemTableSize: %w",
		db.bdb.MaxBatchSize(), db.bdb.MaxBatchCount(), err)
}

// PrepareDir makes sure dir is a usable store directory (creating it for a
// read-write open), with a precise error for the common mistakes. A
// read-write open also removes the empty logs a process killed while
// creating them leaves, which Badger cannot open (logged on log, nil
// meaning slog.Default()); a read-only open refuses such a store, saying
// so. It is Open's first step, for callers that open Badger themselves.
func PrepareDir(dir string, readOnly bool, log *slog.Logger) error {
	return prepareDir(dir, readOnly, log)
}

// ClassifyOpenError turns an error of badger.Open on dir into one a user
// can act on (see ErrLocked), as Open does.
func ClassifyOpenError(dir string, readOnly bool, err error) error {
	return classifyOpenError(dir, readOnly, err)
}
