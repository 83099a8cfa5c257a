// Package clone deep-copies arbitrary Go values, unexported fields
// included, so a scenario can keep a pristine copy of a state before
// handing it to a decider and later tell whether the decider mutated it.
//
// Pointers, maps, slices, arrays, structs and interfaces are copied
// recursively; shared pointers stay shared in the copy and cycles are
// preserved. Channels, functions and unsafe pointers are not copyable in a
// meaningful way and are shared with the original.
package clone

import (
	"reflect"
	"unsafe"
)

// Of returns a deep copy of v.
func Of[T any](v T) T {
	src := reflect.ValueOf(&v).Elem()
	c := cloner{ptrs: map[ptrKey]reflect.Value{}}
	out := reflect.New(src.Type()).Elem()
	c.copy(out, src)
	return *out.Addr().Interface().(*T)
}

type ptrKey struct {
	p unsafe.Pointer
	t reflect.Type
}

type cloner struct {
	ptrs map[ptrKey]reflect.Value
}

// open makes v usable for Set and Interface even when it was reached
// through an unexported field. v must be addressable.
func open(v reflect.Value) reflect.Value {
	if v.CanSet() {
		return v
	}
	return reflect.NewAt(v.Type(), unsafe.Pointer(v.UnsafeAddr())).Elem()
}

// addressable returns an addressable copy of v (v itself when it already
// is addressable).
func addressable(v reflect.Value) reflect.Value {
	if v.CanAddr() {
		return open(v)
	}
	a := reflect.New(v.Type()).Elem()
	a.Set(v)
	return a
}

// copy stores a deep copy of src into dst, which is settable.
func (c *cloner) copy(dst, src reflect.Value) {
	switch src.Kind() {
	case reflect.Pointer:
		if src.IsNil() {
			return
		}
		key := ptrKey{p: src.UnsafePointer(), t: src.Type()}
		if p, ok := c.ptrs[key]; ok {
			dst.Set(p)
			return
		}
		p := reflect.New(src.Type().Elem())
		c.ptrs[key] = p
		c.copy(p.Elem(), addressable(src.Elem()))
		dst.Set(p)
	case reflect.Map:
		if src.IsNil() {
			return
		}
		m := reflect.MakeMapWithSize(src.Type(), src.Len())
		it := src.MapRange()
		for it.Next() {
			k := reflect.New(src.Type().Key()).Elem()
			c.copy(k, addressable(it.Key()))
			v := reflect.New(src.Type().Elem()).Elem()
			c.copy(v, addressable(it.Value()))
			m.SetMapIndex(k, v)
		}
		dst.Set(m)
	case reflect.Slice:
		if src.IsNil() {
			return
		}
		s := reflect.MakeSlice(src.Type(), src.Len(), src.Cap())
		for i := 0; i < src.Len(); i++ {
			c.copy(s.Index(i), addressable(src.Index(i)))
		}
		dst.Set(s)
	case reflect.Array:
		for i := 0; i < src.Len(); i++ {
			c.copy(open(dst.Index(i)), addressable(src.Index(i)))
		}
	case reflect.Struct:
		src = addressable(src)
		for i := 0; i < src.NumField(); i++ {
			c.copy(open(dst.Field(i)), open(src.Field(i)))
		}
	case reflect.Interface:
		if src.IsNil() {
			return
		}
		inner := reflect.New(src.Elem().Type()).Elem()
		c.copy(inner, addressable(src.Elem()))
		dst.Set(inner)
	default: // scalars, strings, chans, funcs, unsafe pointers
		dst.Set(open(addressable(src)))
	}
}
