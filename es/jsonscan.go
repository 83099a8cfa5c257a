package es

// Word-at-a-time ("SWAR") byte classification for the JSON hot paths.
//
// The string scanners load 8 bytes as a little-endian uint64 (so byte k of
// the input is bits 8k..8k+7 of the word) and compute a mask with the high
// bit of a byte set where that byte is one they must stop at. Each class of
// bytes is first mapped (by | and ^ with a constant in every byte, which
// works on each byte alone) so that its members, and only they, fall below
// some b <= 0x80; then one subtraction tests all eight bytes:
//
//	below(x, b) = (x - b*0x01…01) &^ x   high bit of byte k: x_k < b
//
// A byte x_k >= b neither borrows nor gets flagged ("&^ x" rejects the
// x_k >= 0x80 whose difference has the high bit set), so below the first
// flagged byte every byte is tested on its own; above it a borrow may flag
// more bytes. Hence, also for several tests ORed together, "mask != 0" is
// exact and so is the lowest flagged byte (bits.TrailingZeros64(mask) / 8),
// which is all the callers use. The other 7 bits of each byte are garbage
// until the final "& swarHigh".

const (
	swarLow  = 0x0101010101010101 // 0x01 in every byte
	swarHigh = 0x8080808080808080 // 0x80 in every byte
)

// below flags (in the high bit of each byte, other bits garbage) the bytes
// of x less than b, for b <= 0x80; see above.
func below(x uint64, b byte) uint64 { return (x - swarLow*uint64(b)) &^ x }

// controlOrQuote flags control bytes (< 0x20) and '"': flipping bit 0x02
// maps the control bytes onto themselves and '"' (0x22) onto 0x20, and no
// other byte below 0x21.
func controlOrQuote(w uint64) uint64 { return below(w^swarLow*0x02, 0x21) }

// controlQuoteOrAmp flags control bytes, '"' (0x22) and '&' (0x26):
// setting bit 0x04 and then flipping bits 0x06 keeps the control bytes
// below 0x20 and maps '"' and '&', and no other byte, onto 0x20.
func controlQuoteOrAmp(w uint64) uint64 { return below((w|swarLow*0x04)^swarLow*0x06, 0x21) }

// backslash flags '\\'.
func backslash(w uint64) uint64 { return below(w^swarLow*'\\', 1) }

// ltOrGt flags '<' (0x3c) and '>' (0x3e): they differ only in bit 0x02,
// and no other byte becomes 0x3e when that bit is set.
func ltOrGt(w uint64) uint64 { return below((w|swarLow*0x02)^swarLow*'>', 1) }

// leadE2 flags 0xE2, the first byte of U+2028 and U+2029 (E2 80 A8 and
// E2 80 A9).
func leadE2(w uint64) uint64 { return below(w^swarLow*0xE2, 1) }

// stringStops flags the bytes a JSON string scan must look at: '"',
// '\\' and control bytes (< 0x20). Everything else, bytes >= 0x80
// included, is taken as it is (as encoding/json.Valid does).
func stringStops(w uint64) uint64 { return (controlOrQuote(w) | backslash(w)) & swarHigh }

// verbatimStringStops is stringStops plus the bytes encoding/json's
// HTML-safe compaction rewrites inside strings: '<', '>', '&', and the
// lead byte of U+2028 and U+2029.
func verbatimStringStops(w uint64) uint64 {
	return (controlQuoteOrAmp(w) | backslash(w) | ltOrGt(w) | leadE2(w)) & swarHigh
}

// isStringStop is the byte-at-a-time stringStops, or verbatimStringStops
// when verbatim is set.
func isStringStop(c byte, verbatim bool) bool {
	return c == '"' || c == '\\' || c < 0x20 || verbatim && (c == '<' || c == '>' || c == '&' || c == 0xE2)
}

// notPlain flags the bytes jsonPlain rejects: control bytes, bytes >=
// 0x7f, '"', '\\', '<', '>' and '&'. Only "any" is exact here (a carry
// out of a 0xFF byte can flag the next byte up), which is all
// jsonPlainString needs.
func notPlain(w uint64) uint64 {
	from7F := (w + swarLow) | w // 0x7f+1 and up have the high bit
	return (from7F | controlQuoteOrAmp(w) | backslash(w) | ltOrGt(w)) & swarHigh
}

// notPrintable flags bytes outside printable ASCII: control bytes (<
// 0x20) and bytes >= 0x7f. As for notPlain, only "any" is exact.
func notPrintable(w uint64) uint64 {
	return ((w + swarLow) | w | below(w, 0x20)) & swarHigh
}

// jsonPlainString reports whether every byte of s is jsonPlain, i.e.
// whether encoding/json writes s between quotes unchanged.
func jsonPlainString(s string) bool {
	if len(s) < 8 {
		for i := 0; i < len(s); i++ {
			if !jsonPlain(s[i]) {
				return false
			}
		}
		return true
	}
	var m uint64
	for i := 0; i+8 <= len(s); i += 8 {
		m |= notPlain(load64(s, i))
	}
	// The last len(s)%8 bytes: test the last 8 bytes of s, overlapping
	// bytes already tested (harmless for an any-test).
	return m|notPlain(load64(s, len(s)-8)) == 0
}

// load64 reads s[i:i+8] as a little-endian uint64 (the compiler merges
// the byte loads into one).
func load64(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}
