package badgerkv

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/dgraph-io/badger/v4"
)

var _ badger.Logger = (*slogLogger)(nil)

// slogLogger bridges badger.Logger to log/slog. Badger logs routine events
// (tables opened, compactions, replay progress) at INFO; those go to
// slog.LevelDebug so that a default slog setup only shows what needs
// attention.
type slogLogger struct {
	l *slog.Logger
}

func newSlogLogger(l *slog.Logger, dir string) *slogLogger {
	return &slogLogger{l: l.With("component", "badger", "dir", dir)}
}

func (s *slogLogger) Errorf(format string, args ...any) {
	s.log(slog.LevelError, format, args)
}

func (s *slogLogger) Warningf(format string, args ...any) {
	s.log(slog.LevelWarn, format, args)
}

func (s *slogLogger) Infof(format string, args ...any) {
	s.log(slog.LevelDebug, format, args)
}

func (s *slogLogger) Debugf(format string, args ...any) {
	s.log(slog.LevelDebug, format, args)
}

func (s *slogLogger) log(level slog.Level, format string, args []any) {
	ctx := context.Background()
	if !s.l.Enabled(ctx, level) {
		return
	}
	msg := strings.TrimRight(fmt.Sprintf(format, args...), "\n")
	s.l.Log(ctx, level, msg)
}
