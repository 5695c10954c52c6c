package registry

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cayleygraph/quad"

	"credreg/schema"
)

// TestPutBatchAsAuthorizesAtTheWrite: PutBatchAs applies Authorize to each
// record against the record stored when it writes, so a caller's earlier
// check that has gone stale (the record was absent, or unchanged, when
// it looked) cannot let one agency replace another's record. A refused
// record refuses the batch: nothing of it is written.
func TestPutBatchAsAuthorizesAtTheWrite(t *testing.T) {
	ctx := context.Background()
	base := testBaseIRI(t)
	agencyA := base.Resource("ce-aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa")
	agencyB := base.Resource("ce-bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb")
	sample := sampleRecords(t)
	cred, designation := sample[0], sample[2] // the designation names orgCTID as its agency
	// with returns rec with the value of its node's property prop (an
	// IRI or a string) replaced.
	with := func(rec Record, prop string, value quad.Value) Record {
		out := Record{IRI: rec.IRI, Merge: rec.Merge}
		for _, q := range rec.Quads {
			if q.Subject == quad.IRI(rec.IRI) && q.Predicate == quad.IRI(prop) {
				q.Object = value
			}
			out.Quads = append(out.Quads, q)
		}
		return out
	}
	renamed := func(rec Record, name string) Record { return with(rec, schema.Name, quad.String(name)) }
	orgAgency := base.Resource(orgCTID)
	for _, tc := range []struct {
		name     string
		storedBy string // the agency that wrote the stored record; "" when none is stored
		stored   Record
		agency   string
		write    Record
		refused  string // part of the reason; "" when the write is allowed
	}{
		{name: "a new record", agency: agencyA, write: cred},
		{name: "its publisher replaces it", storedBy: agencyA, stored: cred, agency: agencyA, write: renamed(cred, "Renamed by its publisher")},
		{name: "another agency's record", storedBy: agencyB, stored: cred, agency: agencyA, write: renamed(cred, "Taken over"), refused: "published by " + agencyB},
		{name: "another agency's record, merged into", storedBy: agencyB, stored: cred, agency: agencyA,
			write: Record{IRI: cred.IRI, Merge: true, Quads: []quad.Quad{{Subject: quad.IRI(cred.IRI), Predicate: quad.IRI(schema.Description), Object: quad.String("New words.")}}}, refused: "published by " + agencyB},
		{name: "another agency's record, as stored", storedBy: agencyB, stored: cred, agency: agencyA, write: cred},
		{name: "another agency's designation", storedBy: orgAgency, stored: designation, agency: agencyA, write: with(designation, schema.ValidThrough, quad.String("2028-06-30")),
			refused: "a designation of " + orgAgency},
		{name: "a designation naming another agency", agency: agencyA, write: designation, refused: "a designation of " + orgAgency},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openStore(t, t.TempDir())
			if tc.storedBy != "" {
				rec := tc.stored
				rec.Publisher = tc.storedBy
				if _, err := s.PutBatchAs(ctx, tc.storedBy, tc.storedBy, []Record{rec}); err != nil {
					t.Fatalf("store the record as %s: %v", tc.storedBy, err)
				}
			}
			before := s.Sequence()
			var old *Record
			if tc.storedBy != "" {
				var err error
				if old, err = s.Get(ctx, tc.write.IRI); err != nil {
					t.Fatal(err)
				}
			}
			// Beside it, a new record of the agency's own, refused with it.
			own := renamed(cred, "Own")
			own.IRI = base.Resource("ce-cccccccc-cccc-4ccc-8ccc-cccccccccccc")
			own.Quads = movedTo(own.Quads, cred.IRI, own.IRI, "ce-cccccccc-cccc-4ccc-8ccc-cccccccccccc")
			recs := []Record{own, tc.write}
			for i := range recs {
				recs[i].Publisher = tc.agency
			}
			changes, err := s.PutBatchAs(ctx, tc.agency, tc.agency, recs)
			if tc.refused == "" {
				if err != nil {
					t.Fatalf("PutBatchAs: %v", err)
				}
				if changes[0].Seq == 0 {
					t.Error("the agency's own new record was not written")
				}
				return
			}
			var be *BatchError
			if !errors.As(err, &be) || !errors.Is(err, ErrForbidden) || len(be.Records) != 1 {
				t.Fatalf("PutBatchAs = %v; want a *BatchError with one record wrapping ErrForbidden", err)
			}
			re := be.Records[0]
			if re.IRI != tc.write.IRI || re.Index != 1 || len(re.Problems) != 1 || !strings.HasPrefix(re.Problems[0].Message, "forbidden (403): ") ||
				!strings.Contains(re.Problems[0].Message, tc.refused) {
				t.Errorf("refused record = %+v; want record 2, %s, a problem saying %q", re, tc.write.IRI, tc.refused)
			}
			if s.Sequence() != before {
				t.Errorf("the change log moved from %d to %d: a refused batch wrote", before, s.Sequence())
			}
			if _, err := s.Get(ctx, own.IRI); !errors.Is(err, ErrNotFound) {
				t.Errorf("the batch's allowed record was written beside the refused one: %v", err)
			}
			if old != nil {
				now, err := s.Get(ctx, tc.write.IRI)
				if err != nil || now.Hash != old.Hash {
					t.Errorf("the stored record changed: %v", err)
				}
			}
		})
	}
	s := openStore(t, t.TempDir())
	if _, err := s.PutBatchAs(ctx, "", agencyA, []Record{cred}); err == nil {
		t.Error("PutBatchAs without an agency wrote")
	}
}

