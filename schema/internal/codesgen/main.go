// Command codesgen generates schema/codes_gen.go, credreg's complete code
// lists of the 2018 Standard Occupational Classification (SOC), the North
// American Industry Classification System 2022 (NAICS) and the
// Classification of Instructional Programs 2020 (CIP), from the official
// lists kept in shared/reference/codes. It is run by go generate in the
// schema directory:
//
//	go run ./internal/codesgen [-ref DIR] [-out FILE]
//
// Every code of each file is kept, in file order, with its title, the
// notation of its parent and its depth in the classification, except the
// NAICS rows of the "99 Unknown" chain (see naicsUnknownSector). Titles are
// the published wording with these changes only: CIP's trailing period is
// removed, and CIP's two-digit series titles, printed in upper case, are
// converted to title case (see titleCase); the conversion is checked against
// the series' own groups where NCES prints the same words in mixed case.
//
// The generator fails, writing nothing, on anything it does not expect: a
// changed header, a malformed code, a level that does not match its code, a
// duplicate code, a parent that is not in the list or not one level up.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"flag"
	"fmt"
	"go/format"
	"io"
	"log"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The schemes, as named by the constants of schema/iri.go.
const (
	schemeSOC   = "soc"
	schemeNAICS = "naics"
	schemeCIP   = "cip"
)

// scheme describes one input file and how its rows become codes.
type scheme struct {
	name    string // the scheme's name ("soc")
	goConst string // the schema constant naming it ("SchemeSOC")
	table   string // the generated table's variable ("socCodes")
	file    string
	header  []string
	levels  []string // level names by depth, for the header comment
	parse   func(rows [][]string, n *notes) ([]code, error)
}

var schemes = []scheme{
	{
		name: schemeSOC, goConst: "SchemeSOC", table: "socCodes", file: "soc2018_all.csv",
		header: []string{"code", "title", "Level", "Hierarchical_structure", "parent", "soc2d", "soc3d", "soc5d", "soc6d"},
		levels: []string{"major groups", "minor groups", "broad occupations", "detailed occupations"},
		parse:  parseSOC,
	},
	{
		name: schemeNAICS, goConst: "SchemeNAICS", table: "naicsCodes", file: "naics2022_all.csv",
		header: []string{"code", "title", "Level", "naics2d", "naics3d", "naics4d", "naics5d", "naics6d"},
		levels: []string{"sectors", "subsectors", "industry groups", "industries", "national industries"},
		parse:  parseNAICS,
	},
	{
		name: schemeCIP, goConst: "SchemeCIP", table: "cipCodes", file: "CIPCode2020.csv",
		header: []string{"CIP_Code", "CIP_Title"},
		levels: []string{"two-digit series", "four-digit groups", "six-digit programs"},
		parse:  parseCIP,
	},
}

// code is one row of a generated table.
type code struct {
	notation, title, parent string
	depth                   int // 1 for the top level
}

// notes collects remarks on the source files for the generated file's
// header comment, by section.
type notes struct {
	order    []string
	sections map[string][]string
}

func (n *notes) add(section, format string, args ...any) {
	if n.sections == nil {
		n.sections = map[string][]string{}
	}
	if _, ok := n.sections[section]; !ok {
		n.order = append(n.order, section)
	}
	n.sections[section] = append(n.sections[section], fmt.Sprintf(format, args...))
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("codesgen: ")
	ref := flag.String("ref", filepath.Join("..", "..", "shared", "reference", "codes"), "directory of the official code lists")
	out := flag.String("out", "codes_gen.go", "generated Go file")
	flag.Parse()

	src, err := generate(*ref)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		log.Fatal(err)
	}
}

// list is one scheme as read.
type list struct {
	scheme
	sha256  string
	codes   []code
	version string
	notes   notes
}

func generate(dir string) ([]byte, error) {
	var lists []*list
	for _, s := range schemes {
		l, err := load(dir, s)
		if err != nil {
			return nil, err
		}
		lists = append(lists, l)
	}
	return render(lists)
}

