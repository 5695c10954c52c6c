// Package termenc is the byte form of an RDF term that both of credreg's
// backends store (the Badger quad store's dictionary and the PostgreSQL
// term table), so a term has the same bytes in both.
//
// A term is one kind byte and a payload: 'I' IRI, 'B' blank node, 'S'
// plain string (UTF-8 bytes); 'L' language string and 'T' typed string
// (uvarint length of the language or datatype IRI, it, then the lexical
// value); 'i' integer (int64 bits, big-endian), 'f' float (IEEE 754
// bits), 'b' boolean (one byte), 't' time (Unix seconds as int64 bits,
// then nanoseconds as a 4-byte big-endian uint32; read back in UTC).
package termenc

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/cayleygraph/quad"
)

// Kind bytes: the first byte of an encoded term.
const (
	KindIRI    = 'I'
	KindBNode  = 'B'
	KindString = 'S'
	KindLang   = 'L'
	KindTyped  = 'T'
	KindInt    = 'i'
	KindFloat  = 'f'
	KindBool   = 'b'
	KindTime   = 't'
)

// Errors of Encode and Decode.
var (
	ErrCorrupt     = errors.New("corrupt term encoding")
	ErrUnsupported = errors.New("unsupported value type")
)

// Encode is the byte form of v.
func Encode(v quad.Value) ([]byte, error) {
	switch v := v.(type) {
	case quad.IRI:
		return append([]byte{KindIRI}, v...), nil
	case quad.BNode:
		return append([]byte{KindBNode}, v...), nil
	case quad.String:
		return append([]byte{KindString}, v...), nil
	case quad.LangString:
		b := binary.AppendUvarint([]byte{KindLang}, uint64(len(v.Lang)))
		return append(append(b, v.Lang...), v.Value...), nil
	case quad.TypedString:
		b := binary.AppendUvarint([]byte{KindTyped}, uint64(len(v.Type)))
		return append(append(b, v.Type...), v.Value...), nil
	case quad.Int:
		return binary.BigEndian.AppendUint64([]byte{KindInt}, uint64(v)), nil
	case quad.Float:
		return binary.BigEndian.AppendUint64([]byte{KindFloat}, math.Float64bits(float64(v))), nil
	case quad.Bool:
		if v {
			return []byte{KindBool, 1}, nil
		}
		return []byte{KindBool, 0}, nil
	case quad.Time:
		t := time.Time(v)
		b := binary.BigEndian.AppendUint64([]byte{KindTime}, uint64(t.Unix()))
		return binary.BigEndian.AppendUint32(b, uint32(t.Nanosecond())), nil
	case nil:
		return nil, fmt.Errorf("%w: nil", ErrUnsupported)
	}
	return nil, fmt.Errorf("%w: %T", ErrUnsupported, v)
}

// Decode is the inverse of Encode.
func Decode(b []byte) (quad.Value, error) {
	if len(b) == 0 {
		return nil, ErrCorrupt
	}
	body := b[1:]
	switch b[0] {
	case KindIRI:
		return quad.IRI(body), nil
	case KindBNode:
		return quad.BNode(body), nil
	case KindString:
		return quad.String(body), nil
	case KindLang, KindTyped:
		n, k := binary.Uvarint(body)
		if k <= 0 || uint64(len(body)-k) < n {
			return nil, ErrCorrupt
		}
		head, val := string(body[k:k+int(n)]), quad.String(body[k+int(n):])
		if b[0] == KindLang {
			return quad.LangString{Value: val, Lang: head}, nil
		}
		return quad.TypedString{Value: val, Type: quad.IRI(head)}, nil
	case KindInt:
		if len(body) != 8 {
			return nil, ErrCorrupt
		}
		return quad.Int(int64(binary.BigEndian.Uint64(body))), nil
	case KindFloat:
		if len(body) != 8 {
			return nil, ErrCorrupt
		}
		return quad.Float(math.Float64frombits(binary.BigEndian.Uint64(body))), nil
	case KindBool:
		if len(body) != 1 {
			return nil, ErrCorrupt
		}
		return quad.Bool(body[0] != 0), nil
	case KindTime:
		if len(body) != 12 {
			return nil, ErrCorrupt
		}
		sec := int64(binary.BigEndian.Uint64(body))
		nsec := int64(binary.BigEndian.Uint32(body[8:]))
		return quad.Time(time.Unix(sec, nsec).UTC()), nil
	}
	return nil, ErrCorrupt
}
