package server

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"credreg/catalog/catalogtest"
	"credreg/ingest/seed"
	"credreg/registry"
	"credreg/schema"
)

// tinyBuffers makes a listener's connections send through a small
// socket buffer, so that a client that stops reading stalls the handler.
type tinyBuffers struct{ net.Listener }

func (l tinyBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(8 << 10)
	}
	return c, err
}

// newBackupServer is a server over a store with the fixtures, whose
// http.Server has a short WriteTimeout.
func newBackupServer(t *testing.T, writeTimeout time.Duration) (*httptest.Server, *registry.Store) {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	srv.Listener = tinyBuffers{srv.Listener}
	base, _ := schema.NewBase("http://" + srv.Listener.Addr().String())
	store, err := registry.Open(context.Background(), "badger://"+t.TempDir(), registry.Options{Base: base})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	if _, err := seed.Load(context.Background(), store, seed.Options{Sample: true, Logger: slog.New(slog.DiscardHandler)}); err != nil {
		t.Fatal(err)
	}
	h, err := New(Config{Catalog: catalogtest.Of(t, store), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = h
	srv.Config.WriteTimeout = writeTimeout
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, store
}

// slowBackupClient reads through a small socket buffer.
var slowBackupClient = &http.Client{Transport: &http.Transport{
	DisableCompression: true,
	DialContext: (&net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 8<<10) })
	}}).DialContext,
}}

func getBackup(t *testing.T, client *http.Client, url, token string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url+"/admin/backup", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestAdminBackup: no token 401, an agency token 403, an admin token a
// backup that restores into a store at the sequence the response names,
// even from a client slower than the server's WriteTimeout; a second
// backup while one runs answers 429.
func TestAdminBackup(t *testing.T) {
	const writeTimeout = 300 * time.Millisecond
	srv, store := newBackupServer(t, writeTimeout)
	ctx := context.Background()
	agency, iri := tokenFor(t, store, "Heartland Workforce Commission")
	admin, _, err := store.CreateToken(ctx, iri, registry.RoleAdmin, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		token string
		want  int
	}{{"", http.StatusUnauthorized}, {"crt_000000000000_nope", http.StatusUnauthorized}, {agency, http.StatusForbidden}} {
		res := getBackup(t, http.DefaultClient, srv.URL, tt.token)
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tt.want || !strings.Contains(res.Header.Get("Content-Type"), "problem+json") {
			t.Errorf("token %q: %d %s, want %d", tt.token, res.StatusCode, body, tt.want)
		}
	}
	if code, _, _ := send(t, http.MethodPost, srv.URL+"/admin/backup", admin, ""); code != http.StatusMethodNotAllowed {
		t.Errorf("POST /admin/backup: %d", code)
	}

	res := getBackup(t, slowBackupClient, srv.URL, admin)
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/octet-stream" ||
		!strings.HasPrefix(res.Header.Get("Content-Disposition"), `attachment; filename="credreg-backup-`) {
		t.Fatalf("backup: %d %v", res.StatusCode, res.Header)
	}
	seq, _ := strconv.ParseUint(res.Header.Get("X-Credreg-Sequence"), 10, 64)
	if seq != store.Sequence() {
		t.Errorf("X-Credreg-Sequence %d, store at %d", seq, store.Sequence())
	}
	var body bytes.Buffer
	if _, err := io.CopyN(&body, res.Body, 64<<10); err != nil {
		t.Fatal(err)
	}
	// While this one stalls: a second one waits its turn, writes go on.
	second := getBackup(t, http.DefaultClient, srv.URL, admin)
	second.Body.Close()
	if second.StatusCode != http.StatusTooManyRequests || second.Header.Get("Retry-After") == "" {
		t.Errorf("a second backup at once: %d", second.StatusCode)
	}
	if code, _, b := send(t, http.MethodPost, srv.URL+"/designations", agency, designationBody(store.Base().String(), "")); code != http.StatusCreated {
		t.Errorf("a write during the backup: %d %s", code, b)
	}
	time.Sleep(3 * writeTimeout) // past the server's WriteTimeout
	if _, err := io.Copy(&body, res.Body); err != nil {
		t.Fatalf("the backup was cut after %d bytes: %v", body.Len(), err)
	}
	if body.Len() < 1<<20 {
		t.Logf("the backup is only %d bytes: the stall may not have blocked the server", body.Len())
	}

	dir := filepath.Join(t.TempDir(), "restored")
	info, err := registry.Restore(ctx, "badger://"+dir, &body, registry.RestoreOptions{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if info.Sequence != seq || info.Base != store.Base().String() {
		t.Errorf("restored %+v, want sequence %d", info, seq)
	}
	r, err := registry.Open(ctx, "badger://"+dir, registry.Options{Base: store.Base(), MustExist: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Sequence() != seq || r.Sequence() >= store.Sequence() {
		t.Errorf("restored store at %d, backup at %d, source now at %d", r.Sequence(), seq, store.Sequence())
	}
	if tok, err := r.Authenticate(ctx, admin); err != nil || !tok.Admin() {
		t.Errorf("the admin token in the restored store: %v", err)
	}
}
