package engine

import (
	"fmt"
	"strings"

	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/internal/jsonpath"
	"github.com/agentsync/agent/mapping"
	"github.com/agentsync/agent/vendors"
)

// entry is one source record after filter and mapping.
type entry struct {
	key    string
	keep   []string          // fields whose expression failed: the stored value stays
	person map[string]string // target fields without the "user." prefix
	saas   map[string]string // without the "saas_user." prefix
	active bool              // active at the source
	// data is the canonical encoding of person and saas (nil when a field
	// failed: it needs the stored values first), hash its DataHash.
	data [2][]byte
	hash [2]int64
}

// kinds index entry.data and entry.hash.
func kindIndex(k store.Kind) int {
	if k == store.SaaSUser {
		return 1
	}
	return 0
}

// mapped is a page after filter, mapping and encoding, with its tallies.
type mapped struct {
	number                     int
	entries                    []entry
	fetched, filtered, invalid int
}

// mapPage filters, maps and encodes one page. It reads only the spec:
// it runs ahead of the store.
func (r *run) mapPage(p vendors.Page, keys *[]string) mapped {
	env := mapping.Env{CredentialName: r.spec.CredentialName, SyncTime: r.rep.StartedAt}
	m := mapped{number: p.Number, entries: make([]entry, 0, len(p.Records)), fetched: len(p.Records)}
	index := make(map[string]int, len(p.Records))
	for i, rec := range p.Records {
		if !r.keep(rec) {
			m.filtered++
			continue
		}
		e, err := r.mapRecord(rec, env)
		if e.key == "" {
			m.invalid++
			r.log.Warn("record skipped", "page", p.Number, "record", i+1, "error", err)
			continue
		}
		if err != nil {
			r.log.Warn("record kept with its stored values for the failing fields", "page", p.Number, "record", i+1, "key", e.key, "error", err)
		}
		if j, dup := index[e.key]; dup {
			// The source listed the same user twice: the later one wins.
			r.log.Warn("duplicate user in the source; the later record wins", "page", p.Number, "record", i+1, "key", e.key)
			m.entries[j] = e
			continue
		}
		index[e.key] = len(m.entries)
		m.entries = append(m.entries, e)
	}
	// One buffer holds the page's encoded records (a slice of it each).
	arena := make([]byte, 0, 256*len(m.entries))
	for i := range m.entries {
		e := &m.entries[i]
		if len(e.keep) > 0 {
			continue
		}
		for k, fields := range [2]map[string]string{e.person, e.saas} {
			if fields == nil {
				continue
			}
			start := len(arena)
			arena = canonicalKeys(fields, arena, keys)
			e.data[k] = arena[start:len(arena):len(arena)]
			e.hash[k] = store.DataHash(e.data[k])
		}
	}
	return m
}

func (r *run) keep(rec vendors.Record) bool {
	for _, f := range r.spec.Filters {
		if !f.Match(rec) {
			return false
		}
	}
	return true
}

// mapRecord maps one record. An entry without a key is invalid. A failing
// optional field does not drop the user (that would deactivate them): the
// field is listed in keep and its stored value carries over.
func (r *run) mapRecord(rec vendors.Record, env mapping.Env) (entry, error) {
	e := entry{person: make(map[string]string, len(r.spec.Mapping.Fields)), active: r.spec.Active.isActive(rec)}
	err := r.spec.Mapping.Each(rec, env, func(t, v string) {
		if v == "" {
			return // an empty value is an absent one: adding a mapping to nothing changes nothing
		}
		switch {
		case strings.HasPrefix(t, "user."):
			e.person[t[len("user."):]] = v
		case strings.HasPrefix(t, "saas_user."):
			if e.saas == nil {
				e.saas = map[string]string{}
			}
			e.saas[t[len("saas_user."):]] = v
		}
	})
	for _, t := range mapping.FailedTargets(err) {
		if t == mapping.TargetUsername || t == mapping.TargetEmail {
			// An identity we could not read must not fall back to the other one.
			return entry{}, err
		}
		e.keep = append(e.keep, t)
	}
	e.key = e.person["username"]
	if e.key == "" {
		e.key = e.person["email"]
	}
	if e.key == "" {
		return entry{}, fmt.Errorf("user.username and user.email are both empty after mapping")
	}
	if r.spec.Mode == ModeSaaSUsers {
		if e.saas == nil {
			e.saas = map[string]string{}
		}
		// A SaaS user is the person's account: it shares their identity unless mapped.
		for _, f := range []string{"username", "email"} {
			if e.saas[f] == "" && e.person[f] != "" {
				e.saas[f] = e.person[f]
			}
		}
	}
	return e, err
}

func (a Active) isActive(rec vendors.Record) bool {
	if a.Field == "" {
		return true
	}
	v, _ := jsonpath.Lookup(rec, a.Field)
	s := strings.TrimSpace(jsonpath.Stringify(v))
	if a.InactiveWhenSet {
		return s == ""
	}
	for _, iv := range a.InactiveValues {
		if strings.EqualFold(s, iv) {
			return false
		}
	}
	return true
}
