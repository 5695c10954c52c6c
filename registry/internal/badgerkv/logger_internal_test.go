package badgerkv

import (
	"context"
	"log/slog"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// recorder is a slog.Handler that keeps every record.
type recorder struct {
	mu      sync.Mutex
	records []slog.Record
	attrs   []slog.Attr
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }

func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.records = append(r.records, rec.Clone())
	return nil
}

func (r *recorder) WithAttrs(attrs []slog.Attr) slog.Handler {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attrs = append(r.attrs, attrs...)
	return r
}

func (r *recorder) WithGroup(string) slog.Handler { return r }

func (r *recorder) levels() map[slog.Level]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[slog.Level]int)
	for _, rec := range r.records {
		out[rec.Level]++
	}
	return out
}

func TestLoggerLevels(t *testing.T) {
	rec := &recorder{}
	l := newSlogLogger(slog.New(rec), "/some/dir")
	for _, c := range []struct {
		log  func(string, ...any)
		want slog.Level
	}{
		{l.Errorf, slog.LevelError},
		{l.Warningf, slog.LevelWarn},
		{l.Infof, slog.LevelDebug},
		{l.Debugf, slog.LevelDebug},
	} {
		rec.records = nil
		c.log("value %d\n", 7)
		require.Len(t, rec.records, 1)
		require.Equal(t, c.want, rec.records[0].Level)
		require.Equal(t, "value 7", rec.records[0].Message, "trailing newline trimmed")
	}
	require.Contains(t, rec.attrs, slog.String("component", "badger"))
	require.Contains(t, rec.attrs, slog.String("dir", "/some/dir"))
}

func TestLoggerSkipsDisabledLevels(t *testing.T) {
	calls := 0
	l := newSlogLogger(slog.New(slog.NewTextHandler(discard{}, &slog.HandlerOptions{Level: slog.LevelWarn})), "d")
	l.Infof("%v", stringer(func() string { calls++; return "x" }))
	require.Zero(t, calls, "disabled levels are not formatted")
	l.Warningf("%v", stringer(func() string { calls++; return "x" }))
	require.Equal(t, 1, calls)
}

// TestBadgerLogsThroughSlog opens a real store: Badger's INFO chatter must
// arrive as slog debug records, never as info.
func TestBadgerLogsThroughSlog(t *testing.T) {
	rec := &recorder{}
	db, err := Open(Options{Dir: t.TempDir(), Logger: slog.New(rec), MemTableSize: 2 << 20})
	require.NoError(t, err)
	require.NoError(t, db.Close())
	levels := rec.levels()
	require.Positive(t, levels[slog.LevelDebug], "badger logged nothing: %v", levels)
	require.Zero(t, levels[slog.LevelInfo])
	require.Zero(t, levels[slog.LevelError])
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

type stringer func() string

func (s stringer) String() string { return s() }