func load(dir string, s scheme) (*list, error) {
	data, err := os.ReadFile(filepath.Join(dir, s.file))
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	l := &list{scheme: s, sha256: hex.EncodeToString(sum[:])}
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("%s: not UTF-8", s.file)
	}
	if bytes.HasPrefix(data, []byte("\uFEFF")) {
		return nil, fmt.Errorf("%s: starts with a byte order mark", s.file)
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = len(s.header)
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.file, err)
	}
	if !slices.Equal(header, s.header) {
		return nil, fmt.Errorf("%s: header %q, want %q", s.file, header, s.header)
	}
	var rows [][]string
	for {
		row, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.file, err)
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: no rows", s.file)
	}
	codes, err := s.parse(rows, &l.notes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.file, err)
	}
	if err := check(codes, len(s.levels)); err != nil {
		return nil, fmt.Errorf("%s: %w", s.file, err)
	}
	for _, c := range codes {
		for _, r := range c.title {
			if r >= utf8.RuneSelf {
				l.notes.add("Titles with characters other than ASCII, kept as published", "%s %s (%U)", c.notation, c.title, r)
				break
			}
		}
	}
	l.codes = codes
	l.version = version(codes)
	return l, nil
}

// check fails on an empty or untidy title, a duplicate code, and a parent
// that is missing or not one level up.
func check(codes []code, depths int) error {
	depth := make(map[string]int, len(codes))
	for _, c := range codes {
		if _, dup := depth[c.notation]; dup {
			return fmt.Errorf("code %s: listed twice", c.notation)
		}
		depth[c.notation] = c.depth
	}
	for _, c := range codes {
		switch {
		case c.title == "":
			return fmt.Errorf("code %s: no title", c.notation)
		case c.title != strings.TrimSpace(c.title) || strings.ContainsAny(c.title, "\t\r\n"):
			return fmt.Errorf("code %s: title %q has stray white space", c.notation, c.title)
		case c.depth < 1 || c.depth > depths:
			return fmt.Errorf("code %s: depth %d out of 1..%d", c.notation, c.depth, depths)
		case c.depth == 1 && c.parent != "":
			return fmt.Errorf("code %s: a top-level code with parent %s", c.notation, c.parent)
		case c.depth > 1 && c.parent == "":
			return fmt.Errorf("code %s: no parent", c.notation)
		}
		if c.depth == 1 {
			continue
		}
		pd, ok := depth[c.parent]
		if !ok {
			return fmt.Errorf("code %s: parent %s is not in the list", c.notation, c.parent)
		}
		if pd != c.depth-1 {
			return fmt.Errorf("code %s (level %d): parent %s is at level %d", c.notation, c.depth, c.parent, pd)
		}
	}
	return nil
}

// version identifies the generated rows of a scheme: the first 16 hex digits
// of the SHA-256 of one line per code (notation, title, parent and depth,
// tab-separated), in order.
func version(codes []code) string {
	h := sha256.New()
	for _, c := range codes {
		fmt.Fprintf(h, "%s\t%s\t%s\t%d\n", c.notation, c.title, c.parent, c.depth)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))[:16]
}

// na is how the files write an empty cell.
const na = "NA"

var socCode = regexp.MustCompile(`^[0-9]{2}-[0-9]{4}$`)

// socLevels gives, by Hierarchical_structure, the depth and the value of the
// Level column (the number of significant digits).
var socLevels = map[string]struct{ depth, level int }{
	"Major":    {1, 2},
	"Minor":    {2, 3},
	"Broad":    {3, 5},
	"Detailed": {4, 6},
}

