package pgstore

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/cayleygraph/quad"
)

// Kind bytes of the term encoding (see the package documentation). They
// are those of credreg's Badger quad store, so a term has the same bytes
// in both.
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
	// kindHash starts the key of a term longer than maxInlineTerm: its
	// SHA-256 follows. No term encoding starts with it.
	kindHash = 0xff
)

// maxInlineTerm is the longest encoded term that is its own dictionary key;
// a longer one is keyed by kindHash and its SHA-256 (a btree entry must fit
// a third of a page, about 2700 bytes, and short keys keep the index small).
const maxInlineTerm = 256

var (
	errBadTerm    = errors.New("pgstore: corrupt term encoding")
	errUnsupValue = errors.New("pgstore: unsupported value type")
)

// encodeTerm encodes v as its kind byte and payload.
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

// termKey is the dictionary key of an encoded term: the term itself, or
// kindHash and its SHA-256 when it is longer than maxInlineTerm.
func termKey(enc []byte) []byte {
	if len(enc) <= maxInlineTerm {
		return enc
	}
	sum := sha256.Sum256(enc)
	return append([]byte{kindHash}, sum[:]...)
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
