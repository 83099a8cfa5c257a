// Package naming is the command naming policy (spec §10): command names are
// imperative Verb+Noun in PascalCase, such as CreateOrder or CancelBooking.
// It checks names, names the verb they start with, and suggests fixes.
package naming

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
)

// Prefix is one recognised verb group.
type Prefix struct {
	// Key names the group, e.g. "CREATE" or "UPDATE".
	Key string
	// Verbs are the words the group accepts at the start of a name.
	Verbs []string
	re    *regexp.Regexp
}

// Matches reports whether name starts with one of the prefix's verbs
// followed by a PascalCase noun of letters only.
func (p Prefix) Matches(name string) bool { return p.re.MatchString(name) }

func prefix(key string, verbs ...string) Prefix {
	return Prefix{Key: key, Verbs: verbs, re: regexp.MustCompile(`^(` + strings.Join(verbs, "|") + `)[A-Z][a-zA-Z]*$`)}
}

var prefixes = []Prefix{
	prefix("CREATE", "Create"),
	prefix("SUBMIT", "Submit"),
	prefix("CANCEL", "Cancel"),
	prefix("UPDATE", "Update", "Change", "Modify"),
	prefix("ADD", "Add"),
	prefix("REMOVE", "Remove"),
	prefix("CONFIRM", "Confirm"),
	prefix("RESERVE", "Reserve"),
	prefix("RELEASE", "Release"),
	prefix("EXPIRE", "Expire"),
	prefix("DELETE", "Delete"),
	prefix("START", "Start"),
	prefix("COMPLETE", "Complete"),
	prefix("REJECT", "Reject"),
	prefix("APPROVE", "Approve"),
}

// Prefixes returns the recognised verb groups in the order they are checked.
func Prefixes() []Prefix { return append([]Prefix(nil), prefixes...) }

// Valid reports whether name follows the policy.
func Valid(name string) bool { return PrefixOf(name) != "" }

// PrefixOf returns the key of the first verb group name matches, or "".
func PrefixOf(name string) string {
	for _, p := range prefixes {
		if p.Matches(name) {
			return p.Key
		}
	}
	return ""
}

// Validation is the verdict on one name.
type Validation struct {
	Valid bool
	// MatchedPrefix is the first matching verb group (valid names only).
	MatchedPrefix string
	// Suggestions are at most three valid alternatives (invalid names only).
	Suggestions []string
	Message     string
}

// Validate checks name and explains the verdict. An invalid name's message
// contains "does not follow naming conventions".
func Validate(name string) Validation {
	if p := PrefixOf(name); p != "" {
		return Validation{Valid: true, MatchedPrefix: p, Message: fmt.Sprintf("Command name %q follows naming conventions (%s)", name, p)}
	}
	s := Suggest(name)
	msg := fmt.Sprintf("Command name %q does not follow naming conventions: use an imperative Verb+Noun in PascalCase", name)
	if len(s) > 0 {
		msg += fmt.Sprintf(" (did you mean %s?)", strings.Join(s, ", "))
	}
	return Validation{Suggestions: s, Message: msg}
}

// words splits name on '_' and '-' and at lower→upper boundaries.
func words(name string) []string {
	var out []string
	for _, part := range strings.FieldsFunc(name, func(r rune) bool { return r == '_' || r == '-' }) {
		start := 0
		rs := []rune(part)
		for i := 1; i < len(rs); i++ {
			if unicode.IsLower(rs[i-1]) && unicode.IsUpper(rs[i]) {
				out = append(out, string(rs[start:i]))
				start = i
			}
		}
		out = append(out, string(rs[start:]))
	}
	return out
}

func capitalize(w string) string {
	if w == "" {
		return w
	}
	rs := []rune(w)
	rs[0] = unicode.ToUpper(rs[0])
	return string(rs)
}

func isVerb(w string) bool {
	for _, p := range prefixes {
		for _, v := range p.Verbs {
			if strings.EqualFold(v, w) {
				return true
			}
		}
	}
	return false
}

// Suggest proposes at most three valid names for name. A two-word
// Noun+Verb name is swapped first (OrderCreate → CreateOrder); then the
// noun phrase is prefixed with Create, Update, Delete, Add and Remove.
func Suggest(name string) []string {
	ws := words(name)
	for i := range ws {
		ws[i] = capitalize(ws[i])
	}
	var out []string
	add := func(s string) {
		if !Valid(s) || len(out) >= 3 {
			return
		}
		for _, o := range out {
			if o == s {
				return
			}
		}
		out = append(out, s)
	}
	noun := ws
	switch {
	case len(ws) == 2 && isVerb(ws[1]):
		add(ws[1] + ws[0])
		noun = ws[:1]
	case len(ws) > 1 && isVerb(ws[0]):
		add(strings.Join(ws, ""))
		noun = ws[1:]
	case len(ws) > 1 && isVerb(ws[len(ws)-1]):
		noun = ws[:len(ws)-1]
	}
	phrase := strings.Join(noun, "")
	if phrase == "" {
		return out
	}
	for _, v := range []string{"Create", "Update", "Delete", "Add", "Remove"} {
		add(v + phrase)
	}
	return out
}

// Format builds a PascalCase name from name: it splits on '_', '-' and
// lower→upper boundaries, capitalises each word and lower-cases the rest,
// and joins them. The result is returned when valid; otherwise it is
// prefixed with defaultPrefix ("Execute" when empty), which may itself be
// invalid (ExecuteSomething).
func Format(name, defaultPrefix string) string {
	if defaultPrefix == "" {
		defaultPrefix = "Execute"
	}
	var b strings.Builder
	for _, w := range words(name) {
		b.WriteString(capitalize(strings.ToLower(w)))
	}
	s := b.String()
	if Valid(s) {
		return s
	}
	return defaultPrefix + s
}
