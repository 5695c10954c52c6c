package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

func credreg(t *testing.T, args ...string) (string, int) {
	t.Helper()
	// A limit against a hung command, not a speed target: an import of a
	// few thousand rows on a shared 2-core machine under load took over a
	// minute.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, binary, args...).CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), code
}

// TestTokenLifecycle creates a token with the CLI, writes with it over
// HTTP, lists it and revokes it.
func TestTokenLifecycle(t *testing.T) {
	store := "badger://" + t.TempDir()
	// Fixtures first (serve loads them), then stop: the CLI opens the store itself.
	inst := start(t, store)
	if err := inst.stop(t, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	out, code := credreg(t, "token", "create", "--store", store, "--agency", "Heartland Workforce Commission", "--expires", "30d")
	if code != 0 {
		t.Fatalf("token create: %d\n%s", code, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	secret := lines[len(lines)-1]
	if !strings.HasPrefix(secret, "crt_") {
		t.Fatalf("the last line is not the token: %q", out)
	}
	if out, code := credreg(t, "token", "create", "--store", store, "--agency", "Nobody In Particular"); code != 1 || !strings.Contains(out, "no organization named") {
		t.Errorf("token for an unknown agency: %d %s", code, out)
	}
	if out, code := credreg(t, "token", "create", "--store", store); code != 2 || !strings.Contains(out, "--agency") {
		t.Errorf("token create without --agency: %d %s", code, out)
	}
	if out, code := credreg(t, "token", "create", "--store", store, "--agency", "Heartland Workforce Commission", "--role", "root"); code != 2 || !strings.Contains(out, "not a role") {
		t.Errorf("token create --role root: %d %s", code, out)
	}
	if out, code := credreg(t, "token", "create", "--store", store, "--agency", "Heartland Workforce Commission", "--role", "admin"); code != 0 || !strings.HasPrefix(out, "admin token ") {
		t.Errorf("token create --role admin: %d %s", code, out)
	}

	inst = start(t, store)
	post := func() int {
		req, _ := http.NewRequest(http.MethodPost, inst.url+"/import", strings.NewReader("Credential Name,Owner,Sub-Cluster,Region\nX,Y,IT Support & Services,Statewide\n"))
		req.Header.Set("Authorization", "Bearer "+secret)
		req.Header.Set("Content-Type", "text/csv")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if code := post(); code != 200 {
		t.Fatalf("import with the new token: %d", code)
	}
	if err := inst.stop(t, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	out, _ = credreg(t, "token", "list", "--store", store)
	id := strings.Split(strings.TrimPrefix(secret, "crt_"), "_")[0]
	if !strings.Contains(out, id) || !strings.Contains(out, "Heartland Workforce Commission") || !strings.Contains(out, "active") || strings.Contains(out, secret) {
		t.Errorf("token list:\n%s", out)
	}
	if out, code := credreg(t, "token", "revoke", "--store", store, id); code != 0 {
		t.Fatalf("revoke: %d %s", code, out)
	}
	inst = start(t, store)
	if code := post(); code != http.StatusUnauthorized {
		t.Errorf("import with a revoked token: %d, want 401", code)
	}
}

func TestCheckCommand(t *testing.T) {
	store := "badger://" + t.TempDir()
	inst := start(t, store)
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--date", "2026-11-25", "ce-f33b4a20-d7ac-4dd2-8a40-b29a22d5103a"}, 0, "is of value on 2026-11-25"},
		{[]string{"--date", "2026-11-25", "Nationally Registered Emergency Medical Technician (NREMT)"}, 0, "Heartland Workforce Commission"},
		{[]string{"--date", "2030-01-01", "ce-f33b4a20-d7ac-4dd2-8a40-b29a22d5103a"}, 1, "not designated of value"},
		{[]string{"No Such Credential Anywhere"}, 1, "no credential"},
		{[]string{}, 2, "Usage"},
	}
	for _, tt := range tests {
		args := append([]string{"check", "--server", inst.url}, tt.args...)
		out, code := credreg(t, args...)
		if code != tt.code || !strings.Contains(strings.ToLower(out), strings.ToLower(tt.want)) {
			t.Errorf("credreg %v: exit %d, want %d, output lacks %q:\n%s", args, code, tt.code, tt.want, out)
		}
	}
	// The same answers from the store itself, with no server: the check
	// is the catalog's, not the server's.
	serverAnswer, _ := credreg(t, "check", "--server", inst.url, "--date", "2026-11-25", "--json", "ce-f33b4a20-d7ac-4dd2-8a40-b29a22d5103a")
	if err := inst.stop(t, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests[:len(tests)-1] {
		args := append([]string{"check", "--store", store}, tt.args...)
		out, code := credreg(t, args...)
		if code != tt.code || !strings.Contains(strings.ToLower(out), strings.ToLower(tt.want)) {
			t.Errorf("credreg %v: exit %d, want %d, output lacks %q:\n%s", args, code, tt.code, tt.want, out)
		}
	}
	storeAnswer, code := credreg(t, "check", "--store", store, "--date", "2026-11-25", "--json", "ce-f33b4a20-d7ac-4dd2-8a40-b29a22d5103a")
	var fromServer, fromStore map[string]any
	if err := json.Unmarshal([]byte(serverAnswer), &fromServer); err != nil {
		t.Fatalf("server's answer: %v\n%s", err, serverAnswer)
	}
	if err := json.Unmarshal([]byte(storeAnswer), &fromStore); err != nil || code != 0 {
		t.Fatalf("store's answer: exit %d, %v\n%s", code, err, storeAnswer)
	}
	// The IRIs hold the base, the server's address: compare the rest.
	if fromServer["summary"] != fromStore["summary"] || fromServer["ofValue"] != fromStore["ofValue"] || len(fromServer["activeDesignations"].([]any)) != len(fromStore["activeDesignations"].([]any)) {
		t.Errorf("the store and the server answer differently:\n%s\n%s", serverAnswer, storeAnswer)
	}
}
