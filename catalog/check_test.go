package catalog

import (
	"context"
	"errors"
	"strings"
	"testing"

	"credreg/fixtures/fixturestest"
	"credreg/registry"
	"credreg/schema"
)

const (
	nremt    = "ce-f33b4a20-d7ac-4dd2-8a40-b29a22d5103a" // designated by two agencies
	awsCloud = "ce-09e4b1a8-2a10-4682-bed4-5220b34a551e" // one designation, ended 2024-06-30
	nremtOrg = "ce-390f71ba-ec12-4579-a4b4-cb10e009bb9b" // an organization, not a credential
)

func TestCheck(t *testing.T) {
	base, _ := schema.NewBase("http://registry.test")
	st := fixtureCatalog(t, base, true)
	ctx := context.Background()
	for _, tc := range []struct {
		name, ctid, by, day string
		ofValue             bool
		agencies            int
		summary             string
		err                 any
	}{
		{ctid: nremt, day: "2026-11-25", ofValue: true, agencies: 2, summary: "is of value on 2026-11-25: designated by Heartland Department of Education"},
		{ctid: nremt, day: "2030-01-01", ofValue: false, summary: "not designated of value by any agency on 2030-01-01 (2 designations not in force: 2 expired)"},
		{ctid: awsCloud, day: "2026-11-25", ofValue: false, summary: "(1 designation not in force: 1 expired)"},
		{name: "nationally registered  EMERGENCY medical technician (nremt)", by: MatchedByName, day: "2026-11-25", ofValue: true, agencies: 2},
		{name: "NREMT", by: MatchedByShortName, day: "2026-11-25", ofValue: true, agencies: 2},
		{name: "No Such Credential Anywhere", err: &NoMatchError{}},
		{ctid: nremtOrg, err: &NotCredentialError{}},
		{ctid: "ce-99999999-9999-4999-8999-999999999999", err: registry.ErrNotFound},
	} {
		t.Run(tc.name+tc.ctid+tc.day, func(t *testing.T) {
			var a *Check
			var err error
			if tc.ctid != "" {
				a, err = CheckCredential(ctx, st, base.Resource(tc.ctid), tc.day)
			} else {
				a, err = CheckName(ctx, st, tc.name, tc.day, 5)
			}
			switch want := tc.err.(type) {
			case nil:
				if err != nil {
					t.Fatal(err)
				}
			case *NoMatchError:
				var e *NoMatchError
				if !errors.As(err, &e) || !strings.Contains(e.Error(), "no credential is named") {
					t.Fatalf("err %v, want a NoMatchError", err)
				}
				return
			case *NotCredentialError:
				var e *NotCredentialError
				if !errors.As(err, &e) || !strings.Contains(e.Error(), "is not a credential") {
					t.Fatalf("err %v, want a NotCredentialError", err)
				}
				return
			case error:
				if !errors.Is(err, want) {
					t.Fatalf("err %v, want %v", err, want)
				}
				return
			}
			if a.OfValue != tc.ofValue || len(a.Agencies) != tc.agencies || a.MatchedBy != tc.by {
				t.Errorf("ofValue %v, %d agencies, matched by %q; want %v, %d, %q", a.OfValue, len(a.Agencies), a.MatchedBy, tc.ofValue, tc.agencies, tc.by)
			}
			if !strings.Contains(a.Summary, tc.summary) {
				t.Errorf("summary %q lacks %q", a.Summary, tc.summary)
			}
			if a.Credential.CTID == "" || len(a.Occupations) == 0 || a.Links.History != a.Credential.IRI+"/history" {
				t.Errorf("the answer lacks the credential's facts: %+v", a.Credential)
			}
			for _, d := range a.ActiveDesignations {
				if d.Status != StatusActive || d.Agency.Label == "" || len(d.Criteria) == 0 {
					t.Errorf("designation %+v", d)
				}
			}
		})
	}
}

func TestLabeler(t *testing.T) {
	base, _ := schema.NewBase("http://registry.test")
	st := fixturestest.Open(t, base, false)
	l := NewLabeler(context.Background(), st)
	for _, tc := range []struct{ iri, label, code string }{
		{base.Concept("soc", "15-1212"), "Information Security Analysts", "15-1212"},
		{base.Concept("career-clusters", "060100"), "Digital Technology", "060100"},
		{schema.CETerms + "Certification", "Certification", ""},
		{"https://example.org/elsewhere", "", ""},
	} {
		if got := l.Link(tc.iri); got.Label != tc.label || got.Code != tc.code {
			t.Errorf("Link(%s) = %+v, want label %q code %q", tc.iri, got, tc.label, tc.code)
		}
	}
	if l.Err() != nil {
		t.Error(l.Err())
	}
}
