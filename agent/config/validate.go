package config

import (
	"fmt"
	"math"
	"net/mail"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/agentsync/agent/agent/schedule"
	"github.com/agentsync/agent/internal/endpoint"
	"github.com/agentsync/agent/mapping"
	"github.com/agentsync/agent/vendors"
)

// validate checks the decoded values, fills the derived fields and resolves
// relative paths. Values that failed to decode were reported already and
// are skipped by the reporter.
func validate(cfg *Config, raw map[string]any, r *reporter) {
	validateAgent(cfg, r)
	validateSMTP(&cfg.SMTP, r)
	validateHTTP(cfg, r)
	seen := map[string]path{}
	for i, in := range cfg.Integrations {
		t, _ := rawTable(raw, "integration", i)
		validateIntegration(in, path{"integration", idx(i)}, t, seen, r)
	}
	validateDestinations(cfg, r)
	validateSchemas(cfg, r)
}

func validateAgent(cfg *Config, r *reporter) {
	a := path{"agent"}
	cfg.Agent.DataDir = resolve(cfg.Dir, cfg.Agent.DataDir)
	if cfg.Agent.DataDir == "" {
		cfg.Agent.DataDir = DefaultDataDir()
	}
	cfg.Location = time.Local
	if tz := cfg.Agent.TimeZone; tz != "" && tz != "Local" {
		loc, err := time.LoadLocation(tz)
		if err != nil {
			r.report(a.with("time_zone"), `agent.time_zone %s is not a known time zone (use an IANA name such as "Europe/Paris", "UTC" or "Local")`, q(tz))
		} else {
			cfg.Location = loc
		}
	}
	r.oneOf(a.with("log_level"), cfg.Agent.LogLevel, "debug", "info", "warn", "error")
	r.oneOf(a.with("log_format"), cfg.Agent.LogFormat, "text", "json")
	if n := cfg.Agent.MaxParallelRuns; n < 1 || n > 64 {
		r.report(a.with("max_parallel_runs"), "agent.max_parallel_runs %d must be between 1 and 64", n)
	}

	k := path{"keyring"}
	r.oneOf(k.with("backend"), cfg.Keyring.Backend, "auto", "secret-service", "keyctl", "wincred", "keychain", "pass", "file")
	cfg.Keyring.FileDir = resolve(cfg.Dir, cfg.Keyring.FileDir)
	if cfg.Keyring.PassphraseEnv == "" {
		cfg.Keyring.PassphraseEnv = DefaultPassEnv
	} else if !envName.MatchString(cfg.Keyring.PassphraseEnv) {
		r.report(k.with("passphrase_env"), "keyring.passphrase_env %s is not an environment variable name", q(cfg.Keyring.PassphraseEnv))
	}
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// resolve makes p absolute from dir; "" stays "".
func resolve(dir, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

func validateSMTP(s *SMTP, r *reporter) {
	p := path{"smtp"}
	if s.Port < 1 || s.Port > 65535 {
		r.report(p.with("port"), "smtp.port %d must be between 1 and 65535", s.Port)
	}
	if r.oneOf(p.with("security"), s.Security, "starttls", "tls", "none") &&
		s.Security == "none" && s.Host != "" && !endpoint.Loopback(s.Host) {
		r.report(p.with("security"), `smtp.security "none" sends mail unencrypted and is only allowed for a loopback host (localhost, 127.0.0.1, ::1), not %s`, q(s.Host))
	}
	if s.From != "" {
		if _, err := mail.ParseAddress(s.From); err != nil {
			r.report(p.with("from"), "smtp.from %s is not an e-mail address", q(s.From))
		}
	} else if s.Host != "" {
		r.report(p.with("host"), "smtp.from is required when smtp.host is set")
	}
}

// validName is the shape of integration names: they appear in file names
// and on the command line.
var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// name checks the name of the [[table]] entry at p: present, of the valid
// shape and not already in seen, which it then joins. Names become file
// names, so "Acme" and "acme" clash: they would share files on Windows and
// macOS.
func (r *reporter) name(p path, table, name string, seen map[string]path) {
	switch {
	case name == "":
		r.report(p, "%s.name is required", table)
	case !validName.MatchString(name):
		r.report(p.with("name"), "%s.name %s must start with a letter or digit and hold only letters, digits, '.', '_' and '-'", table, q(name))
	default:
		if first, dup := seen[strings.ToLower(name)]; dup {
			r.report(p.with("name"), "%s.name %s is already used by the %s at line %d", table, q(name), table, r.ix.pos(first).Line)
		} else {
			seen[strings.ToLower(name)] = p.with("name")
		}
	}
}

func validateIntegration(in *Integration, p path, raw map[string]any, seen map[string]path, r *reporter) {
	if _, hasName := raw["name"]; in.Name == "" && hasName {
		r.report(p.with("name"), "integration.name must not be empty")
	} else {
		r.name(p, "integration", in.Name, seen)
	}

	applyVendorDefaults(in, raw)
	validateVendor(in, p, raw, r)
	r.oneOf(p.with("mode"), in.Mode, Modes...)
	validateModeKeys(in, p, raw, r)
	r.oneOf(p.with("preference"), in.Preference, PrefCreateUpdate, PrefCreateOnly, PrefUpdateOnly)
	if v := in.MaxDeactivatePercent; math.IsNaN(v) || v < 0 || v > 100 {
		r.report(p.with("max_deactivate_percent"), "integration.max_deactivate_percent %v must be between 0 and 100", v)
	}
	if v, ok := vendors.Describe(in.Vendor); ok && v.Push {
		// Pushed, never fetched: nothing to schedule.
		if _, set := raw["schedule"]; set && in.ScheduleSpec != manualSchedule {
			r.report(p.with("schedule"), "integration.schedule %s: vendor %s is push-only (its records arrive at POST /ingest/%s): leave schedule out or write %q",
				q(in.ScheduleSpec), q(in.Vendor), in.Name, manualSchedule)
		}
		in.ScheduleSpec = manualSchedule
	}
	if s, err := schedule.Parse(in.ScheduleSpec); err != nil {
		r.report(p.with("schedule"), "%v", err)
	} else {
		in.Schedule = s
	}
	for j, c := range in.Contacts {
		if _, err := mail.ParseAddress(c); err != nil {
			r.report(p.with("contacts", idx(j)), "integration.contacts: %s is not an e-mail address", q(c))
		}
	}
	validateMapping(in, p, r)
	for j, f := range in.Filter {
		fp := p.with("filter", idx(j))
		cf, err := mapping.NewFilter(f.Field, f.Op, f.Value)
		if err != nil {
			at := fp.with("value")
			switch msg := err.Error(); {
			case strings.HasPrefix(msg, "filter field"):
				at = fp.with("field")
			case strings.Contains(msg, "unknown op"):
				at = fp.with("op")
			}
			r.report(at, "%v", err)
			continue
		}
		in.CompiledFilters = append(in.CompiledFilters, cf)
	}
	if _, ok := raw["active"]; ok {
		ap := p.with("active")
		if in.Active.Field == "" {
			r.report(ap.with("field"), "integration.active.field is required: the source field that tells whether a user is active")
		}
		if len(in.Active.InactiveValues) == 0 && !in.Active.InactiveWhenSet && !r.under(ap.with("inactive_values")) {
			r.report(ap, "integration.active needs inactive_values or inactive_when_set = true")
		}
	}
}

func validateVendor(in *Integration, p path, raw map[string]any, r *reporter) {
	vp := p.with("vendor")
	known := vendors.Names()
	v, ok := vendors.Describe(in.Vendor)
	switch {
	case in.Vendor == "":
		r.report(vp, "integration.vendor is required (known: %s)", strings.Join(known, ", "))
	case !ok:
		r.report(vp, "integration.vendor %s is not a known vendor (known: %s)%s", q(in.Vendor), strings.Join(known, ", "), suggest(in.Vendor, known))
	}
	if in.Settings != nil {
		validateSettings(in, p.with(v.Table), r)
	}
	for _, t := range sortedKeys(vendorTables()) {
		if _, set := raw[t]; set && in.Vendor != "" && v.Table != t {
			r.report(p.with(t), "[integration.%s] is only read when %s", t, readers(t))
		}
	}
}

// validateMapping compiles the mapping and reports each failing target at
// its key.
func validateMapping(in *Integration, p path, r *reporter) {
	mp := p.with("mapping")
	m, err := mapping.Compile(in.Mapping)
	if err == nil {
		in.CompiledMapping = m
		if !slices.Contains(Modes, in.Mode) {
			return // reported at mode
		}
		for _, t := range sortedKeys(in.Mapping) {
			if !modeTarget(in.Mode, t) {
				r.report(mp.with(t), "mapping %s: %s", q(t), targetModes(t))
			}
		}
		return
	}
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	for _, e := range errs {
		msg, target := e.Error(), ""
		for t := range in.Mapping {
			if strings.HasPrefix(msg, t+": ") && len(t) > len(target) {
				target = t
			}
		}
		if target == "" {
			r.report(mp, "mapping: %s", msg)
			continue
		}
		msg = "mapping " + q(target) + ": " + strings.TrimPrefix(msg, target+": ")
		if hasField(reflect.TypeFor[Integration](), target) && r.ix.header(mp) {
			msg += "; " + q(target) + " belongs to [[integration]]: move it above the [integration.mapping] header"
		}
		r.report(mp.with(target), "%s", msg)
	}
}

// targetModes says which modes a target's kind needs.
func targetModes(t string) string {
	kind, _, _ := strings.Cut(t, ".")
	var want []string
	for _, m := range Modes {
		if modeTarget(m, t) {
			want = append(want, fmt.Sprintf("%q", m))
		}
	}
	if len(want) == 1 && want[0] == fmt.Sprintf("%q", ModeUsersAndSaaS) {
		return fmt.Sprintf("%s targets need mode = %s", kind, want[0])
	}
	return fmt.Sprintf("%s targets need mode = %s", kind, strings.Join(want, " or "))
}

// validateModeKeys checks the keys that depend on the mode:
// application_from (users+saas_users only, instead of application) and
// destinations (they deliver people and SaaS users, not the SaaS
// discovery kinds).
func validateModeKeys(in *Integration, p path, raw map[string]any, r *reporter) {
	_, hasFrom := raw["application_from"]
	_, hasApp := raw["application"]
	switch {
	case !hasFrom:
	case in.Mode != ModeUsersAndSaaS:
		if slices.Contains(Modes, in.Mode) {
			r.report(p.with("application_from"), "integration.application_from is only read in mode = %q (mode is %s)", ModeUsersAndSaaS, q(in.Mode))
		}
	case strings.TrimSpace(in.ApplicationFrom) == "":
		r.report(p.with("application_from"), "integration.application_from must not be empty: the source field that names each record's application (e.g. %q)", "appInstanceId")
	case hasApp:
		r.report(p.with("application_from"), "integration.application and integration.application_from are both set: use one (application names the application of every record, application_from reads it from each record)")
	default:
		in.Application = "" // a vendor's default application yields to the file's application_from
	}
	if _, set := raw["destinations"]; set && !PeopleMode(in.Mode) && slices.Contains(Modes, in.Mode) {
		r.report(p.with("destinations"), "integration.destinations: mode = %s writes no people nor SaaS users, which is what destinations deliver: remove destinations", q(in.Mode))
	}
}
