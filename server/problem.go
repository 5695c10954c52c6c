package server

import (
	"encoding/json"
	"net/http"

	"credreg/catalog"
	"credreg/schema"
)

// problem is an RFC 9457 problem detail.
type problem struct {
	Type     string   `json:"type"`
	Title    string   `json:"title"`
	Status   int      `json:"status"`
	Detail   string   `json:"detail,omitempty"`
	Instance string   `json:"instance,omitempty"`
	Offered  []string `json:"offered,omitempty"`
	// Problems lists every validation problem of a refused write.
	Problems schema.Problems `json:"problems,omitempty"`
	// Parameter names the query parameter at fault; Candidates lists the
	// values it may have meant or may take.
	Parameter  string   `json:"parameter,omitempty"`
	Candidates []string `json:"candidates,omitempty"`
	// Suggestions are the credentials closest to a name that matched
	// none (the check by name).
	Suggestions []catalog.Candidate `json:"suggestions,omitempty"`
	// SeeAlso are pages to try instead of one that is not there.
	SeeAlso []seeAlso `json:"seeAlso,omitempty"`
}

// writeProblem answers with an application/problem+json body, or an HTML
// page for a browser (see wantsPage).
func writeProblem(w http.ResponseWriter, r *http.Request, status int, detail string) {
	writeProblemDoc(w, r, problem{Status: status, Detail: detail})
}

func writeProblemDoc(w http.ResponseWriter, r *http.Request, p problem) {
	if p.Type == "" {
		p.Type = "about:blank"
	}
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	if p.Instance == "" {
		p.Instance = r.URL.Path
	}
	if wantsPage(r) && writeErrorPage(w, r, p) {
		return
	}
	body, _ := json.MarshalIndent(fixedShape(p), "", "  ")
	h := w.Header()
	h.Set("Content-Type", typeProblem)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Del("ETag")
	h.Del("Last-Modified")
	w.WriteHeader(p.Status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(append(body, '\n'))
	}
}
