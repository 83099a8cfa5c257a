package given

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"
)

// field is one settable field of a struct type as tables see it.
type field struct {
	name     string // display name: the json tag name, else the Go name
	goName   string
	index    []int // path through embedded structs, as reflect.Value.FieldByIndex
	typ      reflect.Type
	required bool
}

// structInfo describes the fields tables can reach in a struct type.
type structInfo struct {
	typ    reflect.Type
	fields []field
	exact  map[string]int   // json / given tag name → fields index
	norm   map[string][]int // normalised json and Go names → fields indexes
}

var structCache sync.Map // reflect.Type → *structInfo

// normalise folds a field name for loose matching: lower case, without
// spaces, underscores or hyphens.
func normalise(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case ' ', '_', '-', '\t':
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// tagName returns the name part of a struct tag and its options.
func tagName(tag string) (name string, opts []string) {
	parts := strings.Split(tag, ",")
	return parts[0], parts[1:]
}

func hasOpt(opts []string, o string) bool {
	for _, x := range opts {
		if x == o {
			return true
		}
	}
	return false
}

// infoOf returns the (cached) field table of struct type t.
func infoOf(t reflect.Type) *structInfo {
	if v, ok := structCache.Load(t); ok {
		return v.(*structInfo)
	}
	info := &structInfo{typ: t, exact: map[string]int{}, norm: map[string][]int{}}
	seen := map[string]int{} // display name → depth it was found at
	var walk func(t reflect.Type, index []int, depth int, visiting map[reflect.Type]bool)
	walk = func(t reflect.Type, index []int, depth int, visiting map[reflect.Type]bool) {
		if visiting[t] {
			return
		}
		visiting[t] = true
		defer delete(visiting, t)
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			gtag, gopts := tagName(sf.Tag.Get("given"))
			if gtag == "-" && len(gopts) == 0 {
				continue
			}
			jtag, _ := tagName(sf.Tag.Get("json"))
			if jtag == "-" && gtag == "" {
				continue
			}
			idx := append(append([]int(nil), index...), i)
			ft := sf.Type
			if sf.Anonymous && jtag == "" && gtag == "" {
				et := ft
				if et.Kind() == reflect.Pointer {
					et = et.Elem()
				}
				if et.Kind() == reflect.Struct && !isLeaf(et) {
					walk(et, idx, depth+1, visiting)
					continue
				}
			}
			if !sf.IsExported() {
				continue
			}
			name := sf.Name
			switch {
			case gtag != "":
				name = gtag
			case jtag != "":
				name = jtag
			}
			if d, ok := seen[name]; ok && d <= depth {
				continue // a shallower field of the same name wins, as in encoding/json
			}
			seen[name] = depth
			info.fields = append(info.fields, field{
				name:     name,
				goName:   sf.Name,
				index:    idx,
				typ:      ft,
				required: hasOpt(gopts, "required"),
			})
		}
	}
	walk(t, nil, 0, map[reflect.Type]bool{})
	// drop fields shadowed by a shallower one found later in the walk
	kept := info.fields[:0]
	for _, f := range info.fields {
		if seen[f.name] == len(f.index)-1 {
			kept = append(kept, f)
		}
	}
	info.fields = kept
	for i, f := range info.fields {
		info.exact[f.name] = i
		for _, n := range []string{normalise(f.name), normalise(f.goName)} {
			if !containsInt(info.norm[n], i) {
				info.norm[n] = append(info.norm[n], i)
			}
		}
	}
	v, _ := structCache.LoadOrStore(t, info)
	return v.(*structInfo)
}

