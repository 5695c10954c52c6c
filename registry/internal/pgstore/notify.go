package pgstore

import (
	"context"
	"time"
)

// Channel is the PostgreSQL notification channel on which a process that
// committed statements announces it (NOTIFY), so that the others sharing
// the database read the change log at once instead of at their next poll.
// An announcement carries nothing: the listeners read what changed.
const Channel = "credreg_commits"

// Announce tells every process listening on Channel that a commit was
// made. It is best effort: a lost announcement only delays the others
// until they poll.
func (s *Store) Announce(ctx context.Context) error {
	_, err := s.pool.Exec(ctx, "SELECT pg_notify($1, '')", Channel)
	return err
}

// Watch listens on Channel on a connection of its own until ctx ends.
// The returned channel receives a value after each announcement (several
// announcements may be merged into one value), and once after every
// reconnection (announcements made while the connection was down are
// lost); it is closed when ctx ends.
func (s *Store) Watch(ctx context.Context) <-chan struct{} {
	out := make(chan struct{}, 1)
	signal := func() {
		select {
		case out <- struct{}{}:
		default:
		}
	}
	go func() {
		defer close(out)
		backoff := 100 * time.Millisecond
		for ctx.Err() == nil {
			err := s.listen(ctx, signal, func() { backoff = 100 * time.Millisecond })
			if ctx.Err() != nil {
				return
			}
			s.log.Warn("listening for other servers' commits; reconnecting", "channel", Channel, "err", err, "in", backoff)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 10*time.Second)
		}
	}()
	return out
}

// listen holds one connection in LISTEN until it fails or ctx ends.
func (s *Store) listen(ctx context.Context, signal, connected func()) error {
	pooled, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// A connection that has been in LISTEN goes back to no pool.
	conn := pooled.Hijack()
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+Channel); err != nil {
		return err
	}
	connected()
	signal() // what was announced before this LISTEN is read by the listener
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
		signal()
	}
}
