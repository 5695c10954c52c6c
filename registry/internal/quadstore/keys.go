package quadstore

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/cayleygraph/quad"
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
	keyCounted    = []byte("mcounted")
	layoutValue   = fmt.Appendf(nil, "credreg-quadstore %d", LayoutVersion)
	// layoutV1 is the layout before the counted graphs, which Open
	// upgrades in place.
	layoutV1      = "credreg-quadstore 1"
	errBadTerm    = errors.New("quadstore: corrupt term encoding")
	errUnsupValue = errors.New("quadstore: unsupported value type")
)

// index is one permutation of S, P, O, G: its keys are tag followed by the
// four ids in order.
type index struct {
	tag   byte
	name  string
	order [4]int
}

// indexes are the six quad indexes. Every set of bound positions is a
// prefix of one of them (four indexes cannot do that: the six pairs of
// positions each need their own index).
var indexes = [...]index{
	{'S', "SPOG", [4]int{posS, posP, posO, posG}},
	{'P', "POSG", [4]int{posP, posO, posS, posG}},
	{'O', "OSPG", [4]int{posO, posS, posP, posG}},
	{'G', "GSPO", [4]int{posG, posS, posP, posO}},
	{'Q', "PGOS", [4]int{posP, posG, posO, posS}},
	{'R', "OGSP", [4]int{posO, posG, posS, posP}},
}

// spog is the index used for existence checks.
var spog = &indexes[0]

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

// bestIndex returns the index with the longest bound prefix for mask and
// that prefix's length. With the six indexes it is always the number of
// bound positions.
func bestIndex(mask uint8) (*index, int) {
	best, bn := &indexes[0], -1
	for i := range indexes {
		if n := indexes[i].prefixLen(mask); n > bn {
			best, bn = &indexes[i], n
		}
	}
	return best, bn
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

// Term kinds: the first byte of an encoded term.
const (
	kindIRI    = 'I'
	kindBNode  = 'B'
	kindString = 'S'
	kindLang   = 'L'
	kindTyped  = 'T'
	kindInt    = 'i'
	kindFloat  = 'f'
	kindBool   = 'b'
	kindTime   = 't'
)

// encodeTerm is the canonical byte form of a value (see the package
// documentation).
func encodeTerm(v quad.Value) ([]byte, error) {
	switch v := v.(type) {
	case quad.IRI:
		return append([]byte{kindIRI}, v...), nil
	case quad.BNode:
		return append([]byte{kindBNode}, v...), nil
	case quad.String:
		return append([]byte{kindString}, v...), nil
	case quad.LangString:
		b := binary.AppendUvarint([]byte{kindLang}, uint64(len(v.Lang)))
		return append(append(b, v.Lang...), v.Value...), nil
	case quad.TypedString:
		b := binary.AppendUvarint([]byte{kindTyped}, uint64(len(v.Type)))
		return append(append(b, v.Type...), v.Value...), nil
	case quad.Int:
		return binary.BigEndian.AppendUint64([]byte{kindInt}, uint64(v)), nil
	case quad.Float:
		return binary.BigEndian.AppendUint64([]byte{kindFloat}, math.Float64bits(float64(v))), nil
	case quad.Bool:
		if v {
			return []byte{kindBool, 1}, nil
		}
		return []byte{kindBool, 0}, nil
	case quad.Time:
		t := time.Time(v)
		b := binary.BigEndian.AppendUint64([]byte{kindTime}, uint64(t.Unix()))
		return binary.BigEndian.AppendUint32(b, uint32(t.Nanosecond())), nil
	case nil:
		return nil, fmt.Errorf("%w: nil", errUnsupValue)
	}
	return nil, fmt.Errorf("%w: %T", errUnsupValue, v)
}

// decodeTerm is the inverse of encodeTerm.
func decodeTerm(b []byte) (quad.Value, error) {
	if len(b) == 0 {
		return nil, errBadTerm
	}
	body := b[1:]
	switch b[0] {
	case kindIRI:
		return quad.IRI(body), nil
	case kindBNode:
		return quad.BNode(body), nil
	case kindString:
		return quad.String(body), nil
	case kindLang, kindTyped:
		n, k := binary.Uvarint(body)
		if k <= 0 || uint64(len(body)-k) < n {
			return nil, errBadTerm
		}
		head, val := string(body[k:k+int(n)]), quad.String(body[k+int(n):])
		if b[0] == kindLang {
			return quad.LangString{Value: val, Lang: head}, nil
		}
		return quad.TypedString{Value: val, Type: quad.IRI(head)}, nil
	case kindInt:
		if len(body) != 8 {
			return nil, errBadTerm
		}
		return quad.Int(int64(binary.BigEndian.Uint64(body))), nil
	case kindFloat:
		if len(body) != 8 {
			return nil, errBadTerm
		}
		return quad.Float(math.Float64frombits(binary.BigEndian.Uint64(body))), nil
	case kindBool:
		if len(body) != 1 {
			return nil, errBadTerm
		}
		return quad.Bool(body[0] != 0), nil
	case kindTime:
		if len(body) != 12 {
			return nil, errBadTerm
		}
		sec := int64(binary.BigEndian.Uint64(body))
		nsec := int64(binary.BigEndian.Uint32(body[8:]))
		return quad.Time(time.Unix(sec, nsec).UTC()), nil
	}
	return nil, errBadTerm
}
