package server

import "testing"

func TestInitialOf(t *testing.T) {
	for name, want := range map[string]string{
		"": "#", "abc": "A", "Zed": "Z", "élan": "#", "1abc": "#", "\xffabc": "#", " abc": "#",
	} {
		if got := initialOf(name); got != want {
			t.Errorf("initialOf(%q) = %q, want %q", name, got, want)
		}
	}
}
