package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"credreg/registry"
)

// maxTokenRequestBytes caps the body of POST /tokens.
const maxTokenRequestBytes = 4 << 10

// tokenRequest is the body of POST /tokens.
type tokenRequest struct {
	Agency  string `json:"agency"`  // the organization: a CTID, its IRI or its exact name
	Role    string `json:"role"`    // "agency" (the default) or "admin"
	Expires string `json:"expires"` // a date, days (90d) or an RFC 3339 time (registry.ParseExpiry); empty: never
}

// createdToken is the answer of POST /tokens: the token as listed, its
// agency's name, and the secret, which is shown this once.
type createdToken struct {
	registry.Token
	AgencyName string `json:"agencyName"`
	Secret     string `json:"token"`
}

// createToken serves POST /tokens: an admin token makes a write token for
// an organization the registry holds, without stopping the server (the
// command line's credreg token create needs the store to itself). The
// secret is in the answer only, which is marked not to be stored.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	tok, ok := s.authenticateAdmin(w, r, "only an admin token makes tokens (an agency's token may list and revoke its own)")
	if !ok {
		return
	}
	body, ok := readBody(w, r, maxTokenRequestBytes)
	if !ok {
		return
	}
	var req tokenRequest
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeProblem(w, r, http.StatusBadRequest, fmt.Sprintf(`give the token as JSON: {"agency": "CTID or name", "role": "agency" or "admin", "expires": "2027-06-30" or "90d"} (%v)`, err))
		return
	}
	if strings.TrimSpace(req.Agency) == "" {
		writeProblem(w, r, http.StatusBadRequest, `"agency" is required: the organization's CTID, IRI or exact name`)
		return
	}
	role, err := registry.ParseRole(req.Role)
	if err != nil {
		writeProblem(w, r, http.StatusBadRequest, fmt.Sprintf(`"role": %v`, err))
		return
	}
	var expires time.Time
	if strings.TrimSpace(req.Expires) != "" {
		if expires, err = registry.ParseExpiry(req.Expires, time.Now()); err != nil {
			writeProblem(w, r, http.StatusBadRequest, fmt.Sprintf(`"expires": %v`, err))
			return
		}
	}
	agency := strings.TrimSpace(req.Agency)
	if ctid, ok := strings.CutPrefix(agency, s.base.Resource("")); ok {
		agency = ctid
	}
	iri, err := s.store.FindOrganization(r.Context(), agency)
	if err != nil {
		status := http.StatusUnprocessableEntity
		if errors.Is(err, registry.ErrNotFound) {
			status = http.StatusNotFound
		}
		writeProblem(w, r, status, fmt.Sprintf(`"agency": %v`, err))
		return
	}
	secret, made, err := s.store.CreateToken(r.Context(), iri, role, expires)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	name, _ := s.store.Label(r.Context(), iri)
	s.log.InfoContext(r.Context(), "token created", "token", made.ID, "agency", iri, "role", made.Role, "by", tok.ID)
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, r, http.StatusCreated, createdToken{Token: made, AgencyName: name, Secret: secret})
}

// listTokens serves GET /tokens: every token for an admin token; for an
// agency's, its agency's agency tokens (an admin token bound to the same
// organization is the operator's, not the agency's: its id is not shown,
// nor may the agency revoke it); never a secret (none is stored).
func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) {
	tok, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	all, err := s.store.Tokens(r.Context())
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	out := []registry.Token{}
	for _, t := range all {
		if tok.Admin() || t.Agency == tok.Agency && !t.Admin() {
			out = append(out, t)
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, r, http.StatusOK, out)
}
