package server

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"credreg/registry"
)

// authenticate checks the request's bearer token against the store and
// returns the token (bound to one agency). It answers 401 itself when the
// token is missing, unknown, revoked or expired, and 429 (with
// Retry-After) to a client address that failed too often within the
// limiter's window, without looking at its token, or to a token over its
// write rate. Every write route calls it once per request.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (registry.Token, bool) {
	client := clientAddr(r)
	now := time.Now()
	if wait, blocked := s.authFails.blocked(client, now); blocked {
		secs := int(wait/time.Second) + 1
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		writeProblem(w, r, http.StatusTooManyRequests, fmt.Sprintf("too many failed authentications from %s: retry after %d s", client, secs))
		return registry.Token{}, false
	}
	h := r.Header.Get("Authorization")
	const prefix = "bearer "
	if len(h) > len(prefix) && strings.EqualFold(h[:len(prefix)], prefix) {
		tok, err := s.store.Authenticate(r.Context(), strings.TrimSpace(h[len(prefix):]))
		if err == nil {
			if wait, ok := s.writes.take(tok.ID, now); !ok {
				secs := int((wait + time.Second - 1) / time.Second)
				w.Header().Set("Retry-After", strconv.Itoa(secs))
				writeProblem(w, r, http.StatusTooManyRequests, fmt.Sprintf("token %s made more than %d writes within a minute, the most it may: retry after %d s", tok.ID, s.writes.perMinute, secs))
				return registry.Token{}, false
			}
			return tok, true
		}
		if !errors.Is(err, registry.ErrUnauthorized) {
			s.internalError(w, r, err)
			return registry.Token{}, false
		}
	}
	s.authFails.failed(client, now)
	w.Header().Set("WWW-Authenticate", `Bearer realm="credreg"`)
	writeProblem(w, r, http.StatusUnauthorized, "writing needs a valid bearer token bound to an agency (Authorization: Bearer crt_…; see credreg token create)")
	return registry.Token{}, false
}

// authenticateAdmin is authenticate for a route only the registry's
// operator may use: it answers 403 itself, saying why, to an agency's
// token.
func (s *Server) authenticateAdmin(w http.ResponseWriter, r *http.Request, why string) (registry.Token, bool) {
	tok, ok := s.authenticate(w, r)
	if !ok {
		return registry.Token{}, false
	}
	if !tok.Admin() {
		writeProblem(w, r, http.StatusForbidden, why)
		return registry.Token{}, false
	}
	return tok, true
}

// clientAddr is the address a request came from (the peer: credreg does
// not trust forwarding headers it cannot check).
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// DefaultAuthFailures is how many failed authentications a client address
// may make within a minute before it gets 429.
const DefaultAuthFailures = 20

// failureLimiter counts failed authentications per client address in a
// fixed window.
type failureLimiter struct {
	mu     sync.Mutex
	max    int // 0: no limit
	window time.Duration
	counts map[string]*failureWindow
}

type failureWindow struct {
	start time.Time
	n     int
}

func newFailureLimiter(max int, window time.Duration) *failureLimiter {
	return &failureLimiter{max: max, window: window, counts: map[string]*failureWindow{}}
}

// blocked reports whether client is over the limit at now, and for how
// long it stays so.
func (l *failureLimiter) blocked(client string, now time.Time) (time.Duration, bool) {
	if l == nil || l.max <= 0 {
		return 0, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.counts[client]
	if c == nil || now.Sub(c.start) >= l.window {
		return 0, false
	}
	if c.n < l.max {
		return 0, false
	}
	return c.start.Add(l.window).Sub(now), true
}

// failed counts a failed authentication of client at now.
func (l *failureLimiter) failed(client string, now time.Time) {
	if l == nil || l.max <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.counts) > 100_000 {
		// Forget the windows that are over, so that many addresses
		// cannot grow the table without bound.
		for k, c := range l.counts {
			if now.Sub(c.start) >= l.window {
				delete(l.counts, k)
			}
		}
	}
	c := l.counts[client]
	if c == nil || now.Sub(c.start) >= l.window {
		c = &failureWindow{start: now}
		l.counts[client] = c
	}
	c.n++
}

// DefaultWritesPerMinute is the default of Config.MaxWritesPerMinute.
const DefaultWritesPerMinute = 600

// writeLimiter is a token bucket per write token: perMinute writes a
// minute on average, in bursts of at most perMinute. An import is one
// write, whatever its size (the import slots bound those).
type writeLimiter struct {
	mu        sync.Mutex
	perMinute int // 0: no limit
	buckets   map[string]*writeBucket
}

type writeBucket struct {
	tokens float64
	at     time.Time
}

func newWriteLimiter(perMinute int) *writeLimiter {
	return &writeLimiter{perMinute: perMinute, buckets: map[string]*writeBucket{}}
}

// take spends one write of token id at now, or says how long until one is
// available.
func (l *writeLimiter) take(id string, now time.Time) (time.Duration, bool) {
	if l == nil || l.perMinute <= 0 {
		return 0, true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	rate := float64(l.perMinute) / float64(time.Minute) // tokens per nanosecond
	b := l.buckets[id]
	if b == nil {
		if len(l.buckets) > 100_000 {
			// Forget the full buckets (idle tokens): they would start full.
			for k, o := range l.buckets {
				if o.tokens+float64(now.Sub(o.at))*rate >= float64(l.perMinute) {
					delete(l.buckets, k)
				}
			}
		}
		b = &writeBucket{tokens: float64(l.perMinute), at: now}
		l.buckets[id] = b
	}
	b.tokens = min(float64(l.perMinute), b.tokens+float64(now.Sub(b.at))*rate)
	b.at = now
	if b.tokens >= 1-1e-9 { // a waiter told how long to wait is not refused for rounding
		b.tokens = max(0, b.tokens-1)
		return 0, true
	}
	return time.Duration(math.Ceil((1 - b.tokens) / rate)), false
}
