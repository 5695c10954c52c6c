package schema

// Codes of the code lists credreg links to, in canonical form, and the
// keys names are matched by.

import (
	"fmt"
	"strings"
	"unicode"
)

// NormalizeSOC returns the SOC 2018 detailed occupation code in its
// canonical form "15-1252" for "15-1252", "15-1252.00" (an O*NET-SOC code
// of a detailed occupation), "151252" or "15 1252".
func NormalizeSOC(s string) (string, error) {
	t := strings.TrimSuffix(strings.TrimSpace(s), ".00")
	d := digitsOnly(t, "- ")
	if len(d) != 6 || strings.Count(t, "-") > 1 {
		return "", fmt.Errorf("%q is not a SOC code (expected like 15-1252, 15-1252.00 or 151252)", s)
	}
	return d[:2] + "-" + d[2:], nil
}

// NormalizeCIP returns a CIP 2020 code in its canonical form: "11.0701"
// for "11.0701", "110701" or "11.07.01", and with the leading zero a
// spreadsheet drops restored ("1.0101" is "01.0101"). Two-digit series and
// four-digit groups ("11", "11.07") are kept.
func NormalizeCIP(s string) (string, error) {
	t := strings.TrimSpace(s)
	bad := fmt.Errorf("%q is not a CIP code (expected like 11.0701 or 110701)", s)
	if t == "" {
		return "", bad
	}
	var head, tail string
	if i := strings.IndexByte(t, '.'); i >= 0 {
		head, tail = t[:i], strings.ReplaceAll(t[i+1:], ".", "")
	} else {
		d := digitsOnly(t, "")
		switch len(d) {
		case 6:
			head, tail = d[:2], d[2:]
		case 5: // a spreadsheet dropped the leading zero
			head, tail = "0"+d[:1], d[1:]
		case 2, 4:
			head, tail = d[:2], d[2:]
		case 1, 3:
			head, tail = "0"+d[:1], d[1:]
		default:
			return "", bad
		}
	}
	if !isDigits(head) || !isDigits(tail) || len(head) == 0 || len(head) > 2 {
		return "", bad
	}
	if len(head) == 1 {
		head = "0" + head
	}
	switch len(tail) {
	case 0:
		return head, nil
	case 1, 3: // "11.7" and "11.070" lost a trailing zero to a number format
		tail += "0"
	}
	if len(tail) != 2 && len(tail) != 4 {
		return "", bad
	}
	return head + "." + tail, nil
}

// NormalizeNAICS returns a NAICS code of two to six digits, or one of the
// sectors that span several two-digit codes: "31", "32", "33" and "31-33"
// are the sector "31-33" (Manufacturing), likewise "44-45" and "48-49".
func NormalizeNAICS(s string) (string, error) {
	d := strings.TrimSpace(s)
	if sector, ok := naicsSectorRanges[d]; ok {
		return sector, nil
	}
	if !isDigits(d) || len(d) < 2 || len(d) > 6 {
		return "", fmt.Errorf("%q is not a NAICS code (expected 2 to 6 digits, like 541512)", s)
	}
	return d, nil
}

// naicsSectorRanges maps the two-digit codes of the NAICS sectors that span
// several of them, and the sectors' own notations, to the sectors.
var naicsSectorRanges = map[string]string{
	"31": "31-33", "32": "31-33", "33": "31-33", "31-33": "31-33",
	"44": "44-45", "45": "44-45", "44-45": "44-45",
	"48": "48-49", "49": "48-49", "48-49": "48-49",
}

func digitsOnly(s, allowed string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case strings.ContainsRune(allowed, r):
		default:
			return ""
		}
	}
	return b.String()
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// NameKey folds a name for matching regardless of case, spacing,
// punctuation and "&" against "and": "Arts, Entertainment & Design" and
// "arts entertainment and design" give the same key. Apostrophes vanish,
// so "Driver's" and "Drivers" are one word.
func NameKey(s string) string {
	s = strings.ToLower(strings.ReplaceAll(s, "&", " and "))
	var b strings.Builder
	space := false
	for _, r := range s {
		if r == '\'' || r == '\u2019' || r == '\u02bc' {
			continue // "Driver's" and "Drivers" are one word
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteRune(r)
			space = false
		} else {
			space = true
		}
	}
	return b.String()
}
