package server

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// Media types credreg serves.
const (
	typeJSONLD  = "application/ld+json"
	typeJSON    = "application/json"
	typeNQuads  = "application/n-quads"
	typeTurtle  = "text/turtle"
	typeHTML    = "text/html"
	typeXHTML   = "application/xhtml+xml"
	typeProblem = "application/problem+json"
	typeCSV     = "text/csv"
)

// format is a representation a resource can be served in.
type format int

const (
	formatNone format = iota
	formatJSONLD
	formatNQuads
	formatTurtle
	formatHTML
	formatCSV
	formatTriG
)

// offer is a media type offered, with the format it gives.
type offer struct {
	mediaType string
	format    format
}

// offers lists the media types a resource is offered in, in order of
// preference when the client has none, with the format each gives.
var offers = []offer{
	{typeJSONLD, formatJSONLD},
	{typeJSON, formatJSONLD},
	{typeNQuads, formatNQuads},
	{typeTurtle, formatTurtle},
	{typeHTML, formatHTML},
	{typeXHTML, formatHTML},
}

// contentType is the Content-Type header of a format.
func (f format) contentType() string {
	switch f {
	case formatJSONLD:
		return typeJSONLD
	case formatNQuads:
		return typeNQuads
	case formatTurtle:
		return typeTurtle + "; charset=utf-8"
	case formatHTML:
		return typeHTML + "; charset=utf-8"
	case formatCSV:
		return typeCSV + "; charset=utf-8"
	case formatTriG:
		return "application/trig; charset=utf-8"
	}
	return ""
}

func (f format) String() string {
	switch f {
	case formatJSONLD:
		return "jsonld"
	case formatNQuads:
		return "nq"
	case formatTurtle:
		return "ttl"
	case formatHTML:
		return "html"
	case formatCSV:
		return "csv"
	case formatTriG:
		return "trig"
	}
	return "none"
}

// formatByName maps the ?format= override to a format.
var formatByName = map[string]format{
	"jsonld": formatJSONLD, "json": formatJSONLD,
	"nq": formatNQuads, "nquads": formatNQuads,
	"ttl": formatTurtle, "turtle": formatTurtle,
	"html": formatHTML,
}

// acceptRange is one media range of an Accept header.
type acceptRange struct {
	typ, sub string
	q        float64
	order    int
}

// parseAccept parses an Accept header into media ranges, dropping malformed
// ones. An empty header accepts everything.
func parseAccept(h string) []acceptRange {
	if strings.TrimSpace(h) == "" {
		return []acceptRange{{typ: "*", sub: "*", q: 1}}
	}
	var out []acceptRange
	for i, part := range strings.Split(h, ",") {
		fields := strings.Split(part, ";")
		mt := strings.ToLower(strings.TrimSpace(fields[0]))
		slash := strings.IndexByte(mt, '/')
		if slash <= 0 || slash == len(mt)-1 {
			continue
		}
		r := acceptRange{typ: mt[:slash], sub: mt[slash+1:], q: 1, order: i}
		for _, p := range fields[1:] {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if !ok || strings.ToLower(strings.TrimSpace(k)) != "q" {
				continue
			}
			q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || q < 0 || q > 1 {
				q = 0
			}
			r.q = q
		}
		out = append(out, r)
	}
	return out
}

// specificity ranks how precisely a range names a type (RFC 9110 12.5.1).
func (r acceptRange) specificity() int {
	switch {
	case r.typ == "*":
		return 0
	case r.sub == "*":
		return 1
	}
	return 2
}

func (r acceptRange) matches(mediaType string) bool {
	typ, sub, _ := strings.Cut(mediaType, "/")
	return (r.typ == "*" || r.typ == typ) && (r.sub == "*" || r.sub == sub)
}

// negotiate picks the format for an Accept header: for each offer, the
// quality of the most specific range that matches it; the highest quality
// wins, ties going to the client's earlier range, then to our order.
// It returns formatNone when nothing acceptable is offered.
func negotiate(accept string) format {
	f, _ := negotiateType(accept)
	return f
}

// negotiateType is negotiate that also returns the media type that won, so
// that a client that asked for application/json gets that Content-Type.
func negotiateType(accept string) (format, string) {
	return negotiateAmong(accept, offers)
}

// negotiateAmong is negotiateType over the given offers.
func negotiateAmong(accept string, offers []offer) (format, string) {
	ranges := parseAccept(accept)
	type scored struct {
		mt    string
		f     format
		q     float64
		order int
		pref  int
	}
	var cands []scored
	for i, o := range offers {
		best := -1
		var q float64
		order := 0
		for _, r := range ranges {
			if !r.matches(o.mediaType) {
				continue
			}
			if sp := r.specificity(); sp > best {
				best, q, order = sp, r.q, r.order
			}
		}
		if best >= 0 && q > 0 {
			// A wildcard match ranks after an explicit one of equal q.
			cands = append(cands, scored{o.mediaType, o.format, q, order + (2-best)*1000, i})
		}
	}
	if len(cands) == 0 {
		return formatNone, ""
	}
	sort.SliceStable(cands, func(i, j int) bool {
		if cands[i].q != cands[j].q {
			return cands[i].q > cands[j].q
		}
		if cands[i].order != cands[j].order {
			return cands[i].order < cands[j].order
		}
		return cands[i].pref < cands[j].pref
	})
	return cands[0].f, cands[0].mt
}

// pickAmong negotiates among offers, honouring ?format= (names), and
// answers 400 for an unknown name and 406 when nothing offered is
// acceptable, listing the offered types.
func pickAmong(w http.ResponseWriter, r *http.Request, offers []offer, names map[string]format) (format, bool) {
	w.Header().Add("Vary", "Accept")
	if name := r.URL.Query().Get("format"); name != "" {
		if f, ok := names[name]; ok {
			return f, true
		}
		var known []string
		for n := range names {
			known = append(known, n)
		}
		writeProblemDoc(w, r, problem{Status: http.StatusBadRequest, Parameter: "format",
			Detail: fmt.Sprintf("unknown format %q: use one of %s", name, strings.Join(sorted(known), ", "))})
		return formatNone, false
	}
	f, mt := negotiateAmong(r.Header.Get("Accept"), offers)
	if mt == typeJSON {
		w.Header().Set("Content-Type", typeJSON)
	}
	if f == formatNone {
		var offered []string
		for _, o := range offers {
			if o.mediaType != typeJSON && o.mediaType != typeXHTML { // aliases
				offered = append(offered, o.mediaType)
			}
		}
		writeProblemDoc(w, r, problem{Status: http.StatusNotAcceptable, Offered: offered,
			Detail: fmt.Sprintf("none of the media types in Accept %q is offered; offered: %s", r.Header.Get("Accept"), strings.Join(offered, ", "))})
		return formatNone, false
	}
	return f, true
}
