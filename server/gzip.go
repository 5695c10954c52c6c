package server

import (
	"compress/gzip"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// gzipMinBytes is the smallest body worth compressing.
const gzipMinBytes = 1024

// gzipTypes are the media types compressed on the way out.
var gzipTypes = []string{typeJSONLD, typeJSON, typeNQuads, typeTriG, typeTurtle, typeHTML, typeCSV, typeProblem}

var gzipPool = sync.Pool{New: func() any { w, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed); return w }}

// acceptsGzip tells whether the request's Accept-Encoding takes gzip
// (with a quality above 0).
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		fields := strings.Split(part, ";")
		if !strings.EqualFold(strings.TrimSpace(fields[0]), "gzip") {
			continue
		}
		for _, p := range fields[1:] {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.EqualFold(k, "q") {
				q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				return err == nil && q > 0
			}
		}
		return true
	}
	return false
}

// gzipETagSuffix marks the ETag of a compressed representation (RFC 9110:
// a different content coding is a different representation).
const gzipETagSuffix = "-gzip"

// withGzip compresses the responses of a client that takes gzip, when the
// body is a text type of credreg's and large enough. Validators stay
// coherent: the compressed representation's ETag carries a suffix, which
// is taken off a conditional request's If-None-Match before the handler
// compares it.
func withGzip(w http.ResponseWriter, r *http.Request, next func(http.ResponseWriter, *http.Request)) {
	w.Header().Add("Vary", "Accept-Encoding")
	if !acceptsGzip(r) || r.Method == http.MethodHead {
		next(w, r)
		return
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		r.Header.Set("If-None-Match", strings.ReplaceAll(inm, gzipETagSuffix+`"`, `"`))
	}
	gw := &gzipWriter{ResponseWriter: w}
	defer func() {
		if v := recover(); v != nil {
			panic(v) // an aborted response must not end as a whole gzip stream
		}
		gw.close()
	}()
	next(gw, r)
}

// gzipWriter decides whether to compress when it knows the body is large
// enough: at once when the handler gave a Content-Length, else after
// holding back the first gzipMinBytes of the body.
type gzipWriter struct {
	http.ResponseWriter
	code    int // held back until the decision
	held    bool
	decided bool
	buf     []byte
	gz      *gzip.Writer
}

func (g *gzipWriter) WriteHeader(code int) {
	if g.held || g.decided {
		return
	}
	h := g.Header()
	if code != http.StatusOK || h.Get("Content-Encoding") != "" || !compressible(h.Get("Content-Type")) {
		g.decide(code, false)
		return
	}
	if n := h.Get("Content-Length"); n != "" {
		g.decide(code, bigEnough(n))
		return
	}
	g.code, g.held = code, true
}

// decide writes the header, compressing or not.
func (g *gzipWriter) decide(code int, compress bool) {
	g.decided, g.held = true, false
	if compress {
		h := g.Header()
		h.Set("Content-Encoding", "gzip")
		h.Del("Content-Length")
		if et := h.Get("ETag"); strings.HasSuffix(et, `"`) {
			h.Set("ETag", strings.TrimSuffix(et, `"`)+gzipETagSuffix+`"`)
		}
		g.gz = gzipPool.Get().(*gzip.Writer)
		g.gz.Reset(g.ResponseWriter)
	}
	g.ResponseWriter.WriteHeader(code)
}

func (g *gzipWriter) Write(b []byte) (int, error) {
	if !g.decided && !g.held {
		g.WriteHeader(http.StatusOK)
	}
	if g.held {
		g.buf = append(g.buf, b...)
		if len(g.buf) < gzipMinBytes {
			return len(b), nil
		}
		g.decide(g.code, true)
		held := g.buf
		g.buf = nil
		if _, err := g.gz.Write(held); err != nil {
			return 0, err
		}
		return len(b), nil
	}
	if g.gz != nil {
		return g.gz.Write(b)
	}
	return g.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (g *gzipWriter) Unwrap() http.ResponseWriter { return g.ResponseWriter }

// Flush sends what is compressed so far (for streamed bodies).
func (g *gzipWriter) Flush() {
	if g.held {
		g.decide(g.code, len(g.buf) >= gzipMinBytes)
		g.flushHeld()
	}
	if g.gz != nil {
		_ = g.gz.Flush()
	}
	if f, ok := g.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// flushHeld writes a held-back body plainly.
func (g *gzipWriter) flushHeld() {
	if len(g.buf) > 0 && g.gz == nil {
		_, _ = g.ResponseWriter.Write(g.buf)
	}
	g.buf = nil
}

func (g *gzipWriter) close() {
	if g.held {
		g.decide(g.code, false) // a small body: plain
		g.flushHeld()
	}
	if g.gz != nil {
		_ = g.gz.Close()
		gzipPool.Put(g.gz)
		g.gz = nil
	}
}

func compressible(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	mt = strings.TrimSpace(strings.ToLower(mt))
	for _, t := range gzipTypes {
		if mt == t {
			return true
		}
	}
	return false
}

// bigEnough tells whether a body of the given Content-Length is worth
// compressing; a streamed body (no length) always is.
func bigEnough(length string) bool {
	if length == "" {
		return true
	}
	n := 0
	for _, c := range length {
		if c < '0' || c > '9' {
			return true
		}
		n = n*10 + int(c-'0')
		if n >= gzipMinBytes {
			return true
		}
	}
	return n >= gzipMinBytes
}
