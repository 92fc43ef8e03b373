package engine

import (
	"errors"
	"slices"
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
	person map[string]string // the primary kind's target fields without their prefix ("user.")
	saas   map[string]string // without the "saas_user." prefix
	active bool              // active at the source
	// data is the canonical encoding of person and saas (nil when a field
	// failed: it needs the stored values first), hash its DataHash.
	data [2][]byte
	hash [2]int64
	// packed is data as the store keeps it, packed here, ahead of the
	// store's write transaction.
	packed [2]store.Packed
	// A SaaS user of a roster across applications (application_from):
	// its application and its person's index in the page's entries.
	app   string
	owner int
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
	// A roster across applications: the SaaS users, apart (each names
	// its person in entries), and those skipped for want of an application.
	saas        []entry
	saasInvalid int
	reasons     []string // why records were skipped, the first few
}

// mapPage filters, maps and encodes one page. It reads only the spec:
// it runs ahead of the store.
// keys and packer are the calling goroutine's scratch.
func (r *run) mapPage(p vendors.Page, keys *[]string, packer *store.Packer) mapped {
	env := mapping.Env{CredentialName: r.spec.CredentialName, SyncTime: r.rep.StartedAt}
	m := mapped{number: p.Number, entries: make([]entry, 0, len(p.Records)), fetched: len(p.Records)}
	index := make(map[string]int, len(p.Records))
	var saasIndex map[[2]string]int
	for i, rec := range p.Records {
		if !r.keep(rec) {
			m.filtered++
			continue
		}
		e, err := r.mapRecord(rec, env)
		if e.key == "" {
			m.invalid++
			r.log.Warn("record skipped", "page", p.Number, "record", i+1, "error", err)
			if len(m.reasons) < maxInvalidReasons {
				m.reasons = append(m.reasons, where(p.File, p.Lines, p.Number, i)+": "+err.Error())
			}
			continue
		}
		if err != nil {
			r.log.Warn("record kept with its stored values for the failing fields", "page", p.Number, "record", i+1, "key", e.key, "error", err)
		}
		if r.multi {
			if saasIndex == nil {
				saasIndex = map[[2]string]int{}
			}
			r.mapRoster(&m, rec, e, index, saasIndex, p, i)
			continue
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
	for _, es := range [2][]entry{m.entries, m.saas} {
		for i := range es {
			e := &es[i]
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
				if r.packAhead.Load() {
					e.packed[k] = packer.Pack(e.data[k], e.key)
				}
			}
		}
	}
	return m
}

// mapRoster adds a mapped record of a roster across applications: its
// person once per page (the later record's fields win; active when any
// of their records is, over the whole run), and its SaaS user of the
// application the record names (application_from), through the catalogue.
func (r *run) mapRoster(m *mapped, rec vendors.Record, e entry, index map[string]int, saasIndex map[[2]string]int, p vendors.Page, i int) {
	v, _ := jsonpath.Lookup(rec, r.spec.ApplicationFrom)
	app := strings.TrimSpace(jsonpath.Stringify(v))
	if name, ok := r.catalogue[app]; ok {
		app = name
	}
	saas := e
	saas.person = nil
	e.saas = nil
	if e.active {
		r.activeKeys[e.key] = struct{}{}
	} else if _, ok := r.activeKeys[e.key]; ok {
		e.active = true
	}
	j, dup := index[e.key]
	if dup {
		m.entries[j] = e
	} else {
		j = len(m.entries)
		index[e.key] = j
		m.entries = append(m.entries, e)
	}
	if app == "" {
		m.saasInvalid++
		r.log.Warn("SaaS user skipped: the record names no application", "page", p.Number, "record", i+1, "key", e.key, "application_from", r.spec.ApplicationFrom)
		if len(m.reasons) < maxInvalidReasons {
			m.reasons = append(m.reasons, where(p.File, p.Lines, p.Number, i)+": "+r.spec.ApplicationFrom+": no application (application_from) for the SaaS user")
		}
		return
	}
	saas.app, saas.owner = app, j
	sk := [2]string{app, e.key}
	if k, dup := saasIndex[sk]; dup {
		r.log.Warn("duplicate user in the source; the later record wins", "page", p.Number, "record", i+1, "key", e.key, "application", app)
		m.saas[k] = saas
		return
	}
	saasIndex[sk] = len(m.saas)
	m.saas = append(m.saas, saas)
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
	prefix := r.rules.prefix
	err := r.spec.Mapping.Each(rec, env, func(t, v string) {
		if v == "" {
			return // an empty value is an absent one: adding a mapping to nothing changes nothing
		}
		switch {
		case strings.HasPrefix(t, prefix):
			e.person[t[len(prefix):]] = v
		case strings.HasPrefix(t, "saas_user."):
			if e.saas == nil {
				e.saas = map[string]string{}
			}
			e.saas[t[len("saas_user."):]] = v
		}
	})
	for _, t := range mapping.FailedTargets(err) {
		if slices.Contains(r.rules.identity, t) {
			// An identity we could not read must not fall back to the other one.
			return entry{}, err
		}
		e.keep = append(e.keep, t)
	}
	if r.rules.kind != store.Person {
		return r.mapKind(e, err)
	}
	var why string
	if e.key, why = r.key(e.person); e.key == "" {
		return entry{}, errors.New(why)
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

// mapKind finishes a record of a SaaS discovery kind: its values checked
// and normalised, its key and status. A value of the wrong form skips the
// record (it is invalid); an application keeps its stored value instead,
// as a failing field does: an application must not be deactivated for it.
func (r *run) mapKind(e entry, err error) (entry, error) {
	if verr := r.checkValues(e.person); verr != nil {
		ve := verr.(*valueError)
		if r.rules.kind != store.Application {
			return entry{}, verr
		}
		delete(e.person, strings.TrimPrefix(ve.Target, r.rules.prefix))
		e.keep = append(e.keep, ve.Target)
		err = errors.Join(err, verr)
	}
	var why string
	if e.key, why = r.key(e.person); e.key == "" {
		return entry{}, errors.New(why)
	}
	e.active = r.activeOf(e.person, e.active)
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
