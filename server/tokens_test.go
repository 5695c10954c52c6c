package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"credreg/registry"
)

// TestTokensOverHTTP: an admin token makes an agency's token while the
// server runs, whose secret is shown once and writes for that agency at
// once; an agency's token may not make tokens, and lists only its own;
// bad requests say what is wrong.
func TestTokensOverHTTP(t *testing.T) {
	ctx := context.Background()
	srv, store := newImportServer(t, Config{})
	tokA, agencyA := tokenFor(t, store, "Heartland Workforce Commission")
	_, agencyB := tokenFor(t, store, "Heartland Department of Education")
	admin, _, err := store.CreateToken(ctx, agencyA, registry.RoleAdmin, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	url := srv.URL + "/tokens"

	code, h, body := send(t, http.MethodPost, url, admin, `{"agency": "Heartland Department of Education", "expires": "90d"}`)
	if code != http.StatusCreated || h.Get("Cache-Control") != "no-store" {
		t.Fatalf("create: %d (Cache-Control %q)\n%s", code, h.Get("Cache-Control"), body)
	}
	var made struct {
		registry.Token
		AgencyName string `json:"agencyName"`
		Secret     string `json:"token"`
	}
	if err := json.Unmarshal([]byte(body), &made); err != nil {
		t.Fatal(err)
	}
	if made.Agency != agencyB || made.AgencyName != "Heartland Department of Education" || made.Role != registry.RoleAgency ||
		!strings.HasPrefix(made.Secret, "crt_"+made.ID+"_") || time.Until(made.Expires) < 89*24*time.Hour {
		t.Errorf("made %+v; want agency B's token, expiring in 90 days, with its secret", made)
	}
	// The new token writes for agency B at once.
	code, _, body = send(t, http.MethodPost, srv.URL+"/designations", made.Secret, designationBody(store.Base().String(), ""))
	if code != http.StatusCreated || !strings.Contains(body, `"agency": "`+agencyB+`"`) {
		t.Errorf("a write with the new token: %d\n%s", code, body)
	}

	// Listing: the admin sees every token, agency A its own agency
	// tokens (not the admin token bound to A); no secret.
	adminID := strings.Split(admin, "_")[1]
	for _, tc := range []struct {
		token string
		want  map[string]bool // agencies listed
	}{
		{admin, map[string]bool{agencyA: true, agencyB: true}},
		{tokA, map[string]bool{agencyA: true}},
	} {
		code, _, body := send(t, http.MethodGet, url, tc.token, "")
		var list []registry.Token
		if code != http.StatusOK || json.Unmarshal([]byte(body), &list) != nil {
			t.Fatalf("list: %d\n%s", code, body)
		}
		got := map[string]bool{}
		for _, tok := range list {
			got[tok.Agency] = true
			if tok.ID == adminID && tc.token != admin {
				t.Errorf("agency A's token lists the admin token %s", adminID)
			}
		}
		if strings.Contains(body, `"revoked"`) || tc.token == admin && strings.Count(body, `"expires"`) != 1 {
			t.Errorf("list: want no revoked time (none is), and only B's new token's expiry:\n%s", body)
		}
		if tc.token == tokA && strings.Contains(body, `"expires"`) {
			t.Errorf("list: agency A's tokens never expire, but an expiry is shown:\n%s", body)
		}
		if len(got) != len(tc.want) || strings.Contains(body, made.Secret) || strings.Contains(body, `"token"`) {
			t.Errorf("list with a %s token: %v; want the tokens of %v, no secret", map[bool]string{true: "admin", false: "agency"}[tc.token == admin], got, tc.want)
		}
		for a := range tc.want {
			if !got[a] {
				t.Errorf("list lacks the tokens of %s", a)
			}
		}
	}

	// Agency A may not revoke the operator's token bound to it.
	if code, _, body := send(t, http.MethodPost, url+"/"+adminID+"/revoke", tokA, ""); code != http.StatusForbidden || !strings.Contains(body, "only an admin token revokes it") {
		t.Errorf("agency A revokes the admin token: %d %s", code, body)
	}
	if code, _, _ := send(t, http.MethodGet, url, admin, ""); code != http.StatusOK {
		t.Errorf("the admin token after agency A's try: %d", code)
	}

	for _, tc := range []struct {
		name, token, body string
		status            int
		says              string
	}{
		{"an agency's token", tokA, `{"agency": "Heartland Department of Education"}`, http.StatusForbidden, "only an admin token makes tokens"},
		{"no token", "", `{"agency": "Heartland Department of Education"}`, http.StatusUnauthorized, "bearer token"},
		{"no agency", admin, `{"role": "agency"}`, http.StatusBadRequest, `"agency" is required`},
		{"an unknown agency", admin, `{"agency": "No Such Board"}`, http.StatusNotFound, `no organization named "No Such Board"`},
		{"a credential, not an organization", admin, `{"agency": "` + nremt + `"}`, http.StatusUnprocessableEntity, "is not an organization"},
		{"a bad role", admin, `{"agency": "` + agencyB + `", "role": "owner"}`, http.StatusBadRequest, `"role": "owner" is not a role`},
		{"days past any sense", admin, `{"agency": "` + agencyB + `", "expires": "200000000d"}`, http.StatusBadRequest, `expected a number of days from 1 to 36500`},
		{"a past expiry", admin, `{"agency": "` + agencyB + `", "expires": "2020-01-01"}`, http.StatusBadRequest, `"expires": "2020-01-01" is in the past`},
		{"an unknown field", admin, `{"agency": "` + agencyB + `", "secret": "mine"}`, http.StatusBadRequest, `unknown field "secret"`},
		{"not JSON", admin, `agency=B`, http.StatusBadRequest, "give the token as JSON"},
		{"too big", admin, `{"agency": "` + strings.Repeat("x", 5000) + `"}`, http.StatusRequestEntityTooLarge, "over the limit"},
	} {
		code, _, body := send(t, http.MethodPost, url, tc.token, tc.body)
		var p struct{ Detail string }
		_ = json.Unmarshal([]byte(body), &p)
		if code != tc.status || !strings.Contains(p.Detail, tc.says) {
			t.Errorf("%s: %d %s; want %d saying %q", tc.name, code, body, tc.status, tc.says)
		}
	}
}