// parseSOC reads soc2018_all.csv: code, title, Level, Hierarchical_structure,
// parent and the code's ancestors by level (soc2d, soc3d, soc5d, soc6d).
func parseSOC(rows [][]string, _ *notes) ([]code, error) {
	codes := make([]code, 0, len(rows))
	for i, row := range rows {
		line := i + 2
		notation, title, level, structure, parent := row[0], row[1], row[2], row[3], row[4]
		ancestors := row[5:9]
		if !socCode.MatchString(notation) {
			return nil, fmt.Errorf("line %d: %q is not a SOC code", line, notation)
		}
		lv, ok := socLevels[structure]
		if !ok {
			return nil, fmt.Errorf("line %d: %s: unknown Hierarchical_structure %q", line, notation, structure)
		}
		if level != strconv.Itoa(lv.level) {
			return nil, fmt.Errorf("line %d: %s: Level %q for a %s group, want %d", line, notation, level, structure, lv.level)
		}
		if lv.depth == 1 {
			if parent != na {
				return nil, fmt.Errorf("line %d: %s: a major group with parent %q", line, notation, parent)
			}
			parent = ""
		}
		for d, a := range ancestors {
			switch {
			case d+1 == lv.depth && a != notation:
				return nil, fmt.Errorf("line %d: %s: %s column is %q", line, notation, socColumn(d), a)
			case d+2 == lv.depth && a != parent:
				return nil, fmt.Errorf("line %d: %s: parent %q, but the %s column is %q", line, notation, parent, socColumn(d), a)
			case d+1 > lv.depth && a != na:
				return nil, fmt.Errorf("line %d: %s: a %s group with %s %q", line, notation, structure, socColumn(d), a)
			}
		}
		if lv.depth > 1 && parent[:2] != notation[:2] {
			return nil, fmt.Errorf("line %d: %s: parent %s is in another major group", line, notation, parent)
		}
		codes = append(codes, code{notation: notation, title: title, parent: parent, depth: lv.depth})
	}
	return codes, nil
}

func socColumn(d int) string { return []string{"soc2d", "soc3d", "soc5d", "soc6d"}[d] }

// naicsUnknownSector is the first digits of the rows the NAICS file adds to
// NAICS 2022: a chain 99, 999, 9999, 99999, 999999, each titled "Unknown"
// (an "unclassified" placeholder of statistical data sets). Census's NAICS
// 2022 has no sector 99, so these rows are left out, and the generator fails
// unless they are exactly that chain.
const naicsUnknownSector = "99"

var naicsUnknownChain = []string{"99", "999", "9999", "99999", "999999"}

var (
	naicsDigits = regexp.MustCompile(`^[0-9]{2,6}$`)
	naicsRange  = regexp.MustCompile(`^([0-9]{2})-([0-9]{2})$`)
)

// parseNAICS reads naics2022_all.csv: code, title, Level (2 to 6, the
// number of digits) and the code's ancestors by level (naics2d … naics6d;
// naics2d is the sector, which is a range such as 31-33 for three sectors).
func parseNAICS(rows [][]string, n *notes) ([]code, error) {
	codes := make([]code, 0, len(rows))
	var unknown []string
	for i, row := range rows {
		line := i + 2
		notation, title, level := row[0], row[1], row[2]
		ancestors := row[3:8]
		if ancestors[0] == naicsUnknownSector {
			if title != "Unknown" {
				return nil, fmt.Errorf("line %d: %s: title %q in the Unknown chain", line, notation, title)
			}
			unknown = append(unknown, notation)
			continue
		}
		l, err := strconv.Atoi(level)
		if err != nil || l < 2 || l > 6 {
			return nil, fmt.Errorf("line %d: %s: Level %q", line, notation, level)
		}
		depth := l - 1
		switch m := naicsRange.FindStringSubmatch(notation); {
		case m != nil:
			if l != 2 || m[1] >= m[2] {
				return nil, fmt.Errorf("line %d: %q at Level %d is not a sector range", line, notation, l)
			}
			n.add("NAICS sectors named by a range of two-digit codes (their subsectors start with any code of the range)", "%s %s", notation, title)
		case !naicsDigits.MatchString(notation) || len(notation) != l:
			return nil, fmt.Errorf("line %d: %q is not a NAICS code of Level %d", line, notation, l)
		}
		for d, a := range ancestors {
			switch {
			case d+1 == depth && a != notation:
				return nil, fmt.Errorf("line %d: %s: naics%dd column is %q", line, notation, d+2, a)
			case d+1 > depth && a != na:
				return nil, fmt.Errorf("line %d: %s: a Level %d code with naics%dd %q", line, notation, l, d+2, a)
			}
		}
		parent := ""
		if depth > 1 {
			parent = ancestors[depth-2]
			if !naicsWithin(notation, parent) {
				return nil, fmt.Errorf("line %d: %s: parent %q (naics%dd) does not contain it", line, notation, parent, l-1)
			}
		}
		codes = append(codes, code{notation: notation, title: title, parent: parent, depth: depth})
	}
	if !slices.Equal(unknown, naicsUnknownChain) {
		return nil, fmt.Errorf("rows of sector %s: %q, want the Unknown chain %q", naicsUnknownSector, unknown, naicsUnknownChain)
	}
	n.add("Rows of the file left out", "%s, each titled \"Unknown\": not NAICS 2022 codes (Census's NAICS 2022 has no sector 99)", strings.Join(unknown, ", "))
	return codes, nil
}

