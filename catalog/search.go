package catalog

import (
	mbits "math/bits"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
)

// Full-text search: how names and descriptions become terms, and how a
// query's words find them. A word of a query matches a credential's term
// when the two stem alike (welder, welding and weld; nurse and nursing),
// when the word is the start of the term (cert: certificate,
// certification), or, when neither finds anything, when the two are a
// typing slip apart (one letter wrong, missing, extra or swapped; two in a
// long word). A credential's name also gives its initials as a term
// (Certified Nursing Assistant: cna), beside any short name it carries in
// parentheses (CCNA). Every word of the query must match; a match counts
// in full when exact, less as a prefix, least as a slip.

// Match strengths, per unit of a term's weight.
const (
	matchExact   = 10 // the word's stem
	matchPrefix  = 6  // a term the word begins
	matchSlip    = 4  // a term a typing slip away
	matchWritten = 10 // bonus: the name has the word as written (singular or plural)
)

// rawMark starts the term of a name's word as written (rawTerm); no word
// starts with it, so prefix and slip expansion never reach these terms.
const rawMark = "="

// rawTerm is the term of a name's word as written, beside its stem; a
// plural counts as its singular ("nurses" is written "nurse").
func rawTerm(w string) string { return rawMark + singular(w) }

// maxExpansions caps the terms one query word may stand for (prefixes and
// slips), so that a short word costs a bounded union of postings.
const maxExpansions = 48

var stopWords = map[string]bool{
	"a": true, "an": true, "and": true, "the": true, "of": true, "for": true, "in": true, "to": true,
	"with": true, "on": true, "or": true, "by": true, "at": true, "as": true, "is": true, "its": true,
}

// words splits text into lower-cased runs of letters and digits, stop
// words left out.
func words(s string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		if !stopWords[w] {
			out = append(out, w)
		}
	}
	return out
}

// searchWords are the words of a query as expand takes them.
func searchWords(q string) []string { return words(q) }

// textTerms splits text into full-text terms: its words, stemmed.
func textTerms(s string) []string {
	ws := words(s)
	for i, w := range ws {
		ws[i] = stem(w)
	}
	return ws
}

// initials returns the initials of a name's words ("Certified Nursing
// Assistant": "cna"), or "" for a name of fewer than two words or more
// than eight. Words in parentheses are left out: they are a short name
// already.
func initials(name string) string {
	if i := strings.IndexByte(name, '('); i > 0 {
		name = name[:i]
	}
	ws := words(name)
	if len(ws) < 2 || len(ws) > 8 {
		return ""
	}
	var b strings.Builder
	for _, w := range ws {
		r := []rune(w)[0]
		if !unicode.IsLetter(r) {
			return "" // "CompTIA A+ 220-1101" has no initials worth a term
		}
		b.WriteRune(r)
	}
	return b.String()
}

// stem reduces an English word to the stem its inflections share, by
// taking common endings off: plurals (nurses, technologies), -ing, -ed,
// -er, -or and -ion (welding, welded, welder; operator, operation), a
// doubled final consonant left by them (programming), a final e (nurse)
// and a final y written i (technology, technologies). It is a light
// stemmer: it joins a word's forms, it does not find roots. Words of three
// letters or fewer, and words with digits, are kept as they are.
func stem(w string) string {
	if len(w) <= 3 || strings.IndexFunc(w, unicode.IsDigit) >= 0 || !isASCIILetters(w) {
		return w
	}
	w = singular(w)
	for _, suffix := range []string{"ing", "ion", "ed", "er", "or"} {
		rest, ok := strings.CutSuffix(w, suffix)
		if !ok || len(rest) < 3 || !hasVowel(rest) {
			continue
		}
		if suffix == "ed" && strings.HasSuffix(rest, "i") {
			rest = rest[:len(rest)-1] + "y" // certified: certify
		}
		if n := len(rest); n >= 4 && rest[n-1] == rest[n-2] && !isVowel(rest[n-1]) && !strings.ContainsRune("lsz", rune(rest[n-1])) {
			rest = rest[:n-1] // programming: program
		}
		w = rest
		break
	}
	switch n := len(w); {
	case n > 3 && w[n-1] == 'e':
		w = w[:n-1]
	case n > 3 && w[n-1] == 'y' && !isVowel(w[n-2]):
		w = w[:n-1] + "i"
	}
	return w
}

