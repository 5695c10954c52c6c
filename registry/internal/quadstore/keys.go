package quadstore

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"credreg/registry/internal/termenc"
)

// Positions of a statement's terms in an id quad.
const (
	posS = iota
	posP
	posO
	posG
)

// ids is a statement as term ids, in S, P, O, G order; G is 0 for the
// default graph.
type ids [4]uint64

// Key prefixes (see the package documentation).
const (
	pfxMeta    = 'm'
	pfxCount   = 'c'
	pfxTerm    = 't'
	pfxHash    = 'h'
	pfxNode    = 'n'
	idLen      = 8
	quadKeyLen = 1 + 4*idLen
	// maxInlineTerm is the longest encoded term stored as its own key; a
	// longer one is keyed by its SHA-256 (Badger keys are limited to 65000
	// bytes, and long keys make every table index bigger).
	maxInlineTerm = 256
)

var (
	keyLayout     = []byte("mlayout")
	keyNextID     = []byte("mnextid")
	keyQuadCount  = []byte("cq")
	keyNodeCount  = []byte("cn")
	pfxPredCount  = []byte("cp")
	pfxGraphCount = []byte("cg")
	pfxGPCount    = []byte("cx")
	// The object counters (layout 4): statements by IRI object, by
	// predicate and IRI object, and both within a counted graph.
	pfxObjCount = []byte("co")
	pfxPOCount  = []byte("cw")
	pfxGOCount  = []byte("cj")
	pfxGPOCount = []byte("ck")
	keyCounted  = []byte("mcounted")
	layoutValue = fmt.Appendf(nil, "credreg-quadstore %d", LayoutVersion)
	// layoutV1 is the layout before the counted graphs, which Open
	// upgrades in place.
	layoutV1 = "credreg-quadstore 1"
	// layoutV2 is the layout before the token keyspace, which Open
	// upgrades in place.
	layoutV2 = "credreg-quadstore 2"
	// layoutV3 is the layout before the object counters, which Open
	// upgrades in place.
	layoutV3 = "credreg-quadstore 3"
	// layoutV4 is the layout before side graphs (every statement in six
	// indexes, PGOS and OGSP among them), which Open upgrades in place.
	layoutV4      = "credreg-quadstore 4"
	errUnsupValue = termenc.ErrUnsupported
)

// index is one permutation of S, P, O, G: its keys are tag followed by the
// four ids in order.
type index struct {
	tag   byte
	name  string
	order [4]int
}

// indexes are the quad indexes: SPOG, POSG, OSPG and GSPO hold every
// statement of an ordinary graph; SPOG, GSPO and OGSP every statement of a
// side graph (a counted graph: Options.CountedGraphs), which POSG and
// OSPG leave out. Every set of bound positions that includes the subject
// or the graph is a prefix of SPOG or GSPO (a side graph's with an object
// also of OGSP); the others are prefixes of POSG or OSPG, plus the side
// graphs' part of the pattern (see the package documentation).
var indexes = [...]index{
	{'S', "SPOG", [4]int{posS, posP, posO, posG}},
	{'P', "POSG", [4]int{posP, posO, posS, posG}},
	{'O', "OSPG", [4]int{posO, posS, posP, posG}},
	{'G', "GSPO", [4]int{posG, posS, posP, posO}},
	{'R', "OGSP", [4]int{posO, posG, posS, posP}},
}

// The indexes by name.
var (
	spog = &indexes[0]
	posg = &indexes[1]
	ospg = &indexes[2]
	gspo = &indexes[3]
	ogsp = &indexes[4]
)

// ordinaryIndexes and sideIndexes are the indexes that hold a statement
// of an ordinary graph and of a side graph.
var (
	ordinaryIndexes = []*index{spog, posg, ospg, gspo}
	sideIndexes     = []*index{spog, gspo, ogsp}
)

// indexesOf returns the indexes that hold a statement of a side graph
// (side) or of an ordinary graph.
func indexesOf(side bool) []*index {
	if side {
		return sideIndexes
	}
	return ordinaryIndexes
}

// maxIndexKeys is the most index keys one statement has.
const maxIndexKeys = 4

// prefixLen is how many leading positions of ix are bound in mask.
func (ix *index) prefixLen(mask uint8) int {
	n := 0
	for _, p := range ix.order {
		if mask&(1<<p) == 0 {
			break
		}
		n++
	}
	return n
}

// appendKey appends ix's key of q to dst.
func (ix *index) appendKey(dst []byte, q ids) []byte {
	dst = append(dst, ix.tag)
	for _, p := range ix.order {
		dst = binary.BigEndian.AppendUint64(dst, q[p])
	}
	return dst
}

// prefix is ix's key prefix of the first n positions of q.
func (ix *index) prefix(q ids, n int) []byte {
	b := make([]byte, 0, 1+n*idLen)
	b = append(b, ix.tag)
	for _, p := range ix.order[:n] {
		b = binary.BigEndian.AppendUint64(b, q[p])
	}
	return b
}

// decode reads an index key of ix.
func (ix *index) decode(key []byte) (ids, bool) {
	var q ids
	if len(key) != quadKeyLen || key[0] != ix.tag {
		return q, false
	}
	for i, p := range ix.order {
		q[p] = binary.BigEndian.Uint64(key[1+i*idLen:])
	}
	return q, true
}

func idBytes(id uint64) []byte { return binary.BigEndian.AppendUint64(make([]byte, 0, idLen), id) }

func nodeKey(id uint64) []byte {
	return binary.BigEndian.AppendUint64(append(make([]byte, 0, 1+idLen), pfxNode), id)
}

func predCountKey(p uint64) []byte {
	return binary.BigEndian.AppendUint64(append(make([]byte, 0, len(pfxPredCount)+idLen), pfxPredCount...), p)
}

func graphCountKey(g uint64) []byte {
	return binary.BigEndian.AppendUint64(append(make([]byte, 0, len(pfxGraphCount)+idLen), pfxGraphCount...), g)
}

func gpCountKey(g, p uint64) []byte {
	b := append(make([]byte, 0, len(pfxGPCount)+2*idLen), pfxGPCount...)
	return binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(b, g), p)
}

func objCountKey(o uint64) []byte { return counterKey(pfxObjCount, o) }

func poCountKey(k [2]uint64) []byte { return counterKey(pfxPOCount, k[0], k[1]) }

func goCountKey(k [2]uint64) []byte { return counterKey(pfxGOCount, k[0], k[1]) }

func gpoCountKey(k [3]uint64) []byte { return counterKey(pfxGPOCount, k[0], k[1], k[2]) }

// counterKey is a counter's key: its prefix and ids.
func counterKey(pfx []byte, id ...uint64) []byte {
	b := append(make([]byte, 0, len(pfx)+len(id)*idLen), pfx...)
	for _, x := range id {
		b = binary.BigEndian.AppendUint64(b, x)
	}
	return b
}

// termKey is the dictionary key of an encoded term.
func termKey(enc []byte) []byte {
	if len(enc) <= maxInlineTerm {
		return append(append(make([]byte, 0, 1+len(enc)), pfxTerm), enc...)
	}
	h := sha256.Sum256(enc)
	return append([]byte{pfxHash}, h[:]...)
}

func getUint64(b []byte) (uint64, error) {
	if len(b) != idLen {
		return 0, fmt.Errorf("quadstore: corrupt counter or id of %d bytes", len(b))
	}
	return binary.BigEndian.Uint64(b), nil
}

// encodeTerm and decodeTerm are the term byte form both backends share.
var (
	encodeTerm = termenc.Encode
	decodeTerm = termenc.Decode
)
