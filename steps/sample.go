package steps

import (
	"regexp/syntax"
	"strings"
	"unicode"
)

// maxSamples caps the sample texts generated for one pattern.
const maxSamples = 32

// sampleTexts returns step texts that pattern (a Go regexp) matches: one
// per alternative and per optional part, up to maxSamples. They are used
// to detect patterns that could match the same step text.
func sampleTexts(pattern string) ([]string, error) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil, err
	}
	return gen(re.Simplify()), nil
}

// candidates are the runes tried, in order, for a character class.
var candidates = []rune("xa0 \"-_.:,XZ9b1/'")

func pickRune(ranges []rune) (rune, bool) {
	in := func(r rune) bool {
		for i := 0; i+1 < len(ranges); i += 2 {
			if ranges[i] <= r && r <= ranges[i+1] {
				return true
			}
		}
		return false
	}
	for _, r := range candidates {
		if in(r) {
			return r, true
		}
	}
	for i := 0; i+1 < len(ranges); i += 2 {
		for r := ranges[i]; r <= ranges[i+1] && r < ranges[i]+256; r++ {
			if unicode.IsPrint(r) {
				return r, true
			}
		}
	}
	return 0, false
}

func product(a, b []string) []string {
	out := make([]string, 0, len(a)*len(b))
	for _, x := range a {
		for _, y := range b {
			if len(out) == maxSamples {
				return out
			}
			out = append(out, x+y)
		}
	}
	return out
}

func union(a, b []string) []string {
	out := append([]string(nil), a...)
	for _, s := range b {
		if len(out) == maxSamples {
			break
		}
		out = append(out, s)
	}
	return out
}

func repeat(xs []string, n int) []string {
	out := []string{""}
	for i := 0; i < n; i++ {
		out = product(out, xs)
	}
	return out
}

func gen(re *syntax.Regexp) []string {
	switch re.Op {
	case syntax.OpLiteral:
		return []string{string(re.Rune)}
	case syntax.OpCharClass:
		if r, ok := pickRune(re.Rune); ok {
			return []string{string(r)}
		}
		return nil
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return []string{"x"}
	case syntax.OpCapture:
		return gen(re.Sub[0])
	case syntax.OpStar, syntax.OpQuest:
		return union([]string{""}, gen(re.Sub[0]))
	case syntax.OpPlus:
		return gen(re.Sub[0])
	case syntax.OpRepeat:
		sub := gen(re.Sub[0])
		out := repeat(sub, re.Min)
		if re.Min == 0 && re.Max != 0 {
			out = union(out, sub)
		}
		return out
	case syntax.OpConcat:
		out := []string{""}
		for _, s := range re.Sub {
			out = product(out, gen(s))
		}
		return out
	case syntax.OpAlternate:
		var out []string
		for _, s := range re.Sub {
			out = union(out, gen(s))
		}
		return out
	}
	// empty-width assertions and empty matches
	return []string{""}
}

// anchor makes pattern match whole step texts: it adds ^ and $ when they
// are missing, since godog matches patterns anywhere in the text.
func anchor(pattern string) string {
	if !strings.HasPrefix(pattern, "^") {
		pattern = "^" + pattern
	}
	if !strings.HasSuffix(pattern, "$") || strings.HasSuffix(pattern, `\$`) {
		pattern += "$"
	}
	return pattern
}
