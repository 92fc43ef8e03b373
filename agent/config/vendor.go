package config

import (
	"maps"
	"slices"
	"strings"

	"github.com/agentsync/agent/vendors"
)

// applyVendorDefaults merges the vendor's defaults (vendors.Defaults)
// under what the integration wrote, before anything is validated or
// compiled: mode, application and [integration.active] when the file does
// not set them, and the default mapping's targets the file does not map
// (saas_user targets only in users+saas_users mode). The preset of the
// vendor's own table was merged when the table was decoded over it (see
// Integration.extension).
func applyVendorDefaults(in *Integration, raw map[string]any) {
	_, in.Active.Written = raw["active"]
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
			if !modeTarget(in.Mode, t) {
				continue
			}
			merged[t] = e
		}
		maps.Copy(merged, in.Mapping)
		in.Mapping = merged
	}
}

// vendorTables maps each table a registered vendor reads ("rest", "file")
// to the NewSettings of the vendor named after the table, else of the
// first, by name, that reads it.
func vendorTables() map[string]func() vendors.Settings {
	m := map[string]func() vendors.Settings{}
	for t, v := range tableOwners() {
		m[t] = v.NewSettings
	}
	return m
}

// tableOwners maps each table a registered vendor reads to the vendor
// named after the table, else the first, by name, that reads it.
func tableOwners() map[string]vendors.Vendor {
	m := map[string]vendors.Vendor{}
	for _, n := range vendors.Names() {
		v, _ := vendors.Describe(n)
		if v.Table == "" {
			continue
		}
		if _, ok := m[v.Table]; !ok || n == v.Table {
			m[v.Table] = v
		}
	}
	return m
}

// readers says which vendors read the table, in its owner's words:
// `vendor = "rest" or a built-in REST vendor`.
func readers(table string) string {
	if v := tableOwners()[table]; v.ReadBy != "" {
		return v.ReadBy
	}
	return "vendor = " + `"` + table + `"`
}

// validateSettings reports the problems of the vendor's own table (the
// preset merged) at their keys (or, for a key the file does not write, at
// the nearest table it does).
func validateSettings(in *Integration, tp path, r *reporter) {
	for _, pr := range in.Settings.Check() {
		at := tp.with(strings.Split(pr.Key, ".")...)
		switch {
		case len(pr.Allowed) > 0:
			r.oneOf(at, pr.Value, pr.Allowed...)
		case pr.Whole:
			r.report(at, "%s", pr.Msg)
		default:
			r.report(at, "integration.%s.%s %s", tp[len(tp)-1], pr.Key, pr.Msg)
		}
	}
}

// What the config reads of a vendor's settings, when they have it (the
// REST connector's do).
type (
	// credentialNeeder says whether the settings need a credential to run.
	credentialNeeder interface{ NeedsCredential() bool }
	// placeholderer lists the keys (below the table) that still hold a
	// template's placeholder.
	placeholderer interface{ Placeholders() []string }
)

// missingSettings lists what the vendor's settings still lack to run: the
// credential its auth needs, and every value its template left as a
// placeholder (e.g. rest.users_url for GitHub's <org>).
func (in *Integration) missingSettings() []string {
	var miss []string
	if c, ok := in.Settings.(credentialNeeder); ok && c.NeedsCredential() && in.Credential == "" {
		miss = append(miss, MissingCredential)
	}
	if ph, ok := in.Settings.(placeholderer); ok {
		v, _ := vendors.Describe(in.Vendor)
		for _, k := range ph.Placeholders() {
			miss = append(miss, v.Table+"."+k)
		}
	}
	return miss
}
