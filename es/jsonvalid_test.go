package es_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

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
	f.Add(benchRecord)
	f.Add([]byte(`{"0123456":"abcdefg\"hijklmno\\pqrstuvw\u00e9xyz","k":["\u2028","日本語テキスト"]}`))
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

// benchRecord is a realistic stored document: 799 bytes of compact
// JSON as json.Marshal writes it, mostly ASCII ids, RFC 3339 timestamps,
// short keys and a nested payload (the shape of a command-log record).
var benchRecord = func() []byte {
	type line struct {
		SKU   string  `json:"sku"`
		Qty   int     `json:"qty"`
		Price float64 `json:"price"`
	}
	type payload struct {
		OrderID    string   `json:"orderId"`
		CustomerID string   `json:"customerId"`
		Currency   string   `json:"currency"`
		Lines      []line   `json:"lines"`
		Tags       []string `json:"tags"`
		Paid       bool     `json:"paid"`
		Note       *string  `json:"note"`
	}
	type metadata struct {
		UserID        string    `json:"userId"`
		CorrelationID string    `json:"correlationId"`
		CausationID   string    `json:"causationId"`
		Timestamp     time.Time `json:"timestamp"`
	}
	type record struct {
		CommandID     string    `json:"commandId"`
		CommandType   string    `json:"commandType"`
		TargetContext string    `json:"targetContext"`
		Payload       payload   `json:"payload"`
		Metadata      metadata  `json:"metadata"`
		Status        string    `json:"status"`
		ExecutedAt    time.Time `json:"executedAt"`
		ExpiresAt     time.Time `json:"expiresAt"`
		TTL           int       `json:"ttl"`
	}
	at := time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.UTC)
	r := record{
		CommandID:     "cmd_01905f3c-7a1e-7b2d-9c4f-3e8a1b6d2f70",
		CommandType:   "orders.AddItem",
		TargetContext: "orders",
		Payload: payload{
			OrderID:    "order_01905f3c-6d2b-7e41-8a9c-5b7f0e3d1a24",
			CustomerID: "cust_01905f3b-f1a0-7c3e-b2d4-9e6f8a1c0b57",
			Currency:   "EUR",
			Lines: []line{
				{SKU: "sku-000123-blue-m", Qty: 2, Price: 19.99},
				{SKU: "sku-004567-red-xl", Qty: 1, Price: 149.5},
			},
			Tags: []string{"order:order_01905f3c-6d2b-7e41-8a9c-5b7f0e3d1a24"},
			Paid: true,
		},
		Metadata: metadata{
			UserID:        "user_01905f3a-2b4c-7d6e-8f90-a1b2c3d4e5f6",
			CorrelationID: "corr_01905f3c-7a1e-7b2d-9c4f-3e8a1b6d2f70",
			CausationID:   "cmd_01905f3c-79ff-7a00-8b11-c22d33e44f55",
			Timestamp:     at,
		},
		Status:     "succeeded",
		ExecutedAt: at.Add(1234567 * time.Nanosecond),
		ExpiresAt:  at.Add(24 * time.Hour),
		TTL:        86400,
	}
	b, err := json.Marshal(r)
	if err != nil {
		panic(err)
	}
	return b
}()

func BenchmarkValidJSONRecord(b *testing.B) {
	b.SetBytes(int64(len(benchRecord)))
	for b.Loop() {
		if !es.ValidJSON(benchRecord) {
			b.Fatal("benchRecord is not valid")
		}
	}
}

// boundaryBodies are string bodies that put a byte the word-at-a-time
// scanners must notice (or must not stop at) at every offset 0..16, with
// 0..9 bytes after it, so that it falls at every position of the first,
// second and third 8-byte word and in the byte-at-a-time tail; plus plain
// bodies of length 0..20, escapes at every offset, and pairs of special
// bytes (a borrow from the first must not hide or fake the second).
func boundaryBodies() []string {
	specials := []string{
		`"`, `\`, "\x00", "\x01", "\x1f", "\x7f", "\x80", "\xe2", "\xff", " ", "!", "#", "[", "]", "=", "?", "%", "'",
		"<", ">", "&", "\u2028", "\u2029", "\u2027", "\xe2\x80", "\xe2\x80\xa8", "é", "日", "\xc3",
		`\"`, `\\`, `\/`, `\n`, `\u00e9`, `\u2028`, `\u12`, `\u12g4`, `\x`, "\"\x00", "\x00\"", "\x00\x01", "\x01\x00",
		"\xff\"", "\x80\x00", "\\\x00", `\"\"`,
	}
	const filler = "abcdefghijklmnopqrstuvwxyz-0123456789"
	var bodies []string
	for n := 0; n <= 20; n++ {
		bodies = append(bodies, filler[:n], strings.Repeat("\xff", n), strings.Repeat("é", n/2))
	}
	for k := 0; k <= 16; k++ {
		for _, sp := range specials {
			for j := 0; j <= 9; j++ {
				bodies = append(bodies, filler[:k]+sp+filler[k:k+j])
			}
			bodies = append(bodies, strings.Repeat("\x80", k)+sp+"tail-tail")
		}
	}
	return bodies
}

// boundaryDocs embeds boundaryBodies in documents: as a whole value, as a
// key, inside an array, after whitespace, and unterminated (so that the
// data ends inside the string).
func boundaryDocs() []string {
	var docs []string
	for _, b := range boundaryBodies() {
		docs = append(docs, `"`+b+`"`, `{"`+b+`":1}`, `["`+b+`",{"k":"`+b+`"}]`, ` [ "`+b+`" ] `, `"`+b, `["`+b)
	}
	return docs
}

func TestValidJSONWordBoundaries(t *testing.T) {
	for _, c := range boundaryDocs() {
		if got, want := es.ValidJSON([]byte(c)), json.Valid([]byte(c)); got != want {
			t.Errorf("ValidJSON(%q) = %v, json.Valid = %v", c, got, want)
		}
	}
}

func TestScanJSONNumber(t *testing.T) {
	cases := []struct {
		in  string
		at  int
		end int
		ok  bool
	}{
		{"0", 0, 1, true}, {"-12.5e+3,", 0, 8, true}, {"01", 0, 1, true}, {`{"a":7}`, 5, 6, true},
		{"1.", 0, 2, false}, {"-", 0, 1, false}, {"1e", 0, 2, false}, {"+1", 0, 0, false},
		{".5", 0, 0, false}, {"", 0, 0, false}, {"5", 1, 1, false}, {"5", -1, -1, false},
	}
	for _, c := range cases {
		end, ok := es.ScanJSONNumber([]byte(c.in), c.at)
		if ok != c.ok || (ok && end != c.end) {
			t.Errorf("ScanJSONNumber(%q, %d) = %d, %v; want %d, %v", c.in, c.at, end, ok, c.end, c.ok)
		}
	}
}
