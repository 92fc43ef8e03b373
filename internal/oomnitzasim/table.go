package oomnitzasim

import (
	"encoding/json"
	"maps"
	"strconv"
	"strings"
)

// user is one person of the tenant. keyFields are the sync fields of the
// portion that created it: Users() keys it by their values.
type user struct {
	fields    map[string]any
	keyFields []string
}

// index finds users by the values of one set of sync fields. Indexes are
// built when a portion first uses that set and kept current on writes.
type index struct {
	fields []string
	m      map[string]*user
}

type table struct {
	users   []*user
	indexes map[string]*index // by Key(fields...)
}

func newTable() *table { return &table{indexes: map[string]*index{}} }

// Key is the Users() key of a user whose sync fields hold values: the
// value itself for one field, the values joined by "\x1f" for several.
func Key(values ...string) string { return strings.Join(values, "\x1f") }

// keyString is a sync-field value as a key part: strings as they are,
// numbers and booleans in their JSON form; nil, blank strings, objects
// and lists are not values.
func keyString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, strings.TrimSpace(x) != ""
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

func keyOf(fields []string, rec map[string]any) (string, bool) {
	if len(fields) == 1 {
		return keyString(rec[fields[0]])
	}
	parts := make([]string, len(fields))
	for i, f := range fields {
		s, ok := keyString(rec[f])
		if !ok {
			return "", false
		}
		parts[i] = s
	}
	return Key(parts...), true
}

func (t *table) index(fields []string) *index {
	name := Key(fields...)
	if ix := t.indexes[name]; ix != nil {
		return ix
	}
	ix := &index{fields: fields, m: map[string]*user{}}
	for _, u := range t.users {
		if k, ok := keyOf(fields, u.fields); ok {
			ix.m[k] = u
		}
	}
	t.indexes[name] = ix
	return ix
}

type applyStats struct{ inserted, updated, skipped int }

// apply writes a finalized portion's records in order (oomnitza-api.md:
// The bulk path): upsert by the sync fields; insert_only never modifies
// an existing user, update_only never creates one (our decision: a
// skipped person's SaaS user is skipped with it); a record's keys
// overwrite, absent keys keep their values. Records are decoded here,
// outside s.mu; only the writes hold the table lock.
func (s *Sim) apply(parts []part, fields []string, insertOnly, updateOnly bool) applyStats {
	var recs []map[string]any
	for _, p := range parts {
		if !p.apply {
			continue
		}
		for _, r := range p.records {
			m := make(map[string]any, len(r))
			for k, raw := range r {
				var v any
				json.Unmarshal(raw, &v)
				m[k] = v
			}
			recs = append(recs, m)
		}
	}
	s.tmu.Lock()
	defer s.tmu.Unlock()
	t := s.users
	ix := t.index(fields)
	var st applyStats
	for _, rec := range recs {
		saas, _ := rec["saas"].(map[string]any)
		if s2, ok := rec["SAAS"].(map[string]any); ok {
			saas = s2
		}
		delete(rec, "saas")
		delete(rec, "SAAS")
		k, _ := keyOf(fields, rec)
		u := ix.m[k]
		switch {
		case u == nil && updateOnly, u != nil && insertOnly:
			st.skipped++
			continue
		case u == nil:
			u = &user{fields: rec, keyFields: fields}
			t.users = append(t.users, u)
			for _, other := range t.indexes {
				if k, ok := keyOf(other.fields, rec); ok {
					other.m[k] = u
				}
			}
			st.inserted++
		default:
			t.merge(u, rec)
			st.updated++
		}
		if saas != nil {
			setSaaS(u, saas)
		}
	}
	return st
}

// merge overwrites u's fields with rec's, moving u in every index whose
// fields rec touches.
func (t *table) merge(u *user, rec map[string]any) {
	var moved []*index
	for _, ix := range t.indexes {
		for _, f := range ix.fields {
			if _, ok := rec[f]; ok {
				moved = append(moved, ix)
				break
			}
		}
	}
	for _, ix := range moved {
		if k, ok := keyOf(ix.fields, u.fields); ok && ix.m[k] == u {
			delete(ix.m, k)
		}
	}
	maps.Copy(u.fields, rec)
	for _, ix := range moved {
		if k, ok := keyOf(ix.fields, u.fields); ok {
			ix.m[k] = u
		}
	}
}

// setSaaS creates or updates the person's SaaS user of the record's
// application (oomnitza-api.md: The bulk path, SaaS users): under
// fields["saas"][<application>], fields merged as for people.
func setSaaS(u *user, sa map[string]any) {
	app := saasApp(sa)
	all, _ := u.fields["saas"].(map[string]any)
	if all == nil {
		all = map[string]any{}
		u.fields["saas"] = all
	}
	cur, _ := all[app].(map[string]any)
	if cur == nil {
		all[app] = sa
		return
	}
	maps.Copy(cur, sa)
}

// Users returns a copy of the user table: the records of finalized
// portions only, keyed by Key(values of the sync fields of the portion
// that created the user). Each value holds the fields last written,
// SaaS users under "saas" as a map from application to its fields.
// Empty with Config.Discard.
func (s *Sim) Users() map[string]map[string]any {
	s.tmu.Lock()
	defer s.tmu.Unlock()
	out := make(map[string]map[string]any, len(s.users.users))
	for _, u := range s.users.users {
		k, _ := keyOf(u.keyFields, u.fields)
		out[k] = deepCopy(u.fields).(map[string]any)
	}
	return out
}

// UserCount is len(Users()) without the copy.
func (s *Sim) UserCount() int {
	s.tmu.Lock()
	defer s.tmu.Unlock()
	return len(s.users.users)
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = deepCopy(e)
		}
		return l
	}
	return v
}
