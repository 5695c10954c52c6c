package ingest

import (
	"reflect"
	"testing"
)

func TestSplitList(t *testing.T) {
	for in, want := range map[string][]string{
		"15-1212; 15-1244":   {"15-1212", "15-1244"},
		"a|b | ;c":           {"a", "b", "c"},
		"":                   {},
		" single ":           {"single"},
		"Safety; Quality|QA": {"Safety", "Quality", "QA"},
	} {
		if got := SplitList(in); !reflect.DeepEqual(got, want) {
			t.Errorf("SplitList(%q) = %q, want %q", in, got, want)
		}
	}
}
