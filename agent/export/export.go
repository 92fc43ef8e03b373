// Package export renders stored records as `agent export` writes them
// (DESIGN.md, "Export"): the JSONL object, or a CSV row. Deliveries send
// the same object.
package export

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/mapping"
)

// Exporter writes stored records in the export format of DESIGN.md. The
// tracking fields are filled from each record's last successful run here,
// at read time, so they are always current and never stored per record.
type Exporter struct {
	integration string
	kind        store.Kind
	prefix      string // the kind's mapping prefix ("user.", …)
	tracking    []mapping.Field
	fixed       []string // the kind's fixed field names
	custom      []string // custom field names known from the mapping, sorted (CSV columns)
}

// kinds are the exported kinds: the mapping prefix and fixed fields of each.
var kinds = map[store.Kind]struct {
	prefix string
	fixed  []string
}{
	store.Person:      {mapping.PersonPrefix, mapping.PersonFields},
	store.SaaSUser:    {mapping.SaaSUserPrefix, mapping.SaaSUserFields},
	store.Application: {mapping.ApplicationPrefix, mapping.ApplicationFields},
	store.Invoice:     {mapping.InvoicePrefix, mapping.InvoiceFields},
	store.Contract:    {mapping.ContractPrefix, mapping.ContractFields},
}

// New returns the exporter of one kind of the integration's records; m is
// its compiled mapping (nil: no tracking or custom fields known).
func New(integration string, kind store.Kind, m *mapping.Mapping) *Exporter {
	k, ok := kinds[kind]
	if !ok {
		k = kinds[store.Person]
	}
	e := &Exporter{integration: integration, kind: kind, prefix: k.prefix, fixed: k.fixed}
	if m != nil {
		e.tracking = m.Tracking()
		for _, f := range m.Fields {
			if name, ok := strings.CutPrefix(f.Target, e.prefix+"custom."); ok {
				e.custom = append(e.custom, name)
			}
		}
	}
	sort.Strings(e.custom)
	return e
}

// fields returns a record's fields with the tracking values filled in.
func (e *Exporter) fields(r store.Record) map[string]string {
	out := make(map[string]string, len(r.Fields)+len(e.tracking))
	for k, v := range r.Fields {
		out[k] = v
	}
	env := mapping.Env{}
	if r.LastSync != nil {
		env = mapping.Env{CredentialName: r.LastSync.CredentialName, SyncTime: r.LastSync.StartedAt}
	}
	for _, f := range e.tracking {
		name, ok := strings.CutPrefix(f.Target, e.prefix)
		if !ok {
			continue
		}
		v := ""
		if r.LastSync != nil {
			// A tracking expression has no record to read; an error leaves it empty.
			v, _ = f.Expr.Eval(nil, env)
		}
		out[name] = v
	}
	return out
}

// seen are an application's first_seen (its creation) and last_seen (the
// start of the last successful run that saw it; empty when none has).
func seen(r store.Record) (first, last string) {
	first = timeOrEmpty(r.CreatedAt)
	if r.LastSync != nil {
		last = timeOrEmpty(r.LastSync.StartedAt)
	}
	return first, last
}

func timeOrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// Object is a record's export object: kind, integration (application),
// the kind's fields, status, deactivated_at (an application's first_seen
// and last_seen) and custom.
func (e *Exporter) Object(r store.Record) map[string]any {
	f := e.fields(r)
	obj := make(map[string]any, len(e.fixed)+8)
	obj["kind"] = string(e.kind)
	obj["integration"] = r.Integration
	if e.kind == store.SaaSUser {
		obj["application"] = r.Application
	}
	for _, name := range e.fixed {
		obj[name] = f[name]
	}
	obj["status"] = r.Status
	obj["deactivated_at"] = timeOrEmpty(r.DeactivatedAt)
	if e.kind == store.Application {
		obj["first_seen"], obj["last_seen"] = seen(r)
	}
	custom := map[string]string{}
	for k, v := range f {
		if name, ok := strings.CutPrefix(k, "custom."); ok {
			custom[name] = v
		}
	}
	obj["custom"] = custom
	return obj
}

// JSONL writes every record of the kind as one JSON object a line.
func (e *Exporter) JSONL(ctx context.Context, st *store.Store, w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return st.Records(ctx, e.integration, e.kind, func(r store.Record) error {
		return enc.Encode(e.Object(r))
	})
}

// CSV writes every record of the kind as CSV, with a header row.
func (e *Exporter) CSV(ctx context.Context, st *store.Store, w io.Writer) error {
	cw := csv.NewWriter(w)
	header := []string{"kind", "integration"}
	if e.kind == store.SaaSUser {
		header = append(header, "application")
	}
	header = append(header, e.fixed...)
	header = append(header, "status", "deactivated_at")
	if e.kind == store.Application {
		header = append(header, "first_seen", "last_seen")
	}
	for _, c := range e.custom {
		header = append(header, "custom."+c)
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	err := st.Records(ctx, e.integration, e.kind, func(r store.Record) error {
		f := e.fields(r)
		row := []string{string(e.kind), r.Integration}
		if e.kind == store.SaaSUser {
			row = append(row, r.Application)
		}
		for _, name := range e.fixed {
			row = append(row, f[name])
		}
		row = append(row, r.Status, timeOrEmpty(r.DeactivatedAt))
		if e.kind == store.Application {
			first, last := seen(r)
			row = append(row, first, last)
		}
		for _, c := range e.custom {
			row = append(row, f["custom."+c])
		}
		return cw.Write(row)
	})
	if err != nil {
		return err
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}
