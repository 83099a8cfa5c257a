// Package jsonfield reads a struct type's fields as encoding/json names
// them, for the fast JSON paths that handle only the plain cases (the
// command registry's argument decoder and the decider codec's event
// encoder). Anything with rules of its own in encoding/json — embedded
// fields, tags on unexported fields, options other than omitempty and
// omitzero, unusual or clashing names — is reported as not plain, and the
// caller leaves the type to encoding/json.
package jsonfield

import (
	"reflect"
	"strings"
)

// Field is one exported field of a struct as encoding/json reads and
// writes it.
type Field struct {
	// Index is the field's index in the struct (reflect.Type.Field).
	Index int
	// Name is its JSON name: the tag's, else the Go name.
	Name string
	// OmitEmpty and OmitZero are the tag's options.
	OmitEmpty, OmitZero bool
}

// Plain returns the fields encoding/json sees in struct type t, in its
// order (declaration order), or false when t is not a struct or has a
// field the fast paths leave to encoding/json: an embedded field, a tag on
// an unexported field (other than "-"), an option other than omitempty and
// omitzero (",string" among them), a name that is not plain (PlainName),
// or two names equal up to case. Fields tagged "-" are left out.
func Plain(t reflect.Type) ([]Field, bool) {
	if t == nil || t.Kind() != reflect.Struct {
		return nil, false
	}
	var out []Field
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag, tagged := sf.Tag.Lookup("json")
		if sf.Anonymous {
			return nil, false // promotion and dominance rules
		}
		if !sf.IsExported() {
			if tagged && tag != "-" {
				return nil, false // encoding/json v1 and v2 read these differently
			}
			continue // encoding/json never sees it
		}
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		f := Field{Index: i, Name: name}
		for opts != "" {
			var opt string
			opt, opts, _ = strings.Cut(opts, ",")
			switch opt {
			case "omitempty":
				f.OmitEmpty = true
			case "omitzero":
				f.OmitZero = true
			case "":
			default:
				return nil, false // ",string", and anything encoding/json may read its own way
			}
		}
		if f.Name == "" {
			f.Name = sf.Name
		}
		if !PlainName(f.Name) {
			return nil, false
		}
		for _, g := range out {
			if strings.EqualFold(g.Name, f.Name) {
				return nil, false // duplicate or case-variant names: encoding/json's rules decide
			}
		}
		out = append(out, f)
	}
	return out, true
}

// PlainName reports whether name is a non-empty ASCII name that
// encoding/json takes as given from a tag (a subset of its valid tag
// names).
func PlainName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c) >= 0:
		default:
			return false
		}
	}
	return true
}
