package server

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"credreg/registry"
)

// backup serves GET /admin/backup: a consistent snapshot of the whole
// store (see registry.Store.Backup), taken while writes go on and
// streamed as it is read, for an admin token only (it holds every
// token's hash). One runs at a time; another answers 429.
func (s *Server) backup(w http.ResponseWriter, r *http.Request) {
	tok, ok := s.authenticateAdmin(w, r, "a backup holds the whole store, tokens included: it needs an admin token (credreg token create --role admin)")
	if !ok {
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
	// The write deadline moves on while bytes flow (s.stream): a backup
	// may take longer than the server's write timeout.
	dw := s.stream(w)
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
