package quadstore

import (
	"bytes"
	"testing"
)

// TestChunkAllocKeepsKeysApart checks that the keys a chunk cuts from its
// slab never share bytes: Badger holds every key until the commit.
func TestChunkAllocKeepsKeysApart(t *testing.T) {
	tests := []struct {
		name  string
		sizes []int
	}{
		{"index keys", []int{quadKeyLen * maxIndexKeys, quadKeyLen * maxIndexKeys, quadKeyLen * maxIndexKeys}},
		{"small and odd", []int{1, 9, 9, 17, 1 + maxInlineTerm, 3}},
		{"across slabs", func() []int {
			var s []int
			for n := 0; n < 3*chunkSlab; n += 199 {
				s = append(s, 199)
			}
			return s
		}()},
		{"larger than a slab share", []int{chunkSlab/8 + 1, 5, chunkSlab, 5}},
		{"zero", []int{0, 4, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &chunk{}
			var keys [][]byte
			for i, n := range tt.sizes {
				b := c.alloc(n)
				if len(b) != 0 || cap(b) != n {
					t.Fatalf("alloc(%d) #%d: len %d cap %d, want 0 and %d", n, i, len(b), cap(b), n)
				}
				// Fill to capacity, as a key of that size would.
				b = append(b, bytes.Repeat([]byte{byte(i + 1)}, n)...)
				keys = append(keys, b)
			}
			for i, k := range keys {
				if want := bytes.Repeat([]byte{byte(i + 1)}, tt.sizes[i]); !bytes.Equal(k, want) {
					t.Errorf("key %d was overwritten by a later one: % x", i, k)
				}
			}
		})
	}
}

// TestChunkTermKey checks that the slab-cut dictionary key equals termKey.
func TestChunkTermKey(t *testing.T) {
	c := &chunk{}
	for _, enc := range [][]byte{
		[]byte("Ihttps://registry.example.gov/resources/ce-1"),
		[]byte("S"),
		append([]byte{'S'}, bytes.Repeat([]byte("x"), maxInlineTerm-1)...),
		append([]byte{'S'}, bytes.Repeat([]byte("x"), maxInlineTerm)...),
		append([]byte{'S'}, bytes.Repeat([]byte("y"), 4*maxInlineTerm)...),
	} {
		if got, want := c.termKey(enc), termKey(enc); !bytes.Equal(got, want) {
			t.Errorf("termKey of a %d-byte term: % x, want % x", len(enc), got, want)
		}
	}
}
