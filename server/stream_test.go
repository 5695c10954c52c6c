package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/cayleygraph/quad"

	"credreg/catalog/catalogtest"
	"credreg/ingest/seed"
	"credreg/registry"
	"credreg/schema"
)

// streamBuffer is the kernel buffer size of the test's connections: small
// beside the dump, so that the dump outruns a slow reader instead of
// filling megabytes of autotuned loopback buffers, but over loopback's
// MSS (64 KiB), under which TCP stalls on window updates.
const streamBuffer = 256 << 10

// smallBuffers gives every accepted connection a send buffer of
// streamBuffer.
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(streamBuffer)
	}
	return c, err
}

// newTimeoutServer is a server over the fixture store whose http.Server
// has a WriteTimeout of timeout, as credreg serve --write-timeout sets it.
func newTimeoutServer(t *testing.T, timeout time.Duration) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	srv.Listener = smallBuffers{srv.Listener}
	base, _ := schema.NewBase("http://" + srv.Listener.Addr().String())
	store, err := registry.Open(context.Background(), "badger://"+t.TempDir(), registry.Options{Base: base})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	if _, err := seed.Load(context.Background(), store, seed.Options{Sample: true, Logger: slog.New(slog.DiscardHandler)}); err != nil {
		t.Fatal(err)
	}
	// About 3 MB more of gzipped dump: credentials with long descriptions
	// of random text, which gzip cannot shrink much.
	rng := rand.New(rand.NewPCG(1, 2))
	org := base.Resource(umbWorkforce)
	for batch := range 14 {
		var recs []registry.Record
		for i := range 50 {
			ctid := schema.DerivedCTID("slow-reader", strconv.Itoa(batch*50+i))
			iri := base.Resource(ctid)
			text := make([]byte, 7500)
			for j := range text {
				text[j] = byte(rng.Uint32())
			}
			recs = append(recs, registry.Record{IRI: iri, Quads: []quad.Quad{
				registry.Statement(iri, schema.RDFType, schema.CETerms+"Certificate"),
				{Subject: quad.IRI(iri), Predicate: quad.IRI(schema.CTID), Object: quad.String(ctid)},
				{Subject: quad.IRI(iri), Predicate: quad.IRI(schema.Name), Object: quad.String("Padding " + ctid)},
				{Subject: quad.IRI(iri), Predicate: quad.IRI(schema.Description), Object: quad.String(base64.StdEncoding.EncodeToString(text))},
				registry.Statement(iri, schema.OwnedBy, org),
			}})
		}
		if _, err := store.PutBatch(context.Background(), "test", recs); err != nil {
			t.Fatal(err)
		}
	}
	h, err := New(Config{Catalog: catalogtest.Of(t, store), Logger: slog.New(slog.DiscardHandler), StreamWriteTimeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = h
	srv.Config.WriteTimeout = timeout
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// slowClient reads through a receive buffer of streamBuffer.
func slowClient() *http.Client {
	d := &net.Dialer{}
	return &http.Client{Transport: &http.Transport{
		DisableCompression: true,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := d.DialContext(ctx, network, addr)
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetReadBuffer(streamBuffer)
			}
			return c, err
		},
	}}
}

// TestSlowReaderGetsTheWholeDump: a harvester reading the dump slowly,
// over several times the server's write timeout, gets every byte; one
// that stops reading for longer than the timeout is cut off.
func TestSlowReaderGetsTheWholeDump(t *testing.T) {
	const timeout = 300 * time.Millisecond
	srv := newTimeoutServer(t, timeout)
	res, full := do(t, http.MethodGet, srv.URL+"/dump.nq.gz", nil)
	if res.StatusCode != http.StatusOK || len(full) < 8*streamBuffer {
		t.Fatalf("the dump: %d, %d bytes (too small to outrun the buffers)", res.StatusCode, len(full))
	}

	read := func(pause func(got int) time.Duration) ([]byte, time.Duration, error) {
		res, err := slowClient().Get(srv.URL + "/dump.nq.gz")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		start := time.Now()
		var got bytes.Buffer
		buf := make([]byte, 16<<10)
		for {
			n, err := io.ReadFull(res.Body, buf)
			got.Write(buf[:n])
			if err == io.EOF || err == io.ErrUnexpectedEOF && got.Len() == len(full) {
				return got.Bytes(), time.Since(start), nil
			}
			if err != nil {
				return got.Bytes(), time.Since(start), err
			}
			time.Sleep(pause(got.Len()))
		}
	}

	// Slow but steady: the whole dump spread over about 2 s (about 7
	// write timeouts), never pausing for long.
	steady := 2 * time.Second * time.Duration(16<<10) / time.Duration(len(full))
	got, took, err := read(func(int) time.Duration { return steady })
	if err != nil || !bytes.Equal(got, []byte(full)) {
		t.Fatalf("a slow reader got %d of %d bytes in %v: %v", len(got), len(full), took, err)
	}
	if took < 3*timeout {
		t.Errorf("the slow read took %v, not much over the write timeout %v: the test shows nothing", took, timeout)
	}

	// Stalled: after 64 KiB it stops for 4 timeouts; the server gives up.
	stalled := false
	got, _, err = read(func(n int) time.Duration {
		if n >= 64<<10 && !stalled {
			stalled = true
			return 4 * timeout
		}
		return 0
	})
	if err == nil || len(got) >= len(full) {
		t.Errorf("a reader that stalled got %d of %d bytes, error %v; want the connection cut", len(got), len(full), err)
	}
}
