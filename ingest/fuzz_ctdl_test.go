package ingest

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// FuzzCTDL feeds any bytes through the CTDL reader and a dry run: nothing
// may panic or hang, and every problem names the file.
func FuzzCTDL(f *testing.F) {
	for _, seed := range []string{
		certificationCTDL,
		graphCTDL(),
		"[" + orgCTDL(true) + "," + orgCTDL(false) + "]",
		`{}`,
		`[]`,
		`[1, "x", null, [{}]]`,
		`{"@graph": {"@id": "_:a", "ceterms:ctid": "ce-0e1f2a3b-4c5d-4e6f-8a7b-9c0d1e2f3a4b"}}`,
		`{"@context": {"@base": 5}}`,
		`{"@context": "https://example.org/ctx", "ceterms:ctid": "x"}`,
		`{"@context": ["https://credreg.net/ctdl/schema/context/json", {"x": {"@reverse": "ceterms:ownedBy"}}], "@type": "ceterms:Badge", "ceterms:ctid": "ce-0e1f2a3b-4c5d-4e6f-8a7b-9c0d1e2f3a4b", "x": {"@id": "_:o", "ceterms:ctid": "ce-9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"}}`,
		`{"@id": "_:a", "ceterms:ctid": "ce-0e1f2a3b-4c5d-4e6f-8a7b-9c0d1e2f3a4b", "ceterms:hasPart": {"@id": "_:b", "ceterms:hasPart": {"@id": "_:a"}}, "ceterms:requires": {"@id": "_:c", "ceterms:requires": {"@id": "_:c"}}}`,
		`{"@type": "ceterms:Certification", "ceterms:ctid": "ce-0e1f2a3b-4c5d-4e6f-8a7b-9c0d1e2f3a4b", "ceterms:occupationType": [{"ceterms:codedNotation": "15-1299.08"}, "99-9999", 15], "ceterms:name": {"en-US": ["a", "b"], "x y": "z"}, "ceterms:n": 1e999, "ceterms:list": {"@list": [1, {"@value": true}, {"@value": "x", "@language": "en"}]}}`,
		`{"@context": {"@vocab": "https://purl.org/ctdl/terms/", "@language": "en"}, "ctid": "ce-0e1f2a3b-4c5d-4e6f-8a7b-9c0d1e2f3a4b", "name": "N", "@type": "Certification"}`,
	} {
		f.Add([]byte(seed))
	}
	s := newStore(f)
	base := s.Base()
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 64<<10 {
			return
		}
		src, err := CTDL("fuzz.json", bytes.NewReader(data), base)
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.json") {
				t.Errorf("error without the file name: %v", err)
			}
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		type result struct {
			rep *Report
			err error
		}
		done := make(chan result, 1)
		go func() {
			rep, err := Run(ctx, s, src, "ctdl", Options{DryRun: true})
			done <- result{rep, err}
		}()
		select {
		case r := <-done:
			if r.err != nil {
				t.Fatalf("Run: %v", r.err)
			}
			for _, p := range r.rep.Problems {
				if p.File != "fuzz.json" {
					t.Errorf("problem without the file: %+v", p)
				}
			}
			if r.rep.Units != r.rep.Imported+r.rep.Failed && r.rep.Aborted == "" {
				t.Errorf("units %d != imported %d + failed %d", r.rep.Units, r.rep.Imported, r.rep.Failed)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("the CTDL reader hangs on %q", data)
		}
	})
}
