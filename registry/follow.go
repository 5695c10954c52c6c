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
//     (lockedRetry). Where the backend can queue the writers of all
//     processes (writeLocker), a write first takes its turn and catches
//     up with the log, so conflicts are rare and no writer starves;
//   - the store follows the change log: Follow reads the entries past its
//     head and gives each changed record, as now stored, to the same
//     listeners a local write tells (the document cache and the list
//     index, through the write hook). A background loop calls it every Options.FollowEvery, and
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

	"github.com/cayleygraph/quad"
)

// changeWatcher is implemented by backends that announce commits made by
// any process (PostgreSQL's LISTEN/NOTIFY). The channel receives a value
// after such a commit (announcements may be merged or lost: the store
// reads the log itself) and is closed when ctx ends.
type changeWatcher interface {
	WatchChanges(ctx context.Context) <-chan struct{}
}

// writeLocker is implemented by backends that several processes share
// and that can queue their writers (PostgreSQL's advisory lock). Without
// it, writers of different processes race, and the conditional Apply
// keeps them right; a busy process can then starve another one's writer,
// which the queue prevents.
type writeLocker interface {
	// LockWrites waits for the lock and returns its release.
	LockWrites(ctx context.Context) (release func(), err error)
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
	if !s.exclusive {
		// Queue with the other servers' writers where the backend can,
		// then start from the log's head: the write's reads are current
		// (and stay so under the queue), and a log that went back (a
		// restored database) is noticed before anything is written.
		if l, ok := s.be.(writeLocker); ok {
			release, err := l.LockWrites(ctx)
			if err != nil {
				return 0, err
			}
			defer release()
		}
		if _, err := s.followLocked(ctx); err != nil {
			return 0, err
		}
	}
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

// followLocked is Follow for a caller holding s.mu. It looks for the
// entries after its head one by one (a point read each, whatever the
// log's length) rather than counting the log.
func (s *Store) followLocked(ctx context.Context) (int, error) {
	if s.seq > 0 {
		ok, err := s.changeExists(ctx, s.seq)
		if err != nil {
			return 0, fmt.Errorf("follow the change log: %w", err)
		}
		if !ok {
			return 0, fmt.Errorf("follow the change log: its entry %d, this server's head, is gone (was the database restored from an older backup? restart the server)", s.seq)
		}
	}
	applied := 0
	for {
		seq := s.seq + 1
		c, found, err := s.lookupChange(ctx, seq)
		if err != nil {
			return applied, fmt.Errorf("follow the change log: %w", err)
		}
		if !found {
			return applied, nil
		}
		w := Record{IRI: c.IRI}
		rec, err := s.getLocked(ctx, c.IRI)
		switch {
		case err == nil:
			w.Quads = rec.Quads
		case !isNotFound(err):
			return applied, fmt.Errorf("follow the change log at %d: %w", seq, err)
		}
		s.setSeq(seq)
		s.notifyWrite(seq, []recordWrite{{New: w}})
		applied++
	}
}

// changeExists tells whether the change log holds entry seq, in one point
// read.
func (s *Store) changeExists(ctx context.Context, seq uint64) (bool, error) {
	return changeLogged(ctx, s.be, seq)
}

func changeLogged(ctx context.Context, be Backend, seq uint64) (bool, error) {
	n, err := be.Count(ctx, Pattern{Subject: changeNode(seq), Predicate: quad.IRI(predSequence), Graph: quad.IRI(graphChanges)})
	if err != nil {
		return false, fmt.Errorf("look for change %d: %w", seq, err)
	}
	return n > 0, nil
}

// lookupChange reads change-log entry seq; found is false when the log
// holds no such entry (yet).
func (s *Store) lookupChange(ctx context.Context, seq uint64) (c Change, found bool, err error) {
	ok, err := s.changeExists(ctx, seq)
	if err != nil || !ok {
		return Change{}, false, err
	}
	c, err = s.readChange(ctx, seq)
	return c, err == nil, err
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

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
