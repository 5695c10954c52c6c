package pgstore

import (
	"context"
	"fmt"
	"time"
)

// writeLockKey is the key of the session-level advisory lock that queues
// the writers of every process sharing the database (see LockWrites); not
// the schema lock's key.
const writeLockKey int64 = 0x6372656472656701

// LockWrites waits for the database's write lock (a session-level
// advisory lock, granted in the order asked) and returns the function that
// releases it. A writer that holds it while it reads what its write
// depends on and commits is never overtaken by another process's write,
// so a writer cannot be starved by a busier server. Statements applied
// without it are still checked (Apply's conflicts); the lock only makes
// them rare. If the connection is lost, PostgreSQL releases the lock.
func (s *Store) LockWrites(ctx context.Context) (release func(), err error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("pgstore: take the write lock: %w", err)
	}
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", writeLockKey); err != nil {
		// A cancelled wait leaves the connection in an unknown state.
		conn.Hijack().Close(context.Background())
		return nil, fmt.Errorf("pgstore: take the write lock: %w", err)
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := conn.Exec(ctx, "SELECT pg_advisory_unlock($1)", writeLockKey); err != nil {
			// Closing the session releases its lock.
			s.log.Warn("release the write lock; closing its connection", "err", err)
			conn.Hijack().Close(ctx)
			return
		}
		conn.Release()
	}, nil
}
