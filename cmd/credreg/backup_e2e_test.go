package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestBackupAndRestoreCommands: a store held by a server is backed up
// over HTTP (the CLI says so), a stopped one with credreg backup; both
// files restore with credreg restore into new stores that serve what the
// original served; a non-empty directory and a file that is no backup
// are refused.
func TestBackupAndRestoreCommands(t *testing.T) {
	dir := t.TempDir()
	store := "badger://" + dir
	inst := start(t, store)
	if err := inst.stop(t, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	out, code := credreg(t, "token", "create", "--store", store, "--agency", "Heartland Workforce Commission", "--role", "admin")
	if code != 0 {
		t.Fatalf("token create: %d %s", code, out)
	}
	admin := lastLine(out)

	inst = start(t, store)
	_, body := get(t, inst.url+"/healthz", "")
	var want struct{ Sequence, Quads int64 }
	if err := json.Unmarshal(body, &want); err != nil || want.Sequence == 0 {
		t.Fatalf("healthz = %s", body)
	}
	work := t.TempDir()
	out, code = credreg(t, "backup", "--store", store, "--out", filepath.Join(work, "held.crbak"))
	if code != 1 || !strings.Contains(out, "in use by another process") || !strings.Contains(out, "/admin/backup") {
		t.Errorf("backup of a held store: %d %s", code, out)
	}
	if _, err := os.Stat(filepath.Join(work, "held.crbak")); err == nil {
		t.Error("a failed backup left its file")
	}
	req, _ := http.NewRequest(http.MethodGet, inst.url+"/admin/backup", nil)
	req.Header.Set("Authorization", "Bearer "+admin)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	online, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /admin/backup: %d %s", res.StatusCode, online)
	}
	if err := inst.stop(t, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}

	file := filepath.Join(work, "offline.crbak")
	out, code = credreg(t, "backup", "--store", store, "--out", file)
	if code != 0 || !strings.Contains(out, "backed up") {
		t.Fatalf("backup: %d %s", code, out)
	}
	if out, code := credreg(t, "backup", "--store", store, "--out", file); code != 1 || !strings.Contains(out, "exists") {
		t.Errorf("backup over an existing file: %d %s", code, out)
	}
	restored := "badger://" + filepath.Join(work, "restored")
	if out, code := credreg(t, "restore", "--store", restored, "--in", file); code != 0 || !strings.Contains(out, "restored") {
		t.Fatalf("restore: %d %s", code, out)
	}
	if out, code := credreg(t, "restore", "--store", restored, "--in", file); code != 1 || !strings.Contains(out, "not empty") {
		t.Errorf("restore into the restored store: %d %s", code, out)
	}
	garbage := filepath.Join(work, "notes.txt")
	_ = os.WriteFile(garbage, []byte("these are not the bytes you are looking for\n"), 0o600)
	if out, code := credreg(t, "restore", "--store", "badger://"+filepath.Join(work, "g"), "--in", garbage); code != 1 || !strings.Contains(out, "not a credreg backup") {
		t.Errorf("restore of a text file: %d %s", code, out)
	}
	if out, code := credreg(t, "restore", "--store", restored); code != 2 || !strings.Contains(out, "--in") {
		t.Errorf("restore without --in: %d %s", code, out)
	}
	// The online backup, from standard input.
	fromHTTP := "badger://" + filepath.Join(work, "from-http")
	cmd := exec.Command(binary, "restore", "--store", fromHTTP, "--in", "-")
	cmd.Stdin = bytes.NewReader(online)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("restore from standard input: %v %s", err, out)
	}

	for _, s := range []string{restored, fromHTTP} {
		inst := start(t, s)
		_, body := get(t, inst.url+"/healthz", "")
		var got struct{ Sequence, Quads int64 }
		_ = json.Unmarshal(body, &got)
		if got != want {
			t.Errorf("%s: healthz %+v, want %+v", s, got, want)
		}
		if res, _ := get(t, inst.url+"/resources/"+securityPlus, "application/ld+json"); res.StatusCode != 200 {
			t.Errorf("%s: a credential answers %d", s, res.StatusCode)
		}
		req, _ := http.NewRequest(http.MethodGet, inst.url+"/admin/backup", nil)
		req.Header.Set("Authorization", "Bearer "+admin)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("%s: the admin token does not work after the restore: %d", s, res.StatusCode)
		}
		if err := inst.stop(t, syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
	}
}
