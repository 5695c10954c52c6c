package server

import (
	"errors"
	"net/http"
	"strings"

	"credreg/registry"
)

// authenticate checks the request's bearer token against the store and
// returns the token (bound to one agency). It answers 401 itself when the
// token is missing, unknown, revoked or expired.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (registry.Token, bool) {
	h := r.Header.Get("Authorization")
	const prefix = "bearer "
	if len(h) > len(prefix) && strings.EqualFold(h[:len(prefix)], prefix) {
		tok, err := s.store.Authenticate(r.Context(), strings.TrimSpace(h[len(prefix):]))
		if err == nil {
			return tok, true
		}
		if !errors.Is(err, registry.ErrUnauthorized) {
			s.internalError(w, r, err)
			return registry.Token{}, false
		}
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="credreg"`)
	writeProblem(w, r, http.StatusUnauthorized, "writing needs a valid bearer token bound to an agency (Authorization: Bearer crt_…; see credreg token create)")
	return registry.Token{}, false
}