// naicsWithin reports whether code is below parent: its leading digits, or
// for a sector range its first two digits within the range.
func naicsWithin(code, parent string) bool {
	if m := naicsRange.FindStringSubmatch(parent); m != nil {
		return len(code) == 3 && code[:2] >= m[1] && code[:2] <= m[2]
	}
	return len(code) == len(parent)+1 && strings.HasPrefix(code, parent)
}

var cipCode = regexp.MustCompile(`^[0-9]{2}(\.[0-9]{2}([0-9]{2})?)?$`)

// parseCIP reads CIPCode2020.csv: CIP_Code ("11", "11.07" or "11.0701") and
// CIP_Title. The parent of a six-digit code is its four-digit group, that of
// a four-digit group its two-digit series.
func parseCIP(rows [][]string, n *notes) ([]code, error) {
	codes := make([]code, 0, len(rows))
	for i, row := range rows {
		line := i + 2
		notation, title := row[0], row[1]
		if !cipCode.MatchString(notation) {
			return nil, fmt.Errorf("line %d: %q is not a CIP code", line, notation)
		}
		if t, ok := strings.CutSuffix(title, "."); ok {
			title = t
		} else {
			n.add("CIP titles published without the trailing period", "%s %s", notation, title)
		}
		if strings.Contains(title, "  ") {
			n.add("CIP titles with a double space, kept as published", "%s %q", notation, title)
		}
		c := code{notation: notation, title: title}
		switch len(notation) {
		case 2:
			c.depth = 1
		case 5:
			c.depth, c.parent = 2, notation[:2]
		case 7:
			c.depth, c.parent = 3, notation[:5]
		}
		codes = append(codes, c)
	}
	if err := titleCaseSeries(codes, n); err != nil {
		return nil, err
	}
	return codes, nil
}

// seriesTitle matches the published form of a CIP two-digit series title:
// upper-case words separated by spaces, commas, slashes and hyphens.
var seriesTitle = regexp.MustCompile(`^[A-Z]+([ ,/-]+[A-Z]+)*$`)

