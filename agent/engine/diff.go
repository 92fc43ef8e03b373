package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/agentsync/agent/agent/store"
)

func (r *run) counts(k store.Kind) *store.Counts {
	if k == store.SaaSUser {
		return r.rep.SaaSCounts
	}
	return &r.rep.Counts
}

// diffPage diffs a page's entries for every kind the mode writes.
func (r *run) diffPage(ctx context.Context, m *mapped) ([]store.Write, []store.Seen, error) {
	entries := m.entries
	writes, seen, ok, err := r.diff(ctx, r.rules.kind, "", entries, nil)
	if err != nil {
		return nil, nil, err
	}
	if r.multi {
		sw, ss, err := r.diffRoster(ctx, m.saas, ok)
		if err != nil {
			return nil, nil, err
		}
		return append(writes, sw...), append(seen, ss...), nil
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

// diffRoster diffs the SaaS users of a roster across applications, one
// application at a time; a SaaS user needs its person (ok, by owner).
func (r *run) diffRoster(ctx context.Context, saas []entry, ok []bool) ([]store.Write, []store.Seen, error) {
	var apps []string
	byApp := map[string][]int{}
	for i, e := range saas {
		if _, seen := byApp[e.app]; !seen {
			apps = append(apps, e.app)
		}
		byApp[e.app] = append(byApp[e.app], i)
	}
	var writes []store.Write
	var seen []store.Seen
	for _, app := range apps {
		idx := byApp[app]
		es := make([]entry, len(idx))
		only := make([]bool, len(idx))
		for j, i := range idx {
			es[j], only[j] = saas[i], ok[saas[i].owner]
		}
		w, s, _, err := r.diff(ctx, store.SaaSUser, app, es, only)
		if err != nil {
			return nil, nil, err
		}
		writes, seen = append(writes, w...), append(seen, s...)
	}
	return writes, seen, nil
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
		data, hash, packed := e.data[k], e.hash[k], e.packed[k]
		if data == nil {
			data, hash, packed = canonicalKeys(fields, nil, &r.keys), 0, store.Packed{}
		}
		w := store.Write{Kind: kind, Application: app, Key: e.key, ID: ex.ID, Hash: hash, Packed: packed}
		switch {
		case !ex.Found && r.spec.Preference == UpdateOnly:
			c.SkippedByPreference++
			continue
		case !ex.Found:
			w.Create = true
			// A creation the mapper packed needs no copy of its data: the
			// store writes the packed form (a dry run keeps the data).
			if !packed.Ok() || hash == 0 || r.opt.DryRun {
				w.Data = string(data)
			}
			w.Status = store.Active
			if r.applyStatus && !e.active {
				w.Status = store.Inactive
			}
			// The record's created_run is its creation in the history
			// (store.Changes lists it); its first values are the record's,
			// and every later change keeps the old value. A creation needs
			// no seen mark either: the store knows this run made it.
			writes = appendWrite(writes, w, len(entries)-i)
			c.Created++
			exists[i] = true
			continue
		case ex.CreatedNow && r.applyStatus && ex.Active != e.active:
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
			writes = appendWrite(writes, w, len(entries)-i)
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
			writes = appendWrite(writes, w, len(entries)-i)
			c.Updated++
		}
		exists[i] = true
		seen = append(seen, store.Seen{Kind: kind, Application: app, Key: e.key, Existing: ex, Active: e.active})
	}
	return writes, seen, exists, nil
}

// appendWrite appends w, making room for the page's other writes the
// first time (room: the entries left): a first sync writes every entry,
// a resync few or none.
func appendWrite(ws []store.Write, w store.Write, room int) []store.Write {
	if ws == nil {
		ws = make([]store.Write, 0, room)
	}
	return append(ws, w)
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
