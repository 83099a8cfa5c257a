package es

import (
	"encoding/hex"
	"math/rand/v2"
	"testing"
)

// TestUUIDBytesMatchesHex checks uuidBytes against the obvious rendering
// (version and variant set, hex in 8-4-4-4-12 groups) for random inputs
// and the all-zero and all-ones extremes.
func TestUUIDBytesMatchesHex(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	inputs := [][16]byte{{}, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}
	for range 1000 {
		var b [16]byte
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		inputs = append(inputs, b)
	}
	for _, b := range inputs {
		v := b
		v[6] = (v[6] & 0x0f) | 0x70
		v[8] = (v[8] & 0x3f) | 0x80
		h := hex.EncodeToString(v[:])
		want := h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
		if got := uuidBytes(b); string(got[:]) != want {
			t.Fatalf("uuidBytes(%x) = %s, want %s", b, got[:], want)
		}
	}
}
