package registry

// Reads from a read replica. A store opened with Options.ReadStore writes
// to its primary and reads from a hot standby that replays the primary's
// commits a little later. Two rules keep its answers right:
//
//   - whatever a write reads to compute itself (the records it replaces,
//     the log's head) is read from the primary: the write path marks its
//     context (onPrimary), and the replicated backend sends such reads
//     there;
//   - a write is acknowledged only once the replica has replayed it (its
//     change-log head has reached the write's entry), so a client that
//     reads after its write was acknowledged reads it, from any server.
//     A replica that falls more than Options.ReplicaWait behind costs
//     writes that long and is logged; the write itself is committed.

import (
	"context"
	"fmt"
	"time"

	"github.com/cayleygraph/quad"
)

type primaryKey struct{}

// onPrimary marks ctx so that the reads made with it go to the primary.
func onPrimary(ctx context.Context) context.Context {
	return context.WithValue(ctx, primaryKey{}, true)
}

func isOnPrimary(ctx context.Context) bool {
	on, _ := ctx.Value(primaryKey{}).(bool)
	return on
}

// replicated is the Backend of a store with a read replica: writes and
// the write path's reads go to primary, every other read to replica.
type replicated struct {
	primary, replica Backend
}

func (r *replicated) reader(ctx context.Context) Backend {
	if isOnPrimary(ctx) {
		return r.primary
	}
	return r.replica
}

func (r *replicated) Apply(ctx context.Context, remove, add []quad.Quad) error {
	return r.primary.Apply(ctx, remove, add)
}

func (r *replicated) Match(ctx context.Context, p Pattern, after []byte, limit int) ([]quad.Quad, []byte, error) {
	return r.reader(ctx).Match(ctx, p, after, limit)
}

func (r *replicated) Skip(ctx context.Context, p Pattern, after []byte, n int) ([]byte, error) {
	return r.reader(ctx).Skip(ctx, p, after, n)
}

func (r *replicated) Count(ctx context.Context, p Pattern) (int64, error) {
	return r.reader(ctx).Count(ctx, p)
}

func (r *replicated) Scan(ctx context.Context, p Pattern, want Positions, fn func(quad.Quad) error) error {
	return r.reader(ctx).Scan(ctx, p, want, fn)
}

// Tokens are read from the primary: a revoked token must not keep
// working while the replica catches up.

func (r *replicated) PutToken(ctx context.Context, t StoredToken) error {
	return r.primary.PutToken(ctx, t)
}

func (r *replicated) GetToken(ctx context.Context, id string) (StoredToken, error) {
	return r.primary.GetToken(ctx, id)
}

func (r *replicated) ListTokens(ctx context.Context) ([]StoredToken, error) {
	return r.primary.ListTokens(ctx)
}

func (r *replicated) RevokeToken(ctx context.Context, id string, at time.Time) (StoredToken, error) {
	return r.primary.RevokeToken(ctx, id, at)
}

func (r *replicated) Sync() error { return r.primary.Sync() }

func (r *replicated) Close() error {
	err := r.primary.Close()
	if rerr := r.replica.Close(); err == nil {
		err = rerr
	}
	return err
}

// WatchChanges passes on the primary's announcements, if it makes any.
func (r *replicated) WatchChanges(ctx context.Context) <-chan struct{} {
	if w, ok := r.primary.(changeWatcher); ok {
		return w.WatchChanges(ctx)
	}
	return nil
}

// defaultReplicaWait is how long a write waits for the replica to replay
// it before it is acknowledged anyway.
const defaultReplicaWait = 10 * time.Second

// awaitReplica waits until the read replica has replayed change seq (or
// ReplicaWait passes). A store without a replica returns at once.
func (s *Store) awaitReplica(ctx context.Context, seq uint64) {
	r, ok := s.be.(*replicated)
	if !ok || seq == 0 {
		return
	}
	start := time.Now()
	deadline := start.Add(s.replicaWait)
	for delay := 200 * time.Microsecond; ; delay = min(delay*2, 20*time.Millisecond) {
		// The replica replays commits in order: once it holds entry seq,
		// it holds everything before.
		ok, err := changeLogged(ctx, r.replica, seq)
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			s.log.Warn("the read replica has not replayed a write in time; acknowledging it anyway (reads may miss it for a while)",
				"change", seq, "waited", time.Since(start).Round(time.Millisecond), "err", err)
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(delay):
		}
	}
}

// useReadReplica makes s read from replica (a backend over a hot standby
// of the store's backend) and write to its current backend.
func (s *Store) useReadReplica(replica Backend, wait time.Duration) error {
	if replica == nil {
		return fmt.Errorf("read replica: no backend")
	}
	if wait <= 0 {
		wait = defaultReplicaWait
	}
	s.be = &replicated{primary: s.be, replica: replica}
	s.replicaWait = wait
	s.exclusive = false
	return nil
}
