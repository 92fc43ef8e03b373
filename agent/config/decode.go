package config

import (
	"maps"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"
)

// The TOML library parses the file into maps; decoding those into the
// structs is done here, by the structs' toml tags, so that every type
// mismatch and every unknown key is reported with its own position (the
// library's struct decoding stops at the first mismatch and reports
// unknown keys without array indexes).

type decoder struct {
	*reporter
}

// fields maps the toml tags of a struct type to field indexes.
func fields(t reflect.Type) map[string]int {
	m := map[string]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		if tag, _, _ := strings.Cut(f.Tag.Get("toml"), ","); f.IsExported() && tag != "" && tag != "-" {
			m[tag] = i
		}
	}
	return m
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// table decodes raw into the struct rv; parent is the struct type of the
// enclosing table, for hints.
func (d *decoder) table(p path, raw map[string]any, rv reflect.Value, parent reflect.Type) {
	fs := fields(rv.Type())
	// A table whose struct extends itself (a destination's type owns
	// keys of its own, a vendor its table of an integration) decodes
	// the keys it does not know into the extension; known lists both
	// for the hints.
	var ext map[string]slot
	known, lenient := fs, false
	if x, ok := addr(rv).(extender); ok {
		if e, found := x.extension(raw); found {
			ext = e
			known = maps.Clone(fs)
			for k := range e {
				known[k] = -1
			}
		} else {
			lenient = true
		}
	}
	for _, k := range sortedKeys(raw) {
		if i, ok := fs[k]; ok {
			d.value(p.with(k), raw[k], rv.Field(i), rv.Type())
			continue
		}
		if s, ok := ext[k]; ok {
			d.value(p.with(k), raw[k], s.v, s.in)
			continue
		}
		if !lenient {
			d.unknown(p.with(k), known, parent)
		}
	}
}

// extender is a struct whose table carries keys decoded elsewhere, chosen
// by the table's own values: ext maps each such key to where it decodes.
// ok false means none could be chosen; the table's unknown keys are then
// not reported one by one.
type extender interface {
	extension(raw map[string]any) (ext map[string]slot, ok bool)
}

// slot is where a key of an extended table decodes: v, addressable, and
// the struct type that holds it, for hints.
type slot struct {
	v  reflect.Value
	in reflect.Type
}

// structSlots are the slots of the fields of the struct v (addressable),
// by their toml tags.
func structSlots(v reflect.Value) map[string]slot {
	m := map[string]slot{}
	for k, i := range fields(v.Type()) {
		m[k] = slot{v: v.Field(i), in: v.Type()}
	}
	return m
}

// keyer is a struct whose table holds keys beyond its fields, whatever
// its values (the vendors' tables of [[integration]]).
type keyer interface {
	extraKeys() []string
}

func (d *decoder) unknown(p path, known map[string]int, parent reflect.Type) {
	k := p[len(p)-1]
	msg := "unknown key " + q(p.String())
	if s := suggest(k, sortedKeys(known)); s != "" {
		msg += s
	} else if parent != nil && len(p) >= 2 && hasField(parent, k) && d.ix.header(p[:len(p)-1]) {
		// A key written below a subtable's header lands in the subtable.
		tbl := p[:len(p)-1]
		owner := tbl[:len(tbl)-1]
		if strings.HasPrefix(tbl[len(tbl)-1], idxMark) && len(tbl) >= 2 {
			owner = tbl[:len(tbl)-2]
		}
		where := "the top level"
		if len(owner) > 0 {
			where = tableName(owner)
		}
		msg += "; " + q(k) + " belongs to " + where + ": move it above the " + tableName(tbl) + " header"
	}
	d.fail(p, "%s", msg)
}

func hasField(t reflect.Type, k string) bool {
	if _, ok := fields(t)[k]; ok {
		return true
	}
	x, ok := reflect.New(t).Interface().(keyer)
	return ok && slices.Contains(x.extraKeys(), k)
}

// tableName is "[agent]" or, under an array of tables, "[[integration]]".
func tableName(p path) string {
	if len(p) > 0 && strings.HasPrefix(p[len(p)-1], idxMark) {
		return "[[" + p.String() + "]]"
	}
	return "[" + p.String() + "]"
}

