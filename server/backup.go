package server

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"credreg/registry"
)

// backupIdleTimeout is how long a backup's client may take no bytes
// before the connection is cut. It replaces the server's WriteTimeout,
// which would cut any backup that takes longer to send.
const backupIdleTimeout = 2 * time.Minute

// backup serves GET /admin/backup: a consistent snapshot of the whole
// store (see registry.Store.Backup), taken while writes go on and
// streamed as it is read, for an admin token only (it holds every
// token's hash). One runs at a time; another answers 429.
func (s *Server) backup(w http.ResponseWriter, r *http.Request) {
	tok, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	if !tok.Admin() {
		writeProblem(w, r, http.StatusForbidden, "a backup holds the whole store, tokens included: it needs an admin token (credreg token create --role admin)")
		return
	}
	select {
	case s.backups <- struct{}{}:
		defer func() { <-s.backups }()
	default:
		w.Header().Set("Retry-After", "60")
		writeProblem(w, r, http.StatusTooManyRequests, "a backup is running: one runs at a time; retry when it is done")
		return
	}
	dw := &deadlineWriter{w: w, rc: http.NewResponseController(w)}
	dw.extend()
	started := false
	info, err := s.store.BackupWith(r.Context(), dw, registry.BackupOptions{Started: func(h registry.BackupHeader) {
		started = true
		hd := w.Header()
		hd.Set("Content-Type", "application/octet-stream")
		hd.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="credreg-backup-%s-%d.crbak"`, h.Created.Format("20060102T150405Z"), h.Sequence))
		hd.Set("Cache-Control", "no-store")
		hd.Set("X-Credreg-Sequence", strconv.FormatUint(h.Sequence, 10))
		w.WriteHeader(http.StatusOK)
	}})
	if err != nil {
		if !started {
			s.internalError(w, r, err)
			return
		}
		// The status is sent: cut the connection, so that the client
		// sees a broken transfer (and the file lacks its trailer, which
		// a restore refuses).
		if !errors.Is(err, r.Context().Err()) {
			s.log.ErrorContext(r.Context(), "backup failed", "err", err, "bytes", info.Bytes)
		}
		panic(http.ErrAbortHandler)
	}
	s.log.InfoContext(r.Context(), "backup sent", "by", tok.ID, "sequence", info.Sequence, "keys", info.Keys, "bytes", info.Bytes)
}

// deadlineWriter pushes the connection's write deadline on as bytes go
// out: a backup may take longer than the server's WriteTimeout, but a
// client that stops reading is still cut after backupIdleTimeout.
type deadlineWriter struct {
	w    http.ResponseWriter
	rc   *http.ResponseController
	last time.Time
}

func (d *deadlineWriter) extend() {
	d.last = time.Now()
	_ = d.rc.SetWriteDeadline(d.last.Add(backupIdleTimeout)) // ErrNotSupported: no deadline to move
}

func (d *deadlineWriter) Write(p []byte) (int, error) {
	if time.Since(d.last) > time.Second {
		d.extend()
	}
	return d.w.Write(p)
}
