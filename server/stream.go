package server

import (
	"io"
	"net/http"
	"time"
)

// DefaultStreamWriteTimeout is the default of Config.StreamWriteTimeout.
const DefaultStreamWriteTimeout = 60 * time.Second

// streamChunk is the most a streamed answer hands the connection at once,
// so that each piece gets a deadline of its own.
const streamChunk = 32 << 10

// deadlineWriter writes a streamed answer (the dump, the CSV export),
// moving the connection's write deadline window ahead before each piece:
// a client that keeps reading gets every byte however long the whole
// takes (the server's fixed WriteTimeout would cut it), while one that
// stops reading is cut off once a piece waits longer than window.
type deadlineWriter struct {
	w      io.Writer
	rc     *http.ResponseController
	window time.Duration
}

// stream returns the writer of a streamed answer on w.
func (s *Server) stream(w http.ResponseWriter) io.Writer {
	return &deadlineWriter{w: w, rc: http.NewResponseController(w), window: s.streamTimeout}
}

func (d *deadlineWriter) Write(b []byte) (int, error) {
	n := 0
	for len(b) > 0 {
		piece := b[:min(len(b), streamChunk)]
		// ErrNotSupported (a writer that is no connection) leaves the
		// deadline as it is.
		_ = d.rc.SetWriteDeadline(time.Now().Add(d.window))
		m, err := d.w.Write(piece)
		n += m
		if err != nil {
			return n, err
		}
		b = b[len(piece):]
	}
	return n, nil
}