// titleCaseSeries converts the two-digit series titles to title case. Where
// one of the series' four-digit groups has the same words (with ", Other" or
// ", General" after them: "11.99 Computer and Information Sciences and
// Support Services, Other"), NCES's mixed-case spelling there must be the
// converted title exactly.
func titleCaseSeries(codes []code, n *notes) error {
	groups := map[string][]string{} // series -> its groups' titles
	for _, c := range codes {
		if c.depth == 2 {
			groups[c.parent] = append(groups[c.parent], c.title)
		}
	}
	confirmed, total := 0, 0
	var unconfirmed []string
	for i := range codes {
		c := &codes[i]
		if c.depth != 1 {
			continue
		}
		total++
		if !seriesTitle.MatchString(c.title) {
			return fmt.Errorf("CIP series %s: title %q is not in upper case words (the title case conversion would guess)", c.notation, c.title)
		}
		tc := titleCase(c.title)
		found := false
		for _, g := range groups[c.notation] {
			words := g
			for _, suffix := range []string{", Other", ", General"} {
				words = strings.TrimSuffix(words, suffix)
			}
			if !strings.EqualFold(words, c.title) {
				continue
			}
			if words != tc {
				return fmt.Errorf("CIP series %s: title case %q, but a group of the series spells it %q", c.notation, tc, words)
			}
			found = true
			break
		}
		if found {
			confirmed++
		} else {
			unconfirmed = append(unconfirmed, fmt.Sprintf("%s %s (published %s)", c.notation, tc, c.title))
		}
		c.title = tc
	}
	const section = "CIP two-digit series titles: published in upper case, converted to title case"
	n.add(section, "%d of %d confirmed by a group of the series spelling the same words in mixed case", confirmed, total)
	for _, u := range unconfirmed {
		n.add(section, "not confirmed by a group: %s", u)
	}
	return nil
}

// minorWords stay lower case inside a title.
var minorWords = map[string]bool{
	"a": true, "an": true, "and": true, "as": true, "at": true, "but": true, "by": true, "for": true,
	"from": true, "in": true, "nor": true, "of": true, "on": true, "or": true, "the": true, "to": true, "with": true,
}

// titleCase converts an upper-case title: every word is capitalised, also
// after a slash or hyphen ("ENGINEERING-RELATED" is "Engineering-Related"),
// except minor words after the first ("and", "of", …).
func titleCase(s string) string {
	words := strings.Split(strings.ToLower(s), " ")
	for i, w := range words {
		if i > 0 && minorWords[strings.TrimRight(w, ",")] {
			continue
		}
		b := []byte(w)
		for j := range b {
			if j == 0 || b[j-1] == '/' || b[j-1] == '-' {
				b[j] = upper(b[j])
			}
		}
		words[i] = string(b)
	}
	return strings.Join(words, " ")
}

func upper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

// commas formats n with thousands separators.
func commas(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func render(lists []*list) ([]byte, error) {
	var b bytes.Buffer
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }

	w("// Code generated by codesgen; DO NOT EDIT.\n\n")
	w("// The SOC 2018, NAICS 2022 and CIP 2020 code lists, from the official lists\n")
	w("// in shared/reference/codes: every code in file order, with its title, its\n")
	w("// parent's notation (\"\" at the top level) and its depth (1 at the top).\n")
	for _, l := range lists {
		byDepth := make([]int, len(l.levels))
		for _, c := range l.codes {
			byDepth[c.depth-1]++
		}
		var parts []string
		for d, name := range l.levels {
			parts = append(parts, commas(byDepth[d])+" "+name)
		}
		w("//\n// %s: %s codes (%s).\n", l.file, commas(len(l.codes)), strings.Join(parts, ", "))
		for _, section := range l.notes.order {
			w("//\n// %s:\n", section)
			for _, line := range l.notes.sections[section] {
				w("//   - %s\n", line)
			}
		}
	}
	w("\npackage schema\n\n")

	w("// codeSources lists the reference files the code lists were generated\n")
	w("// from, with their SHA-256, the scheme each gives, the number of codes and\n")
	w("// the version of the generated rows.\n")
	w("var codeSources = []codeSource{\n")
	for _, l := range lists {
		w("{Scheme: %s, File: %q, SHA256: %q, Codes: %d, Version: %q},\n", l.goConst, l.file, l.sha256, len(l.codes), l.version)
	}
	w("}\n")

	for _, l := range lists {
		w("\n// %s holds the %s codes of %s in file order: notation, title,\n", l.table, strings.ToUpper(l.name), l.file)
		w("// parent notation, depth.\n")
		w("var %s = []codeRow{\n", l.table)
		for _, c := range l.codes {
			w("{%q, %q, %q, %d},\n", c.notation, c.title, c.parent, c.depth)
		}
		w("}\n")
	}

	src, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("formatting the output: %w", err)
	}
	return src, nil
}
