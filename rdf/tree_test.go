package rdf

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestWriteJSONString(t *testing.T) {
	for _, s := range []string{"", "plain", `quote " and \ backslash`, "tab\tnew\nline\rcr", "ctl \x01\x1f", "<b>&amp;</b>",
		"naïve café 東京", "sep \u2028 \u2029", "emoji 🎓"} {
		var b bytes.Buffer
		writeJSONString(&b, s)
		var back string
		if err := json.Unmarshal(b.Bytes(), &back); err != nil || back != s {
			t.Errorf("%q written as %s reads back as %q (%v)", s, b.String(), back, err)
		}
		if strings.ContainsAny(b.String(), "\n\r\t") {
			t.Errorf("%q written with a raw control character: %s", s, b.String())
		}
	}
	var b bytes.Buffer
	writeJSONString(&b, "bad \xff byte")
	var back string
	if err := json.Unmarshal(b.Bytes(), &back); err != nil || back != "bad \ufffd byte" {
		t.Errorf("invalid UTF-8 written as %s", b.String())
	}
}

func TestWriteJSONValueIsJSON(t *testing.T) {
	v := ordered{{"a", "x"}, {"b", []any{"1", map[string]any{"z": "2", "y": []any{}}}}, {"c", ordered{}}, {"d", 3}}
	var b bytes.Buffer
	if err := writeJSONValue(&b, v, 0); err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if !strings.HasPrefix(b.String(), "{\n  \"a\": \"x\",\n  \"b\": [\n    \"1\",") {
		t.Errorf("not indented as expected:\n%s", b.String())
	}
}
