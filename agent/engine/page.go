package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
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

func (r *run) counts(k store.Kind) *store.Counts {
	if k == store.SaaSUser {
		return r.rep.SaaSCounts
	}
	return &r.rep.Counts
}

// fetch streams the vendor's pages through a pipeline of three
// goroutines: the vendor reads and decodes a page, the next maps and
// encodes the one before, and this one diffs and writes the one before
// that. Mapping needs nothing of the store, so it is safe ahead; lookups
// and writes stay in page order.
func (r *run) fetch(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pages := make(chan vendors.Page, 1)
	maps := make(chan mapped, 1)
	fetched := make(chan struct{})
	var fetchErr error
	go func() {
		defer close(fetched)
		defer close(pages)
		fetchErr = r.src.Fetch(ctx, func(p vendors.Page) error {
			select {
			case pages <- p:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	go func() {
		defer close(maps)
		var keys []string // canonical's scratch, this goroutine's own
		for p := range pages {
			select {
			case maps <- r.mapPage(p, &keys):
			case <-ctx.Done():
			}
		}
	}()
	var pageErr error
	for m := range maps {
		if pageErr != nil {
			continue // drain until the vendor sees the cancellation
		}
		if pageErr = r.page(ctx, m); pageErr != nil {
			cancel()
			continue
		}
		r.pages++
		if r.opt.Progress != nil {
			r.opt.Progress(Progress{Pages: r.pages, Fetched: r.rep.Counts.Fetched})
		}
	}
	<-fetched
	if pageErr != nil {
		return pageErr
	}
	if fetchErr != nil {
		return fmt.Errorf("fetch: %w", fetchErr)
	}
	// A cancellation may have dropped a mapped page after the vendor's
	// last one: that fetch is not complete.
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("fetch: %w", err)
	}
	return nil
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

// page diffs one mapped page against the store and applies it in one
// transaction. The report counts what was committed: a page's counts
// stand only once its transaction did, so a run that fails on a write
// (a full disk) reports the records it really wrote.
func (r *run) page(ctx context.Context, m mapped) error {
	counts, saasCounts := r.rep.Counts, r.saasCounts()
	for {
		r.tally(func(c *store.Counts) {
			c.Fetched += m.fetched
			c.Filtered += m.filtered
			c.Invalid += m.invalid
		})
		if len(m.entries) == 0 {
			return nil
		}
		writes, seen, err := r.diffPage(ctx, m.entries)
		if err == nil {
			err = r.sync.ApplyPage(ctx, writes, seen)
		}
		if err == nil {
			return nil
		}
		r.rep.Counts = counts
		if r.rep.SaaSCounts != nil {
			*r.rep.SaaSCounts = saasCounts
		}
		if !errors.Is(err, store.ErrNotFresh) {
			return err
		}
		// A page written without lookups (the first sync) that repeats a
		// record of an earlier page is diffed again, with lookups.
		r.log.Warn("the source lists a user on two pages; the later record wins", "page", m.number)
	}
}

// saasCounts is a copy of the SaaS counts (zero in users mode).
func (r *run) saasCounts() store.Counts {
	if r.rep.SaaSCounts == nil {
		return store.Counts{}
	}
	return *r.rep.SaaSCounts
}

// diffPage diffs a page's entries for every kind the mode writes.
func (r *run) diffPage(ctx context.Context, entries []entry) ([]store.Write, []store.Seen, error) {
	writes, seen, ok, err := r.diff(ctx, store.Person, "", entries, nil)
	if err != nil {
		return nil, nil, err
	}
	if r.spec.Mode == ModeSaaSUsers {
		sw, ss, _, err := r.diff(ctx, store.SaaSUser, r.spec.Application, entries, ok)
		if err != nil {
			return nil, nil, err
		}
		writes, seen = append(writes, sw...), append(seen, ss...)
	}
	return writes, seen, nil
}

// tally applies f to the person counts and, in SaaS mode, the SaaS counts:
// fetching, filtering and mapping happen once for both.
func (r *run) tally(f func(*store.Counts)) {
	f(&r.rep.Counts)
	if r.rep.SaaSCounts != nil {
		f(r.rep.SaaSCounts)
	}
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

// diff compares a page's entries of one kind with the store and returns
// the writes, the seen marks, and which entries now exist in the store.
// only, when non-nil, limits the entries considered (a SaaS user needs its person).
func (r *run) diff(ctx context.Context, kind store.Kind, app string, entries []entry, only []bool) ([]store.Write, []store.Seen, []bool, error) {
	keys := make([]string, 0, len(entries))
	for i, e := range entries {
		if only == nil || only[i] {
			keys = append(keys, e.key)
		}
	}
	looked, err := r.sync.Lookup(ctx, kind, app, keys)
	if err != nil {
		return nil, nil, nil, err
	}
	// existing[i] is entry i's stored state (keys skip the entries not in only).
	existing := looked
	if only != nil {
		existing = make([]store.Existing, len(entries))
		j := 0
		for i := range entries {
			if only[i] {
				existing[i] = looked[j]
				j++
			}
		}
	}
	pick := func(e entry) (map[string]string, string) {
		if kind == store.SaaSUser {
			return e.saas, "saas_user."
		}
		return e.person, "user."
	}
	// Most records are unchanged: their hash matches and their stored data
	// is never read. The rest (changed, or a failing field to carry over)
	// get their stored data in one more query.
	k := kindIndex(kind)
	var need []int64
	for i, e := range entries {
		ex := existing[i]
		if (only != nil && !only[i]) || !ex.Found {
			continue
		}
		if e.data[k] == nil || !ex.HasHash || ex.Hash != e.hash[k] {
			need = append(need, ex.ID)
		}
	}
	olds, err := r.sync.LookupData(ctx, kind, need)
	if err != nil {
		return nil, nil, nil, err
	}
	c := r.counts(kind)
	exists := make([]bool, len(entries))
	var writes []store.Write
	seen := make([]store.Seen, 0, len(keys))
	for i, e := range entries {
		if only != nil && !only[i] {
			c.SkippedByPreference++
			continue
		}
		fields, prefix := pick(e)
		ex := existing[i]
		oldData, stale := olds[ex.ID]
		stale = stale && ex.Found
		if stale && len(e.keep) > 0 {
			if err := carryOver(fields, oldData, prefix, e.keep); err != nil {
				return nil, nil, nil, fmt.Errorf("%s %q: stored data: %w", kind, e.key, err)
			}
		}
		data := e.data[k]
		if data == nil {
			data = canonicalKeys(fields, nil, &r.keys)
		}
		w := store.Write{Kind: kind, Application: app, Key: e.key, ID: ex.ID}
		switch {
		case !ex.Found && r.spec.Preference == UpdateOnly:
			c.SkippedByPreference++
			continue
		case !ex.Found:
			w.Create, w.Data = true, string(data)
			w.Status = store.Active
			if r.spec.Deactivate && !e.active {
				w.Status = store.Inactive
			}
			// The record's created_run is its creation in the history
			// (store.Changes lists it); its first values are the record's,
			// and every later change keeps the old value. A creation needs
			// no seen mark either: the store knows this run made it.
			writes = append(writes, w)
			c.Created++
			exists[i] = true
			continue
		case ex.CreatedNow && r.spec.Deactivate && ex.Active != e.active:
			// Listed again with another status: this run created it, so
			// the end of the run will not look at it; the later listing wins now.
			w.Status, w.Data = store.StatusOf(e.active), string(data)
			if stale && oldData != string(data) {
				changes, err := fieldChanges(oldData, fields)
				if err != nil {
					return nil, nil, nil, fmt.Errorf("%s %q: stored data: %w", kind, e.key, err)
				}
				w.Changes = changes
			}
			w.Changes = append(w.Changes, store.FieldChange{Field: "status", Old: store.StatusOf(ex.Active), New: w.Status})
			writes = append(writes, w)
			c.Updated++
		case !stale || oldData == string(data):
			c.Unchanged++
		case r.spec.Preference == CreateOnly:
			c.SkippedByPreference++
		default:
			changes, err := fieldChanges(oldData, fields)
			if err != nil {
				return nil, nil, nil, fmt.Errorf("%s %q: stored data: %w", kind, e.key, err)
			}
			w.Changes, w.Data = changes, string(data)
			writes = append(writes, w)
			c.Updated++
		}
		exists[i] = true
		seen = append(seen, store.Seen{Kind: kind, Application: app, Key: e.key, Existing: ex, Active: e.active})
	}
	return writes, seen, exists, nil
}

// carryOver copies the stored values of the failed targets of this kind.
func carryOver(fields map[string]string, oldData, prefix string, keep []string) error {
	var old map[string]string
	if err := json.Unmarshal([]byte(oldData), &old); err != nil {
		return err
	}
	for _, t := range keep {
		if name, ok := strings.CutPrefix(t, prefix); ok {
			if v, ok := old[name]; ok {
				fields[name] = v
			}
		}
	}
	return nil
}

func fieldChanges(oldData string, fields map[string]string) ([]store.FieldChange, error) {
	var old map[string]string
	if err := json.Unmarshal([]byte(oldData), &old); err != nil {
		return nil, err
	}
	var out []store.FieldChange
	for k, v := range fields {
		if old[k] != v {
			out = append(out, store.FieldChange{Field: k, Old: old[k], New: v})
		}
	}
	for k, v := range old {
		if _, ok := fields[k]; !ok {
			out = append(out, store.FieldChange{Field: k, Old: v})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out, nil
}
