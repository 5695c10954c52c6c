package ingest

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestProgressPlainLines(t *testing.T) {
	var out bytes.Buffer
	p := NewProgress(&out, "sheet.csv")
	now := p.start
	p.now = func() time.Time { return now }
	p.Update(10, 0, 10, 100) // too soon: nothing printed
	if out.Len() != 0 {
		t.Fatalf("printed before the interval: %q", out.String())
	}
	now = now.Add(10 * time.Second)
	p.Update(5000, 3, 25, 100)
	line := out.String()
	for _, want := range []string{"sheet.csv: 5000 rows", "500 rows/s", "3 errors", "25% read", "ETA 30s"} {
		if !strings.Contains(line, want) {
			t.Errorf("progress line %q lacks %q", line, want)
		}
	}
	if strings.Contains(line, "\r") {
		t.Error("a plain (non-terminal) progress line redraws with \\r")
	}
	out.Reset()
	now = now.Add(10 * time.Second)
	p.Done(&Report{Units: 9000, Imported: 8990, Failed: 10, Written: 8990})
	if !strings.Contains(out.String(), "9000 rows read, 8990 imported, 10 failed") {
		t.Errorf("closing line = %q", out.String())
	}
}

func TestProgressTerminalRedraws(t *testing.T) {
	var out bytes.Buffer
	p := NewProgress(&out, "big.xlsx")
	p.tty, p.every = true, time.Millisecond
	now := p.start
	p.now = func() time.Time { return now }
	now = now.Add(time.Second)
	p.Update(100, 0, 50, 100)
	if !strings.HasPrefix(out.String(), "\r") || !strings.Contains(out.String(), "[############............]  50%") {
		t.Errorf("terminal progress = %q, want a redrawn bar at 50%%", out.String())
	}
}
