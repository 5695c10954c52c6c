package schema

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"strings"
)

// CTIDPrefix starts every CTID.
const CTIDPrefix = "ce-"

// ValidCTID reports whether s is a well-formed CTID: "ce-" followed by a
// lowercase UUID in its canonical 8-4-4-4-12 form.
func ValidCTID(s string) bool {
	return CheckCTID(s) == nil
}

// CheckCTID explains what is wrong with a CTID, or returns nil.
func CheckCTID(s string) error {
	if !strings.HasPrefix(s, CTIDPrefix) {
		return fmt.Errorf("CTID %q must start with %q", s, CTIDPrefix)
	}
	u := s[len(CTIDPrefix):]
	if len(u) != 36 {
		return fmt.Errorf("CTID %q must be %q followed by a 36-character UUID (8-4-4-4-12 hex digits)", s, CTIDPrefix)
	}
	for i := 0; i < len(u); i++ {
		c := u[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return fmt.Errorf("CTID %q: expected '-' at position %d of the UUID", s, i+1)
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return fmt.Errorf("CTID %q: %q at position %d of the UUID is not a lowercase hex digit", s, c, i+1)
			}
		}
	}
	return nil
}

// NewCTID returns a fresh random CTID (a version 4 UUID).
func NewCTID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("schema: crypto/rand failed: %v", err))
	}
	return formatCTID(b, 4)
}

// DerivedCTID returns a deterministic CTID for a name built from parts (a
// version 8 UUID over their SHA-256), so that the same parts always give the
// same CTID. Parts are joined unambiguously.
func DerivedCTID(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s;", len(p), p)
	}
	var b [16]byte
	copy(b[:], h.Sum(nil))
	return formatCTID(b, 8)
}

func formatCTID(b [16]byte, version byte) string {
	b[6] = b[6]&0x0f | version<<4
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%s%x-%x-%x-%x-%x", CTIDPrefix, b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// FoldCTID returns s with a CTID's letters in lower case when s is a CTID
// in any case ("ce-1A4AB486-…"), and ok true; Credential Engine treats
// CTIDs case-insensitively and credreg stores them lower-case. Anything
// else is returned unchanged with ok false.
func FoldCTID(s string) (string, bool) {
	if len(s) != len(CTIDPrefix)+36 || !strings.EqualFold(s[:len(CTIDPrefix)], CTIDPrefix) {
		return s, false
	}
	l := strings.ToLower(s)
	if CheckCTID(l) != nil {
		return s, false
	}
	return l, true
}

// MintedCTID returns the CTID credreg gives a resource that another
// registry names by an IRI but no CTID (a competency of a framework
// published without item CTIDs): derived from the IRI, so the same source
// IRI always gets the same CTID. A record so named keeps the source IRI as
// owl:sameAs and has no ceterms:ctid of its own.
func MintedCTID(sourceIRI string) string {
	return DerivedCTID("minted-from-iri", sourceIRI)
}