// singular takes a plural ending off a word of four letters or more:
// "sses" becomes "ss", "ies" becomes "y", a final "s" goes unless the word
// ends in "ss", "us" or "is".
func singular(w string) string {
	if len(w) <= 3 {
		return w
	}
	switch {
	case strings.HasSuffix(w, "sses"):
		return w[:len(w)-2]
	case len(w) > 4 && strings.HasSuffix(w, "ies"):
		return w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is"):
		return w[:len(w)-1]
	}
	return w
}

func isASCIILetters(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] < 'a' || w[i] > 'z' {
			return false
		}
	}
	return true
}

func isVowel(c byte) bool { return strings.IndexByte("aeiou", c) >= 0 }

func hasVowel(w string) bool { return strings.ContainsAny(w, "aeiouy") }

// vocabulary is the sorted list of the index's text terms, rebuilt on the
// first query after a write added or removed a term (under its own lock,
// by readers only, as the name order is), and the forms a slip may reach,
// built from it on the first search for a slip.
type vocabulary struct {
	mu    sync.Mutex
	dirty atomic.Bool
	terms []string
	slips atomic.Pointer[slipForms] // nil until a slip is looked for
}

// slipForms are the terms as the search for slips compares them, by the
// length of the form.
type slipForms struct {
	byLen [][]slipForm
}

// slipForm is what the search for slips compares a query word with: a
// term, or a name's word as written (its rawTerm without the mark), with
// the term it stands for.
type slipForm struct {
	form    string
	target  string // the term a slip to form finds
	letters uint64 // a bit for each byte of form (letterBits)
	id      uint32 // of the target's text key
	pos     int32  // the term's place in the sorted terms
	raw     bool   // form is a name's word as written
}

