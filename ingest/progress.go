package ingest

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// Progress prints how an import is going: rows done, rate, errors so far
// and, when the input's size is known, an ETA. On a terminal it redraws one
// line with a bar; otherwise it prints a plain line every few seconds.
type Progress struct {
	mu       sync.Mutex
	w        io.Writer
	tty      bool
	every    time.Duration
	start    time.Time
	last     time.Time
	name     string
	now      func() time.Time
	drawn    bool
	lastLine string
}

// NewProgress returns a Progress writing to w for the input name. A
// terminal is detected when w is an *os.File on a character device.
func NewProgress(w io.Writer, name string) *Progress {
	p := &Progress{w: w, name: name, every: 5 * time.Second, now: time.Now}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.tty, p.every = true, 200*time.Millisecond
		}
	}
	p.start = p.now()
	p.last = p.start
	return p
}

// Update reports units read and failed so far, and the position in the
// input (bytes done of total, total 0 if unknown). It prints at most once
// per interval.
func (p *Progress) Update(units, failed int, done, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if now.Sub(p.last) < p.every {
		return
	}
	p.last = now
	p.print(p.line(units, failed, done, total, now))
}

func (p *Progress) line(units, failed int, done, total int64, now time.Time) string {
	elapsed := now.Sub(p.start)
	rate := 0.0
	if elapsed > 0 {
		rate = float64(units) / elapsed.Seconds()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d rows, %.0f rows/s, %d errors", p.name, units, rate, failed)
	if total > 0 && done > 0 {
		frac := float64(done) / float64(total)
		if frac > 1 {
			frac = 1
		}
		eta := time.Duration(float64(elapsed) * (1 - frac) / frac).Round(time.Second)
		if p.tty {
			const width = 24
			n := int(frac * width)
			fmt.Fprintf(&b, " [%s%s] %3.0f%%", strings.Repeat("#", n), strings.Repeat(".", width-n), frac*100)
		} else {
			fmt.Fprintf(&b, ", %.0f%% read", frac*100)
		}
		fmt.Fprintf(&b, ", ETA %s", eta)
	}
	return b.String()
}

func (p *Progress) print(line string) {
	if p.tty {
		pad := ""
		if n := len(p.lastLine) - len(line); n > 0 {
			pad = strings.Repeat(" ", n)
		}
		fmt.Fprintf(p.w, "\r%s%s", line, pad)
		p.drawn = true
	} else {
		fmt.Fprintln(p.w, line)
	}
	p.lastLine = line
}

// Done prints the closing line of an import.
func (p *Progress) Done(r *Report) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.w, "\r"+strings.Repeat(" ", len(p.lastLine))+"\r")
	}
	elapsed := p.now().Sub(p.start)
	rate := 0.0
	if elapsed > 0 {
		rate = float64(r.Units) / elapsed.Seconds()
	}
	verb := "imported"
	if r.DryRun {
		verb = "valid (dry run, nothing written)"
	}
	extra := ""
	if r.Forbidden > 0 {
		extra += fmt.Sprintf("; %d refused as not the agency's to write (403)", r.Forbidden)
	}
	if r.LeftOut > 0 {
		extra += fmt.Sprintf("; %d rows' facts about another publisher's records left out (their designations written)", r.LeftOut)
	}
	if r.OnBehalf > 0 {
		extra += fmt.Sprintf("; %d records published on their owners' behalf", r.OnBehalf)
	}
	fmt.Fprintf(p.w, "%s: %d rows read, %d %s, %d failed; %d records written, %d unchanged%s; %s (%.0f rows/s)\n",
		p.name, r.Units, r.Imported, verb, r.Failed, r.Written, r.Unchanged, extra, elapsed.Round(time.Millisecond), rate)
}
