package schema

import (
	"testing"
)

func TestNormalizeCodes(t *testing.T) {
	tests := []struct {
		kind, in, want string // want "" means an error
	}{
		{"soc", "15-1252", "15-1252"},
		{"soc", "15-1252.00", "15-1252"},
		{"soc", "151252", "15-1252"},
		{"soc", " 15 1252 ", "15-1252"},
		{"soc", "15-1252.01", ""},
		{"soc", "15-125", ""},
		{"soc", "ab-cdef", ""},
		{"soc", "1-5-1252", ""},
		{"cip", "11.0701", "11.0701"},
		{"cip", "110701", "11.0701"},
		{"cip", "1.0101", "01.0101"},
		{"cip", "10101", "01.0101"},
		{"cip", "11.07", "11.07"},
		{"cip", "11.7", "11.70"},
		{"cip", "51.390", "51.3900"},
		{"cip", "11", "11"},
		{"cip", "11.07.01", "11.0701"},
		{"cip", "11.07011", ""},
		{"cip", "x1.0701", ""},
		{"cip", "", ""},
		{"naics", "541512", "541512"},
		{"naics", "54", "54"},
		{"naics", "5415121", ""},
		{"naics", "54-1512", ""},
		{"naics", "31", "31-33"},
		{"naics", "32", "31-33"},
		{"naics", "33", "31-33"},
		{"naics", "31-33", "31-33"},
		{"naics", " 31-33 ", "31-33"},
		{"naics", "44", "44-45"},
		{"naics", "45", "44-45"},
		{"naics", "44-45", "44-45"},
		{"naics", "48", "48-49"},
		{"naics", "49", "48-49"},
		{"naics", "48-49", "48-49"},
		{"naics", "311", "311"},
		{"naics", "3111", "3111"},
		{"naics", "441", "441"},
		{"naics", "31-32", ""},
		{"naics", "31-", ""},
		{"naics", "34", "34"},
		{"naics", "3", ""},
	}
	norm := map[string]func(string) (string, error){"soc": NormalizeSOC, "cip": NormalizeCIP, "naics": NormalizeNAICS}
	for _, tt := range tests {
		got, err := norm[tt.kind](tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("%s %q = %q, want an error", tt.kind, tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s %q = %q, %v; want %q", tt.kind, tt.in, got, err, tt.want)
		}
	}
}

func TestNameKey(t *testing.T) {
	same := [][]string{
		{"Arts, Entertainment & Design", "arts entertainment and design", "  ARTS,  Entertainment &Design "},
		{"Hospitality, Events & Tourism", "Hospitality Events and Tourism"},
		{"IT Support & Services", "it support and services"},
		{"Commercial Driver's License, Class A", "Commercial Drivers License Class A", "commercial driver’s license class a"},
	}
	for _, group := range same {
		for _, s := range group[1:] {
			if NameKey(s) != NameKey(group[0]) {
				t.Errorf("NameKey(%q) = %q, NameKey(%q) = %q", s, NameKey(s), group[0], NameKey(group[0]))
			}
		}
	}
	if NameKey("Construction") == NameKey("Construction Planning & Development") {
		t.Error("different names share a key")
	}
}
