package es_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/eventspec/eventspec/es"
)

var jsonCases = []string{
	``, ` `, `null`, ` null `, `nul`, `nulls`, `true`, `tru`, `false`, `falsey`,
	`0`, `-0`, `01`, `-01`, `1.`, `1.5`, `.5`, `-`, `+1`, `1e`, `1e5`, `1E+5`, `1e-05`, `1.5e3.2`, `12345678901234567890`,
	`""`, `"abc"`, `"a\"b"`, `"\u00e9"`, `"\u00G9"`, `"\u00e"`, `"\x"`, "\"\x01\"", "\"\xff\xfe\"", `"unterminated`, `"\`,
	`{}`, `{ }`, `{"a":1}`, `{"a":1,}`, `{"a"}`, `{"a":}`, `{a:1}`, `{"a":1 "b":2}`, `{"a":{"b":[1,2,{"c":null}]}}`,
	`[]`, `[ ]`, `[1,2]`, `[1,]`, `[,1]`, `[1 2]`, `[`, `]`, `[[[]]]`, `[[[]]`, `{"a":[}`, `1 2`, "\t\r\n[1]\n",
	`{"a":1}}`, `[1]]`, `{"a":1}x`, `"a" "b"`,
}

func TestValidJSONMatchesEncodingJSON(t *testing.T) {
	for _, c := range jsonCases {
		if got, want := es.ValidJSON([]byte(c)), json.Valid([]byte(c)); got != want {
			t.Errorf("ValidJSON(%q) = %v, json.Valid = %v", c, got, want)
		}
	}
}

func TestValidJSONNestingLimit(t *testing.T) {
	for _, depth := range []int{63, 64, 65, 9999, 10000, 10001} {
		for _, open := range []string{"[", `{"k":`} {
			close := "]"
			if open != "[" {
				close = "}"
			}
			c := strings.Repeat(open, depth) + "1" + strings.Repeat(close, depth)
			if got, want := es.ValidJSON([]byte(c)), json.Valid([]byte(c)); got != want {
				t.Errorf("depth %d of %s: ValidJSON = %v, json.Valid = %v", depth, open, got, want)
			}
		}
	}
}

func FuzzValidJSON(f *testing.F) {
	for _, c := range jsonCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if got, want := es.ValidJSON(data), json.Valid(data); got != want {
			t.Fatalf("ValidJSON(%q) = %v, json.Valid = %v", data, got, want)
		}
	})
}

var benchJSON = []byte(`{"orderId":"o-1234","customerId":"c-77","total":1999.5,"currency":"EUR","lines":[{"sku":"a","qty":1},{"sku":"b","qty":2}],"paid":true,"note":null}`)

func BenchmarkValidJSON(b *testing.B) {
	b.Run("es.ValidJSON", func(b *testing.B) {
		for b.Loop() {
			es.ValidJSON(benchJSON)
		}
	})
	b.Run("json.Valid", func(b *testing.B) {
		for b.Loop() {
			json.Valid(benchJSON)
		}
	})
}
