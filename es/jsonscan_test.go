package es

import (
	"encoding/binary"
	"math/bits"
	"testing"
)

// wordTests are the word-at-a-time classifiers, each with its byte-at-a-time
// meaning and whether only "some byte matches" (and not also which is the
// first) is promised.
var wordTests = []struct {
	name    string
	word    func(uint64) uint64
	byteHit func(byte) bool
	anyOnly bool
}{
	{"stringStops", stringStops, func(c byte) bool { return isStringStop(c, false) }, false},
	{"verbatimStringStops", verbatimStringStops, func(c byte) bool { return isStringStop(c, true) }, false},
	{"notPlain", notPlain, func(c byte) bool { return !jsonPlain(c) }, true},
}

// checkWord compares a classifier on the 8 bytes of w with its byte rule.
func checkWord(t *testing.T, name string, word func(uint64) uint64, byteHit func(byte) bool, anyOnly bool, w [8]byte) {
	t.Helper()
	first := -1
	for k := 7; k >= 0; k-- {
		if byteHit(w[k]) {
			first = k
		}
	}
	m := word(binary.LittleEndian.Uint64(w[:]))
	switch {
	case first < 0 && m != 0:
		t.Fatalf("%s(% x) = %#x, want 0", name, w, m)
	case first >= 0 && m == 0:
		t.Fatalf("%s(% x) = 0, want byte %d flagged", name, w, first)
	case first >= 0 && !anyOnly && bits.TrailingZeros64(m)/8 != first:
		t.Fatalf("%s(% x) = %#x: lowest flagged byte %d, want %d", name, w, m, bits.TrailingZeros64(m)/8, first)
	}
}

// TestWordClassifiersMatchByteRules tries every pair of byte values at
// every pair of neighbouring positions, over fillers that do and do not
// match themselves.
func TestWordClassifiersMatchByteRules(t *testing.T) {
	for _, wt := range wordTests {
		for _, fill := range []byte{'a', 0x20, 0x80, 0xff, 0x00, '"'} {
			for pos := 0; pos < 7; pos++ {
				for b1 := 0; b1 < 256; b1++ {
					for b2 := 0; b2 < 256; b2++ {
						var w [8]byte
						for k := range w {
							w[k] = fill
						}
						w[pos], w[pos+1] = byte(b1), byte(b2)
						checkWord(t, wt.name, wt.word, wt.byteHit, wt.anyOnly, w)
					}
				}
			}
		}
	}
}

func FuzzWordClassifiers(f *testing.F) {
	f.Add(uint64(0x2222222222222222))
	f.Add(uint64(0x00ff7f80e25c3c26))
	f.Fuzz(func(t *testing.T, x uint64) {
		var w [8]byte
		binary.LittleEndian.PutUint64(w[:], x)
		for _, wt := range wordTests {
			checkWord(t, wt.name, wt.word, wt.byteHit, wt.anyOnly, w)
		}
	})
}
