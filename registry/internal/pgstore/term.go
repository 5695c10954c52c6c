package pgstore

import (
	"crypto/sha256"

	"credreg/registry/internal/termenc"
)

// kindHash starts the key of a term longer than maxInlineTerm: its
// SHA-256 follows. No term encoding starts with it.
const kindHash = 0xff

// maxInlineTerm is the longest encoded term that is its own dictionary key;
// a longer one is keyed by kindHash and its SHA-256 (a btree entry must fit
// a third of a page, about 2700 bytes, and short keys keep the index small).
const maxInlineTerm = 256

// encodeTerm and decodeTerm are the term byte form both backends share,
// so a term has the same bytes in both.
var (
	encodeTerm = termenc.Encode
	decodeTerm = termenc.Decode
)

// termKey is the dictionary key of an encoded term: the term itself, or
// kindHash and its SHA-256 when it is longer than maxInlineTerm.
func termKey(enc []byte) []byte {
	if len(enc) <= maxInlineTerm {
		return enc
	}
	sum := sha256.Sum256(enc)
	return append([]byte{kindHash}, sum[:]...)
}