// sorted returns the terms in order, sorting them again if they changed.
// The caller holds the index's read lock.
func (ix *listIndex) sortedTerms() []string {
	v := &ix.vocab
	if !v.dirty.Load() {
		return v.terms
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if !v.dirty.Load() {
		return v.terms
	}
	terms := make([]string, 0, len(ix.text))
	for t := range ix.text {
		terms = append(terms, t)
	}
	sort.Strings(terms)
	v.terms = terms
	v.slips.Store(nil)
	v.dirty.Store(false)
	return terms
}

// slipForms returns the forms of the sorted terms for the search for
// slips, building them on first use after the terms changed: for each
// term, the term itself, or for a name's word as written, the word and its
// stem (left out when no credential holds the stem). The caller holds the
// index's read lock.
func (ix *listIndex) slipForms() *slipForms {
	terms := ix.sortedTerms()
	v := &ix.vocab
	if f := v.slips.Load(); f != nil {
		return f
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if f := v.slips.Load(); f != nil && !v.dirty.Load() {
		return f
	}
	f := &slipForms{}
	for i, t := range terms {
		sf := slipForm{form: t, target: t, pos: int32(i)}
		if written, ok := strings.CutPrefix(t, rawMark); ok {
			sf.form, sf.target, sf.raw = written, stem(written), true
		}
		if len(ix.text[sf.target]) == 0 {
			continue
		}
		sf.letters = letterBits(sf.form)
		sf.id = ix.lookupID(textKey(sf.target))
		for len(f.byLen) <= len(sf.form) {
			f.byLen = append(f.byLen, nil)
		}
		f.byLen[len(sf.form)] = append(f.byLen[len(sf.form)], sf)
	}
	v.slips.Store(f)
	return f
}

// letterBits sets a bit for each byte of w (its low six bits): a byte of
// one word whose bit the other lacks is a letter that must change, so
// each such bit costs an edit at least.
func letterBits(w string) uint64 {
	var m uint64
	for i := 0; i < len(w); i++ {
		m |= 1 << (w[i] & 63)
	}
	return m
}

// alternative is a term a query word stands for, with the strength of the
// match.
type alternative struct {
	term     string
	id       uint32
	strength int
}

// expand returns the terms a query word matches: its stem, the terms it
// begins (for a word of three letters or more), and, when these find
// nothing, the terms a slip away.
func (ix *listIndex) expand(word string) []alternative {
	s := stem(word)
	var alts []alternative
	if len(ix.text[s]) > 0 {
		alts = append(alts, alternative{s, ix.lookupID(textKey(s)), matchExact})
		// A credential whose name has the word as written also has its
		// stem, so this term adds strength, never a credential.
		if raw := rawTerm(word); len(ix.text[raw]) > 0 {
			alts = append(alts, alternative{raw, ix.lookupID(textKey(raw)), matchWritten})
		}
	}
	terms := ix.sortedTerms()
	if len(word) >= 3 {
		for _, p := range []string{word, s} {
			if p != word && len(p) < 3 {
				continue
			}
			for i := sort.SearchStrings(terms, p); i < len(terms) && strings.HasPrefix(terms[i], p) && len(alts) < maxExpansions; i++ {
				if t := terms[i]; !hasTerm(alts, t) && len(ix.text[t]) > 0 {
					alts = append(alts, alternative{t, ix.lookupID(textKey(t)), matchPrefix})
				}
			}
		}
	}
	if len(alts) > 0 || len(word) < 4 {
		return alts
	}
	maxSlips := 1
	if len(word) >= 8 {
		maxSlips = 2
	}
	return ix.slipAlternatives(word, s, maxSlips)
}

// slipAlternatives returns the terms a slip or two (max) away from the
// query word or its stem s, in the terms' order, at most maxExpansions.
// A slip is looked for among the terms and among names' words as written
// (nursign: nursing, whose term is its stem). Only the forms of a length
// within max of the word's or the stem's are compared, and only those
// that lack (or add) at most max of its letters.
func (ix *listIndex) slipAlternatives(word, s string, max int) []alternative {
	forms := ix.slipForms()
	wordBits, stemBits := letterBits(word), letterBits(s)
	near := func(w string, bits uint64, f *slipForm) bool {
		if d := len(f.form) - len(w); d > max || d < -max {
			return false
		}
		if mbits.OnesCount64(bits&^f.letters) > max || mbits.OnesCount64(f.letters&^bits) > max {
			return false
		}
		return slips(w, f.form, max)
	}
	var found []*slipForm
	for n := range forms.byLen {
		if (n < len(word)-max || n > len(word)+max) && (n < len(s)-max || n > len(s)+max) {
			continue
		}
		for i := range forms.byLen[n] {
			f := &forms.byLen[n][i]
			if !f.raw && near(s, stemBits, f) || near(word, wordBits, f) {
				found = append(found, f)
			}
		}
	}
	sort.Slice(found, func(i, j int) bool { return found[i].pos < found[j].pos })
	var alts []alternative
	for _, f := range found {
		if len(alts) >= maxExpansions {
			break
		}
		if !hasTerm(alts, f.target) {
			alts = append(alts, alternative{f.target, f.id, matchSlip})
		}
	}
	return alts
}

// raw reports whether the alternative is a name's word as written, whose
// credentials are all among those of its stem.
func (a alternative) raw() bool { return strings.HasPrefix(a.term, rawMark) }

func hasTerm(alts []alternative, t string) bool {
	for _, a := range alts {
		if a.term == t {
			return true
		}
	}
	return false
}

// slips reports whether a and b are at most max edits apart, an edit being
// a letter changed, added, dropped, or two neighbours swapped (the
// optimal string alignment distance), computed only within the band the
// bound allows.
func slips(a, b string, max int) bool {
	if a == b {
		return true
	}
	if a == "" || b == "" || a[0] != b[0] && max < 2 {
		// A slip on the first letter is rare; with one allowed, it is
		// more likely another word.
		return false
	}
	la, lb := len(a), len(b)
	// prev2, prev, cur are three rows of the distance table, on the
	// stack for a word of fewer than 64 letters.
	var rows [3 * 64]int
	var prev2, prev, cur []int
	if lb < 64 {
		prev2, prev, cur = rows[:lb+1], rows[64:64+lb+1], rows[128:128+lb+1]
	} else {
		prev2, prev, cur = make([]int, lb+1), make([]int, lb+1), make([]int, lb+1)
	}
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= la; i++ {
		cur[0] = i
		best := cur[0]
		for j := 1; j <= lb; j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d = min(d, prev2[j-2]+1)
			}
			cur[j] = d
			best = min(best, d)
		}
		if best > max {
			return false
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[lb] <= max
}

// trigramBits sets one of 128 bits for each three bytes in a row of s. A
// string holds s only if it has all of s's bits, so comparing the bits
// rules out most names that do not hold a phrase without reading them.
func trigramBits(s string) [2]uint64 {
	var b [2]uint64
	for i := 0; i+2 < len(s); i++ {
		h := (uint32(s[i])<<16 | uint32(s[i+1])<<8 | uint32(s[i+2])) * 0x9E3779B1 >> 25
		b[h>>6] |= 1 << (h & 63)
	}
	return b
}

// holdsBits reports whether have has every bit of want.
func holdsBits(have, want [2]uint64) bool {
	return have[0]&want[0] == want[0] && have[1]&want[1] == want[1]
}
