package rest

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/agentsync/agent/mapping"
	"github.com/agentsync/agent/vendors"
)

// Template is a built-in vendor made of the REST connector: its preset of
// [integration.rest], its default mapping and, optionally, its default
// mode, application and [integration.active]. It is written in TOML, in
// the config's own terms:
//
//	vendor = "slack"
//	mode = "users+saas_users"
//	application = "Slack"
//	[mapping]
//	"user.email" = "profile.email | lower"
//	[active]
//	field = "deleted"
//	inactive_values = ["true"]
//	[rest]
//	users_url = "https://slack.com/api/users.list"
//	...
//
// A value the admin must supply is written as a placeholder in angle
// brackets ("https://<okta-domain>/api/v1/users"): the integration stays
// in draft until [integration.rest] sets it.
type Template struct {
	Vendor      string              `toml:"vendor"`
	Mode        string              `toml:"mode"`
	Application string              `toml:"application"`
	Mapping     map[string]string   `toml:"mapping"`
	Active      *vendors.ActiveRule `toml:"active"`
	REST        Settings            `toml:"rest"`
}

// ParseTemplate reads and checks a template: unknown keys, bad REST
// settings and mapping expressions that do not compile are errors.
func ParseTemplate(data []byte) (Template, error) {
	var t Template
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&t)
	if err != nil {
		return t, err
	}
	var errs []error
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		errs = append(errs, fmt.Errorf("unknown keys: %s", strings.Join(keys, ", ")))
	}
	if t.Vendor == "" {
		errs = append(errs, errors.New("vendor is required"))
	}
	switch t.Mode {
	case "", "users", "users+saas_users":
	default:
		errs = append(errs, fmt.Errorf("mode %q must be users or users+saas_users", t.Mode))
	}
	if t.Mode == "users+saas_users" && t.Application == "" {
		errs = append(errs, errors.New("mode users+saas_users needs an application"))
	}
	for _, p := range t.REST.Check() {
		errs = append(errs, errors.New(problemText(p)))
	}
	m, err := mapping.Compile(t.Mapping)
	switch {
	case err != nil:
		errs = append(errs, fmt.Errorf("mapping: %w", err))
	case !m.HasIdentity():
		errs = append(errs, errors.New("mapping: user.username or user.email is required"))
	}
	if err := errors.Join(errs...); err != nil {
		return t, fmt.Errorf("template %s: %w", t.Vendor, err)
	}
	return t, nil
}

// Defaults are what the template gives an integration's common keys; its
// [rest] table is the preset of the vendor's Settings.
func (t Template) Defaults() vendors.Defaults {
	return vendors.Defaults{
		Mode:        t.Mode,
		Application: t.Application,
		Mapping:     t.Mapping,
		Active:      t.Active,
	}
}

// RegisterTemplate registers the vendor a template describes, built by
// New. Built-in vendors call it from init with their embedded TOML; a
// template that does not parse panics there, so a test of the package
// catches it.
func RegisterTemplate(data []byte) Template {
	t, err := ParseTemplate(data)
	if err != nil {
		panic(err)
	}
	vendors.RegisterVendor(t.Vendor, vendors.Vendor{Factory: New, Table: Table, NewSettings: preset(t.REST), Defaults: t.Defaults()})
	return t
}