// value decodes v into rv; in is the struct type holding rv.
func (d *decoder) value(p path, v any, rv reflect.Value, in reflect.Type) {
	switch rv.Kind() {
	case reflect.Interface:
		rv.Set(reflect.ValueOf(v))
	case reflect.String:
		if s, ok := v.(string); ok {
			rv.SetString(s)
			return
		}
		d.mismatch(p, v, "a string")
	case reflect.Bool:
		if b, ok := v.(bool); ok {
			rv.SetBool(b)
			return
		}
		d.mismatch(p, v, "a boolean (true or false)")
	case reflect.Int:
		n, ok := v.(int64)
		switch {
		case ok && rv.OverflowInt(n):
			d.fail(p, "%s %d is out of range", p, n)
		case ok:
			rv.SetInt(n)
		default:
			d.mismatch(p, v, "an integer")
		}
	case reflect.Float64:
		switch n := v.(type) {
		case float64:
			rv.SetFloat(n)
			return
		case int64:
			rv.SetFloat(float64(n))
			return
		}
		d.mismatch(p, v, "a number")
	case reflect.Map: // map[string]string
		m, ok := v.(map[string]any)
		if !ok {
			d.mismatch(p, v, "a table")
			return
		}
		out := rv // a preset (a vendor's default) is merged into, key by key
		if out.IsNil() {
			out = reflect.MakeMapWithSize(rv.Type(), len(m))
		}
		for _, k := range sortedKeys(m) {
			s, ok := m[k].(string)
			if !ok {
				msg := "must be a string, not " + typeOf(m[k])
				if sub, table := m[k].(map[string]any); table && len(sub) > 0 {
					msg += "; quote targets that contain dots: " + q(k+"."+sortedKeys(sub)[0]) + " = …"
				}
				d.fail(p.with(k), "%s %s", p.with(k), msg)
				continue
			}
			out.SetMapIndex(reflect.ValueOf(k), reflect.ValueOf(s))
		}
		rv.Set(out)
	case reflect.Slice:
		d.slice(p, v, rv, in)
	case reflect.Pointer:
		nv := reflect.New(rv.Type().Elem())
		if df, ok := nv.Interface().(interface{ setDefaults() }); ok {
			df.setDefaults()
		}
		d.value(p, v, nv.Elem(), in)
		rv.Set(nv)
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			d.mismatch(p, v, "a table")
			return
		}
		d.table(p, m, rv, in)
	}
}

func (d *decoder) slice(p path, v any, rv reflect.Value, in reflect.Type) {
	et := rv.Type().Elem()
	if et.Kind() == reflect.Pointer {
		et = et.Elem()
	}
	tables := et.Kind() == reflect.Struct
	var items []any
	switch x := v.(type) {
	case []any:
		items = x
	case []map[string]any:
		for _, m := range x {
			items = append(items, m)
		}
	default:
		if _, ok := v.(map[string]any); ok && tables {
			if d.ix.header(p) {
				d.fail(p, "%s must be an array of tables: write [[%s]], not [%s]", p, p, p)
			} else {
				d.fail(p, "%s must be an array of tables, not a table: write [[%s]] sections or %s = [{ … }]", p, p, p[len(p)-1])
			}
			return
		}
		if tables {
			d.mismatch(p, v, "an array of tables")
		} else {
			d.mismatch(p, v, "an array of strings")
		}
		return
	}
	out := reflect.MakeSlice(rv.Type(), len(items), len(items))
	for i, it := range items {
		ep := p.with(idx(i))
		if _, ok := it.(map[string]any); tables && !ok {
			d.fail(ep, "%s must be an array of tables; element %d is %s", p, i+1, typeOf(it))
			continue
		}
		if s, ok := it.(string); !tables && !ok {
			d.fail(ep, "%s must be an array of strings; element %d is %s", p, i+1, typeOf(it))
			continue
		} else if !tables {
			out.Index(i).SetString(s)
			continue
		}
		d.value(ep, it, out.Index(i), in)
	}
	rv.Set(out)
}

func (d *decoder) mismatch(p path, v any, want string) {
	d.fail(p, "%s must be %s, not %s", p, want, typeOf(v))
}

// typeOf names the TOML type of a decoded value.
func typeOf(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case time.Time:
		return "a date-time"
	case []map[string]any:
		return "an array of tables"
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	default:
		return "a value"
	}
}

func addr(rv reflect.Value) any {
	if !rv.CanAddr() {
		return nil
	}
	return rv.Addr().Interface()
}
