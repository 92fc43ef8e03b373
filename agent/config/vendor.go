package config

import (
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/agentsync/agent/mapping"
	"github.com/agentsync/agent/vendors"
)

// applyVendorDefaults merges the vendor's defaults (vendors.Defaults)
// under what the integration wrote, before anything is validated or
// compiled: mode, application and [integration.active] when the file does
// not set them; the default mapping's targets the file does not map
// (saas_user targets only in users+saas_users mode); and the preset of
// [integration.rest] key by key under the file's keys, subtables and
// token_params included.
func applyVendorDefaults(in *Integration, p path, raw map[string]any, r *reporter) {
	v, ok := vendors.Describe(in.Vendor)
	if !ok {
		return
	}
	d := v.Defaults
	if _, set := raw["mode"]; !set && d.Mode != "" {
		in.Mode = d.Mode
	}
	if _, set := raw["application"]; !set && d.Application != "" {
		in.Application = d.Application
	}
	if _, set := raw["active"]; !set && d.Active != nil {
		in.Active = Active{Field: d.Active.Field, InactiveValues: slices.Clone(d.Active.InactiveValues), InactiveWhenSet: d.Active.InactiveWhenSet}
	}
	if len(d.Mapping) > 0 {
		merged := make(map[string]string, len(d.Mapping)+len(in.Mapping))
		for t, e := range d.Mapping {
			if in.Mode != ModeUsersAndSaaS && strings.HasPrefix(t, mapping.SaaSUserPrefix) {
				continue
			}
			merged[t] = e
		}
		maps.Copy(merged, in.Mapping)
		in.Mapping = merged
	}
	if d.REST != nil {
		merged := *d.REST
		merged.Scopes = slices.Clone(merged.Scopes)
		merged.TokenParams = maps.Clone(merged.TokenParams)
		if own, ok := raw["rest"].(map[string]any); ok {
			// Decode the file's table again, over the preset. Its problems
			// were reported by the first decoding; this one is silent.
			quiet := &decoder{&reporter{file: r.file, ix: r.ix, bad: map[string]bool{}}}
			quiet.table(p.with("rest"), own, reflect.ValueOf(&merged).Elem(), reflect.TypeFor[Integration]())
		}
		in.REST = merged
	}
}

// readsREST reports whether the integration's vendor reads
// [integration.rest]: the REST connector and the templates built on it.
func readsREST(vendor string) bool {
	v, ok := vendors.Describe(vendor)
	return vendor == "rest" || ok && v.Defaults.REST != nil
}

// validateREST reports the problems of the merged [integration.rest] at
// their keys (or, for a key the file does not write, at the nearest table
// it does).
func validateREST(in *Integration, p path, r *reporter) {
	rp := p.with("rest")
	for _, pr := range in.REST.Check() {
		at := rp.with(strings.Split(pr.Key, ".")...)
		if len(pr.Allowed) > 0 {
			r.oneOf(at, pr.Value, pr.Allowed...)
			continue
		}
		r.report(at, "integration.rest.%s %s", pr.Key, pr.Msg)
	}
}

// missingREST lists what a REST integration still lacks to run: the
// credential its auth needs, and every value its template left as a
// placeholder (e.g. rest.users_url for GitHub's <org>).
func (in *Integration) missingREST() []string {
	var miss []string
	if in.REST.Resolved().Auth != vendors.AuthNone && in.Credential == "" {
		miss = append(miss, MissingCredential)
	}
	for _, k := range in.REST.Placeholders() {
		miss = append(miss, "rest."+k)
	}
	return miss
}
