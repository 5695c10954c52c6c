package tokenrec

import (
	"reflect"
	"testing"
	"time"

	"github.com/cayleygraph/quad"
)

func TestStatementsRoundTrip(t *testing.T) {
	created := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		tok  Token
	}{
		{"revoked to the microsecond", Token{ID: "333333333333", Hash: "sha256:01", Agency: "https://r.example/resources/ce-4", Role: "agency", Created: created, Revoked: created.Add(time.Minute + time.Microsecond)}},
		{"agency", Token{ID: "0a0b0c0d0e0f", Hash: "sha256:ab", Agency: "https://r.example/resources/ce-1", Role: "agency", Created: created}},
		{"admin expiring", Token{ID: "111111111111", Hash: "sha256:cd", Agency: "https://r.example/resources/ce-2", Role: "admin", Created: created, Expires: created.Add(time.Hour)}},
		{"revoked", Token{ID: "222222222222", Hash: "sha256:ef", Agency: "https://r.example/resources/ce-3", Role: "agency", Created: created, Revoked: created.Add(time.Minute)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			quads := ToStatements(tc.tok)
			got, used := FromStatements(quads)
			if len(got) != 1 || !reflect.DeepEqual(got[0], tc.tok) {
				t.Fatalf("FromStatements = %+v, want %+v", got, tc.tok)
			}
			if len(used) != len(quads) {
				t.Errorf("used %d statements of %d", len(used), len(quads))
			}
			b, err := Marshal(tc.tok)
			if err != nil {
				t.Fatal(err)
			}
			back, err := Unmarshal(b)
			if err != nil || !reflect.DeepEqual(back, tc.tok) {
				t.Errorf("Unmarshal(Marshal) = %+v, %v; want %+v (%s)", back, err, tc.tok, b)
			}
		})
	}
}

// Statements that are no token are left alone: other graphs, other
// subjects, a subject without a hash.
func TestFromStatementsLeavesOthers(t *testing.T) {
	tok := Token{ID: "0a0b0c0d0e0f", Hash: "sha256:ab", Agency: "https://r.example/a", Role: "agency", Created: time.Unix(0, 0).UTC()}
	quads := ToStatements(tok)
	quads = append(quads,
		quad.Quad{Subject: quad.IRI(SubjectPrefix + "ffffffffffff"), Predicate: quad.IRI(PredAgency), Object: quad.IRI("https://r.example/a"), Label: quad.IRI(Graph)},
		quad.Quad{Subject: quad.IRI("urn:x"), Predicate: quad.IRI(PredHash), Object: quad.String("sha256:00"), Label: quad.IRI(Graph)},
		quad.Quad{Subject: quad.IRI(SubjectPrefix + "999999999999"), Predicate: quad.IRI(PredHash), Object: quad.String("sha256:00"), Label: quad.IRI("urn:other")},
	)
	got, used := FromStatements(quads)
	if len(got) != 1 || got[0].ID != tok.ID || len(used) != len(ToStatements(tok)) {
		t.Fatalf("FromStatements = %+v, %d used", got, len(used))
	}
}

// Older credregs wrote revocation times to the nanosecond: they are read
// to the microsecond (Precision).
func TestFromStatementsRoundsTimes(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 0, 0, 123456789, time.UTC)
	tok := Token{ID: "0a0b0c0d0e0f", Hash: "sha256:ab", Agency: "https://r.example/a", Role: "agency", Created: at, Revoked: at}
	got, _ := FromStatements(ToStatements(tok))
	want := at.Truncate(time.Microsecond)
	if len(got) != 1 || !got[0].Created.Equal(want) || !got[0].Revoked.Equal(want) {
		t.Fatalf("FromStatements = %+v, want times %v", got, want)
	}
}