func containsInt(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// lookup finds the field a table names.
func (s *structInfo) lookup(name string) (*field, error) {
	if i, ok := s.exact[name]; ok {
		return &s.fields[i], nil
	}
	switch m := s.norm[normalise(name)]; len(m) {
	case 0:
		return nil, fmt.Errorf("unknown field; %s has fields: %s", typeName(s.typ), strings.Join(s.names(), ", "))
	case 1:
		return &s.fields[m[0]], nil
	default:
		var names []string
		for _, i := range m {
			names = append(names, s.fields[i].name)
		}
		return nil, fmt.Errorf("ambiguous field name; it matches %s of %s", strings.Join(names, " and "), typeName(s.typ))
	}
}

// names lists the display names of the fields, sorted.
func (s *structInfo) names() []string {
	out := make([]string, len(s.fields))
	for i, f := range s.fields {
		out[i] = f.name
	}
	sort.Strings(out)
	return out
}

var (
	timeType            = reflect.TypeFor[time.Time]()
	durationType        = reflect.TypeFor[time.Duration]()
	rawMessageType      = reflect.TypeFor[json.RawMessage]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
)

// isLeaf reports a type that tables set as a whole even though it may be a
// struct: time.Time and types that parse themselves from text or JSON.
func isLeaf(t reflect.Type) bool {
	if t == timeType {
		return true
	}
	pt := reflect.PointerTo(t)
	return pt.Implements(textUnmarshalerType) || pt.Implements(jsonUnmarshalerType)
}

// typeName renders t for messages: the registered-style short name for
// named types, the Go syntax otherwise.
func typeName(t reflect.Type) string {
	if t == nil {
		return "<nil>"
	}
	return t.String()
}

// fieldByIndex walks index from v, allocating nil embedded pointers when
// alloc is true. It returns false when a nil pointer blocks the walk and
// alloc is false.
func fieldByIndex(v reflect.Value, index []int, alloc bool) (reflect.Value, bool) {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				if !alloc {
					return reflect.Value{}, false
				}
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v, true
}

// target is where a path leads inside a value: either a settable value, or
// a map and a key.
type target struct {
	v      reflect.Value // the settable destination (invalid for map entries)
	m      reflect.Value // the map, for map entries
	key    reflect.Value
	top    int // index of the top-level field in its structInfo
	leafTy reflect.Type
}

// resolve follows a dotted path into root (an addressable struct value),
// allocating nil pointers and maps on the way.
func resolve(root reflect.Value, path string) (target, error) {
	segs := strings.Split(path, ".")
	v := root
	top := -1
	for i := 0; i < len(segs); i++ {
		seg := strings.TrimSpace(segs[i])
		for v.Kind() == reflect.Pointer {
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		switch {
		case v.Kind() == reflect.Struct && !isLeaf(v.Type()):
			info := infoOf(v.Type())
			f, err := info.lookup(seg)
			if err != nil {
				if i == 0 {
					return target{}, err
				}
				return target{}, fmt.Errorf("%q: %w", strings.Join(segs[:i+1], "."), err)
			}
			if i == 0 {
				top = info.exact[f.name]
			}
			v, _ = fieldByIndex(v, f.index, true)
		case v.Kind() == reflect.Map && v.Type().Key().Kind() == reflect.String:
			if v.IsNil() {
				v.Set(reflect.MakeMap(v.Type()))
			}
			if i != len(segs)-1 {
				return target{}, fmt.Errorf("%q is a map: its entries are set whole, so %q cannot follow %q",
					strings.Join(segs[:i], "."), strings.Join(segs[i+1:], "."), seg)
			}
			key := reflect.New(v.Type().Key()).Elem()
			key.SetString(seg)
			return target{m: v, key: key, top: top, leafTy: v.Type().Elem()}, nil
		default:
			return target{}, fmt.Errorf("%q is a %s, not a struct or a map, so %q cannot follow it",
				strings.Join(segs[:i], "."), typeName(v.Type()), seg)
		}
	}
	return target{v: v, top: top, leafTy: v.Type()}, nil
}

// set parses s into the target.
func (t target) set(s string) error {
	if t.m.IsValid() {
		nv := reflect.New(t.leafTy).Elem()
		if err := parseInto(nv, s); err != nil {
			return err
		}
		t.m.SetMapIndex(t.key, nv)
		return nil
	}
	return parseInto(t.v, s)
}

// get follows a dotted path into v without allocating. A nil pointer or a
// missing map key on the way reads as the zero value of the rest of the
// path's type when it can be known, else it is an error.
func get(v reflect.Value, path string) (reflect.Value, error) {
	segs := strings.Split(path, ".")
	for i := 0; i < len(segs); i++ {
		seg := strings.TrimSpace(segs[i])
		for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
			if v.IsNil() {
				return reflect.Value{}, fmt.Errorf("%q is nil", strings.Join(segs[:i], "."))
			}
			v = v.Elem()
		}
		switch {
		case v.Kind() == reflect.Struct && !isLeaf(v.Type()):
			f, err := infoOf(v.Type()).lookup(seg)
			if err != nil {
				if i == 0 {
					return reflect.Value{}, err
				}
				return reflect.Value{}, fmt.Errorf("%q: %w", strings.Join(segs[:i+1], "."), err)
			}
			fv, ok := fieldByIndex(v, f.index, false)
			if !ok {
				return reflect.Zero(f.typ), nil
			}
			v = fv
		case v.Kind() == reflect.Map && v.Type().Key().Kind() == reflect.String:
			key := reflect.New(v.Type().Key()).Elem()
			key.SetString(seg)
			e := v.MapIndex(key)
			if !e.IsValid() {
				if i == len(segs)-1 {
					return reflect.Zero(v.Type().Elem()), nil
				}
				return reflect.Value{}, fmt.Errorf("%q has no key %q", strings.Join(segs[:i], "."), seg)
			}
			v = e
		default:
			return reflect.Value{}, fmt.Errorf("%q is a %s, not a struct or a map, so %q cannot follow it",
				strings.Join(segs[:i], "."), typeName(v.Type()), seg)
		}
	}
	return v, nil
}
