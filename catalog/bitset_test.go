package catalog

import (
	"reflect"
	"testing"
)

func TestBitset(t *testing.T) {
	var a, b bitset
	for _, i := range []int32{0, 1, 63, 64, 200, 1000} {
		a.set(i)
	}
	for _, i := range []int32{1, 64, 65, 1000, 5000} {
		b.set(i)
	}
	if !a.has(63) || a.has(62) || a.has(99999) || a.count() != 6 {
		t.Errorf("a: has(63)=%v has(62)=%v count %d", a.has(63), a.has(62), a.count())
	}
	var members []int32
	a.each(func(i int32) bool { members = append(members, i); return true })
	if !reflect.DeepEqual(members, []int32{0, 1, 63, 64, 200, 1000}) {
		t.Errorf("members %v", members)
	}
	and := append(bitset{}, a...)
	and.and(b)
	or := append(bitset{}, a...)
	or.or(b)
	if and.count() != 3 || !and.has(1000) || or.count() != 8 || !or.has(5000) {
		t.Errorf("and %d, or %d", and.count(), or.count())
	}
	a.clear(1000)
	a.clear(99999)
	if a.has(1000) || a.count() != 5 {
		t.Error("clear")
	}
	n := 0
	or.each(func(int32) bool { n++; return n < 2 })
	if n != 2 {
		t.Errorf("each went on after false: %d", n)
	}
}