// movedTo returns quads about the node from as about the node to, with
// the CTID ctid.
func movedTo(quads []quad.Quad, from, to, ctid string) []quad.Quad {
	out := make([]quad.Quad, 0, len(quads))
	for _, q := range quads {
		if q.Subject == quad.IRI(from) {
			q.Subject = quad.IRI(to)
			if q.Predicate == quad.IRI(schema.CTID) {
				q.Object = quad.String(ctid)
			}
		}
		out = append(out, q)
	}
	return out
}

// TestWithNames: a message's IRIs of this registry's resources gain the
// resource's name; others, and resources without a record, stay as they
// are.
func TestWithNames(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir())
	if _, err := s.PutBatch(ctx, "test", sampleRecords(t)); err != nil {
		t.Fatal(err)
	}
	org := testBase + "/resources/" + orgCTID
	unknown := testBase + "/resources/ce-99999999-9999-4999-8999-999999999999"
	for _, tc := range []struct{ in, want string }{
		{"published by " + org + "; only its publisher (yours: " + org + ")",
			"published by " + org + " (Heartland Workforce Commission); only its publisher (yours: " + org + " (Heartland Workforce Commission))"},
		{"a designation of " + unknown, "a designation of " + unknown},
		{"elsewhere: https://other.example/resources/" + orgCTID, "elsewhere: https://other.example/resources/" + orgCTID},
		{"no IRI at all", "no IRI at all"},
	} {
		if got := s.WithNames(ctx, tc.in); got != tc.want {
			t.Errorf("WithNames(%q)\n = %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

// TestRetireAsAuthorizesAtTheWrite: RetireAs applies Authorize to the
// record stored when it writes: another agency's record is not retired,
// its publisher's is.
func TestRetireAsAuthorizesAtTheWrite(t *testing.T) {
	ctx := context.Background()
	base := testBaseIRI(t)
	agencyA := base.Resource("ce-aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa")
	agencyB := base.Resource("ce-bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb")
	s := openStore(t, t.TempDir())
	cred := sampleRecords(t)[0]
	cred.Publisher = agencyB
	if _, err := s.PutBatchAs(ctx, agencyB, agencyB, []Record{cred}); err != nil {
		t.Fatal(err)
	}
	before := s.Sequence()
	_, err := s.RetireAs(ctx, agencyA, cred.IRI, "not mine to retire", time.Now(), "")
	var fe *ForbiddenError
	if !errors.As(err, &fe) || !strings.Contains(fe.Reason, "published by "+agencyB) || s.Sequence() != before {
		t.Fatalf("agency A retires B's record: %v (log %d → %d); want a ForbiddenError, nothing written", err, before, s.Sequence())
	}
	if c, err := s.RetireAs(ctx, agencyB, cred.IRI, "superseded", time.Now(), ""); err != nil || c.Action != ActionRetire {
		t.Fatalf("agency B retires its record: %+v, %v", c, err)
	}
	if got, err := s.Get(ctx, cred.IRI); err != nil || !got.Retired() {
		t.Errorf("B's record after B's retirement: %v", err)
	}
}
