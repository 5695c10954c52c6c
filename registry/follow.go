package registry

// Several writers on one store. A backend that other processes write too
// (PostgreSQL, with several credreg servers over one database) makes this
// store's picture of it stale: its head, its list index, its caches. Two
// mechanisms keep it right:
//
//   - every write adds the change-log entry after the head this store
//     knows, and Backend.Apply is conditional, so a write computed from a
//     stale picture fails with ErrConflict instead of committing; the store
//     then follows the log (below) and computes the write again
//     (lockedRetry);
//   - the store follows the change log: Follow reads the entries past its
//     head and gives each changed record, as now stored, to the same
//     listeners a local write tells (list index, harvest index, document
//     cache). A background loop calls it every Options.FollowEvery, and
//     at once when the backend announces a commit (changeWatcher), so a
//     missed announcement costs a delay, never a wrong answer.
//
// A store that its process holds alone (Badger) never meets a conflict it
// did not cause, and runs no loop.

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// changeWatcher is implemented by backends that announce commits made by
// any process (PostgreSQL's LISTEN/NOTIFY). The channel receives a value
// after such a commit (announcements may be merged or lost: the store
// reads the log itself) and is closed when ctx ends.
type changeWatcher interface {
	WatchChanges(ctx context.Context) <-chan struct{}
}

// maxConflictRetries bounds how often a write computed from a stale
// picture of a shared store is computed again.
const maxConflictRetries = 50

// lockedRetry runs op holding the write lock. On a store shared with other
// processes, an op that fails with ErrConflict is run again after the
// store has followed the log, up to maxConflictRetries times.
//
// op's context should be the one lockedRetry was given, marked so that
// its reads go to the primary of a store with a read replica (onPrimary):
// lockedRetry passes it. Once op has written, and the lock is released,
// lockedRetry waits for the read replica, if any, to replay the write.
func (s *Store) lockedRetry(ctx context.Context, op func(ctx context.Context) error) error {
	seq, err := s.lockedRetrySeq(onPrimary(ctx), op)
	if err == nil {
		s.awaitReplica(ctx, seq)
	}
	return err
}

func (s *Store) lockedRetrySeq(ctx context.Context, op func(ctx context.Context) error) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for attempt := 1; ; attempt++ {
		before := s.seq
		err := op(ctx)
		if err == nil && s.seq != before {
			return s.seq, nil
		}
		if !errors.Is(err, ErrConflict) || s.exclusive {
			return 0, err
		}
		if attempt > maxConflictRetries {
			return 0, fmt.Errorf("%w (tried %d times; other writers kept changing the store)", err, attempt)
		}
		if _, ferr := s.followLocked(ctx); ferr != nil {
			return 0, errors.Join(err, ferr)
		}
		// Writers that collided back off by different amounts.
		d := time.Duration(rand.IntN(attempt*2)+1) * time.Millisecond
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(d):
		}
	}
}

// Follow brings the store up to the shared change log: every entry past
// the store's head is read, and each record it names is given, as now
// stored, to the store's listeners. It returns the number of entries
// applied. On a store its process holds alone it finds none.
func (s *Store) Follow(ctx context.Context) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, errors.New("follow: the store is closed")
	}
	return s.followLocked(ctx)
}

// followLocked is Follow for a caller holding s.mu.
func (s *Store) followLocked(ctx context.Context) (int, error) {
	head, err := s.readHead(ctx)
	if err != nil {
		return 0, fmt.Errorf("follow the change log: %w", err)
	}
	if head < s.seq {
		return 0, fmt.Errorf("follow the change log: the store's log ends at %d, before this server's %d (was the database restored from an older backup? restart the server)", head, s.seq)
	}
	applied := 0
	for seq := s.seq + 1; seq <= head; seq++ {
		c, err := s.readChange(ctx, seq)
		if err != nil {
			return applied, fmt.Errorf("follow the change log: %w", err)
		}
		w := Record{IRI: c.IRI}
		rec, err := s.getLocked(ctx, c.IRI)
		switch {
		case err == nil:
			w.Quads = rec.Quads
		case !isNotFound(err):
			return applied, fmt.Errorf("follow the change log at %d: %w", seq, err)
		}
		if s.docs != nil {
			s.docs.drop([]string{c.IRI})
		}
		s.updateList(seq, []Record{w})
		s.notifyWrite(seq, []recordWrite{{New: w}})
		s.seq = seq
		applied++
	}
	return applied, nil
}

// defaultFollowEvery is how often a store shared with other processes
// reads the change log when its backend announces nothing.
const defaultFollowEvery = 250 * time.Millisecond

// startFollowing runs the follow loop until the store closes: on every
// announcement from the backend, and every `every` regardless.
func (s *Store) startFollowing(every time.Duration) {
	if every <= 0 {
		every = defaultFollowEvery
	}
	var announced <-chan struct{}
	if w, ok := s.be.(changeWatcher); ok {
		announced = w.WatchChanges(s.life)
	}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-s.life.Done():
				return
			case _, ok := <-announced:
				if !ok {
					announced = nil
					continue
				}
			case <-tick.C:
			}
			if n, err := s.Follow(s.life); err != nil && s.life.Err() == nil {
				s.log.Warn("following the shared change log", "err", err)
			} else if n > 0 {
				s.log.Debug("followed the shared change log", "entries", n, "head", s.Sequence())
			}
		}
	}()
}
