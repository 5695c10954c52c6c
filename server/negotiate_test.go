package server

import "testing"

func TestNegotiate(t *testing.T) {
	tests := []struct {
		accept string
		want   format
	}{
		{"", formatJSONLD},
		{"*/*", formatJSONLD},
		{"application/ld+json", formatJSONLD},
		{"application/json", formatJSONLD},
		{"application/n-quads", formatNQuads},
		{"text/turtle", formatTurtle},
		{"text/html", formatHTML},
		{"application/xhtml+xml", formatHTML},
		// A browser: HTML explicitly, everything else through */*.
		{"text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8", formatHTML},
		// q-values decide.
		{"application/ld+json;q=0.5, text/html;q=0.9", formatHTML},
		{"text/html;q=0.2, application/n-quads", formatNQuads},
		// An explicit match beats a wildcard of the same quality.
		{"*/*, text/html", formatHTML},
		{"text/*, application/n-quads;q=0.5", formatTurtle},
		// A more specific range overrides a general one for the same type.
		{"application/n-quads;q=0.9, application/ld+json;q=0, application/json;q=0", formatNQuads},
		// Parameters other than q are ignored; case does not matter.
		{"Application/LD+JSON; profile=\"https://www.w3.org/ns/json-ld#compacted\"", formatJSONLD},
		// Nothing offered is acceptable.
		{"image/png", formatNone},
		{"application/ld+json;q=0", formatNone},
		{"text/plain", formatNone},
		// Malformed ranges are skipped, not fatal.
		{"garbage, application/n-quads", formatNQuads},
		{"application/ld+json;q=abc", formatNone},
	}
	for _, tt := range tests {
		if got := negotiate(tt.accept); got != tt.want {
			t.Errorf("negotiate(%q) = %v, want %v", tt.accept, got, tt.want)
		}
	}
}
