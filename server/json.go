package server

import (
	"encoding/json"
	"net/http"
)

// writeJSON answers with a JSON body.
func writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	body, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		writeProblem(w, r, http.StatusInternalServerError, "cannot encode the answer")
		return
	}
	w.Header().Set("Content-Type", typeJSON)
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(append(body, '\n'))
	}
}
