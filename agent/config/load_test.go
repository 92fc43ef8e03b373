package config

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/agentsync/agent/vendors"
	"github.com/agentsync/agent/vendors/file"
	"github.com/agentsync/agent/vendors/rest"
)

func TestLoadValid(t *testing.T) {
	cfg, err := Load("testdata/valid.toml")
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := filepath.Abs("testdata")
	if cfg.Path != filepath.Join(dir, "valid.toml") || cfg.Dir != dir {
		t.Errorf("Path, Dir = %q, %q", cfg.Path, cfg.Dir)
	}
	if cfg.Agent.DataDir != filepath.Join(dir, "state") || cfg.Keyring.FileDir != filepath.Join(dir, "keys") {
		t.Errorf("relative paths: data_dir %q, file_dir %q", cfg.Agent.DataDir, cfg.Keyring.FileDir)
	}
	if cfg.Location.String() != "America/New_York" {
		t.Errorf("Location = %v", cfg.Location)
	}
	if (cfg.SMTP != SMTP{Host: "smtp.example.com", Port: 465, Security: "tls", From: "Agent <agent@example.com>",
		Username: "agent@example.com", Credential: "smtp"}) {
		t.Errorf("smtp = %+v", cfg.SMTP)
	}
	if len(cfg.Integrations) != 3 {
		t.Fatalf("%d integrations", len(cfg.Integrations))
	}

	ic := cfg.Integrations[0]
	if ic.Name != "ironclad" || ic.Vendor != "rest" || ic.Credential != "ironclad-prod" || ic.Mode != ModeUsersAndSaaS ||
		ic.Application != "Ironclad Clickwrap" || ic.Preference != PrefCreateOnly || !ic.Deactivate ||
		ic.MaxDeactivatePercent != 12.5 || ic.Schedule.String() != "cron 0 */6 * * *" || ic.CatchUp ||
		!slices.Equal(ic.Contacts, []string{"it-ops@example.com", "Jane Doe <jane@example.com>"}) {
		t.Errorf("ironclad = %+v", ic)
	}
	for _, target := range []string{"user.email", "saas_user.last_activity", "user.custom.connector_sync_time"} {
		if !ic.CompiledMapping.Has(target) {
			t.Errorf("mapping lacks %s", target)
		}
	}
	if len(ic.CompiledFilters) != 2 || ic.CompiledFilters[1].Op() != "in" {
		t.Errorf("filters = %v", ic.CompiledFilters)
	}
	if !reflect.DeepEqual(ic.Filter[1].Value, []any{"active", "pending", int64(3)}) {
		t.Errorf("filter value = %#v", ic.Filter[1].Value)
	}
	if ic.Active.Field != "status" || !slices.Equal(ic.Active.InactiveValues, []string{"disabled", "suspended"}) {
		t.Errorf("active = %+v", ic.Active)
	}
	wantREST := rest.Settings{
		UsersURL: "https://api.vendor.example/v1/users", RecordsPath: "data.users", Auth: "oauth2_client_credentials",
		TokenURL: "https://api.vendor.example/oauth/token", Scopes: []string{"users:read"}, ClientAuth: "header",
		TokenType: "Bearer", APIKeyHeader: "Authorization",
		Pagination: rest.Pagination{Type: "cursor", PageSize: 100, LimitParam: "limit", OffsetParam: "offset",
			PageParam: "page", StartPage: 1, CursorParam: "cursor", CursorPath: "response_metadata.next_cursor"},
	}
	if !reflect.DeepEqual(ic.Settings, &wantREST) {
		t.Errorf("rest = %+v", ic.Settings)
	}

	sso, _ := cfg.Integration("sso-roster")
	if sso == nil || !sso.Launched() || len(sso.CompiledFilters) != 2 || !sso.Active.InactiveWhenSet ||
		sso.Schedule.String() != "every 6h" {
		t.Fatalf("sso-roster = %+v", sso)
	}
	want := vendors.Config{Integration: "sso-roster", Vendor: "file", BaseDir: dir,
		Settings: &file.Settings{Path: "exports/roster.jsonl", UsagePath: "exports/usage.jsonl"}}
	if got := sso.VendorConfig(cfg); !reflect.DeepEqual(got, want) {
		t.Errorf("VendorConfig = %+v", got)
	}

	draft, _ := cfg.Integration("draft.one")
	if draft.Launched() || draft.State() != "draft" || !draft.Schedule.Manual() ||
		!slices.Equal(draft.Missing(), []string{MissingIdentity, MissingApplication}) {
		t.Errorf("draft.one: launched %v, missing %q", draft.Launched(), draft.Missing())
	}
}

func TestMissing(t *testing.T) {
	tests := []struct {
		name string
		in   Integration
		want []string
	}{
		{"nothing mapped", Integration{Mode: ModeUsers}, []string{MissingIdentity}},
		{"email", Integration{Mode: ModeUsers, Mapping: map[string]string{"user.email": "e"}}, nil},
		{"username", Integration{Mode: ModeUsers, Mapping: map[string]string{"user.username": "u"}}, nil},
		{"other fields only", Integration{Mode: ModeUsers, Mapping: map[string]string{"user.full_name": "n"}}, []string{MissingIdentity}},
		{"saas without application", Integration{Mode: ModeUsersAndSaaS, Mapping: map[string]string{"user.email": "e"}}, []string{MissingApplication}},
		{"saas with application", Integration{Mode: ModeUsersAndSaaS, Application: "A", Mapping: map[string]string{"user.email": "e"}}, nil},
		{"both", Integration{Mode: ModeUsersAndSaaS}, []string{MissingIdentity, MissingApplication}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.Missing(); !slices.Equal(got, tt.want) {
				t.Errorf("Missing() = %q, want %q", got, tt.want)
			}
			if tt.in.Launched() != (len(tt.want) == 0) {
				t.Errorf("Launched() = %v", tt.in.Launched())
			}
		})
	}
}

func TestRelativePaths(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "etc")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(sub, "config.toml")
	// Absolute on every OS ("/abs/keys" is relative to the drive on
	// Windows); a TOML literal string keeps its backslashes.
	abs := filepath.Join(dir, "abs", "keys")
	src := "[agent]\ndata_dir = \"../var\"\n[keyring]\nfile_dir = '" + abs + "'\n"
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	cfg, err := Load("etc/config.toml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Path != file || cfg.Dir != sub {
		t.Errorf("Path, Dir = %q, %q", cfg.Path, cfg.Dir)
	}
	if cfg.Agent.DataDir != filepath.Join(dir, "var") {
		t.Errorf("data_dir = %q", cfg.Agent.DataDir)
	}
	if cfg.Keyring.FileDir != abs {
		t.Errorf("file_dir = %q", cfg.Keyring.FileDir)
	}
	// Problems name the file as it was given.
	if err := os.WriteFile(file, []byte("[agent]\nlog_level = 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load("etc/config.toml"); err == nil || err.Error() != "etc/config.toml:2:1: agent.log_level must be a string, not an integer" {
		t.Errorf("err = %v", err)
	}
}

// TestLikeTheLibrary checks that decoding by hand gives what the TOML
// library's own struct decoding gives, and flags the keys its Undecoded
// lists.
func TestLikeTheLibrary(t *testing.T) {
	for _, f := range []string{"testdata/valid.toml", "testdata/bad-many.toml"} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lib := defaults()
		md, err := toml.Decode(string(data), lib)
		if err != nil {
			t.Fatalf("%s: library: %v", f, err)
		}
		var raw map[string]any
		if _, err := toml.Decode(string(data), &raw); err != nil {
			t.Fatal(err)
		}
		r := &reporter{file: f, ix: locate(string(data)), bad: map[string]bool{}}
		mine := defaults()
		(&decoder{r}).table(nil, raw, reflect.ValueOf(mine).Elem(), nil)

		// The library fills integrations without our defaults.
		for i, in := range lib.Integrations {
			def := new(Integration)
			def.setDefaults()
			for _, k := range []string{"mode", "preference", "max_deactivate_percent", "schedule", "catch_up"} {
				if !rawHas(raw, i, k) {
					copyField(in, def, k)
				}
			}
			in.Schedule, mine.Integrations[i].Schedule = def.Schedule, def.Schedule
		}
		// The library leaves the vendors' tables undecoded; decode each
		// with it into the settings our decoder chose (see
		// Integration.vendorSettings), and list what it left of them.
		var vendorUndecoded []string
		for i, in := range lib.Integrations {
			it, _ := rawTable(raw, "integration", i)
			v, _ := vendors.Describe(in.Vendor)
			for table, s := range in.vendorSettings(v) {
				sub, ok := it[table].(map[string]any)
				if !ok {
					continue
				}
				var buf strings.Builder
				if err := toml.NewEncoder(&buf).Encode(sub); err != nil {
					t.Fatal(err)
				}
				smd, err := toml.Decode(buf.String(), s)
				if err != nil {
					t.Fatalf("%s: library, [integration.%s]: %v", f, table, err)
				}
				for _, k := range smd.Undecoded() {
					vendorUndecoded = append(vendorUndecoded, "integration."+table+"."+k.String())
				}
			}
		}
		if !reflect.DeepEqual(mine, lib) {
			t.Errorf("%s: decoded\n%+v\nlibrary\n%+v", f, mine, lib)
		}

		var undecoded, unknown []string
		for _, k := range md.Undecoded() {
			if tbl := strings.Split(k.String(), "."); len(tbl) > 1 && tbl[0] == "integration" && vendorTables()[tbl[1]] != nil {
				continue // decoded above
			}
			undecoded = append(undecoded, k.String())
		}
		undecoded = append(undecoded, vendorUndecoded...)
		for _, p := range r.probs {
			if strings.HasPrefix(p.Msg, "unknown key ") {
				unknown = append(unknown, strings.Trim(strings.Fields(p.Msg)[2], `";`))
			}
		}
		// The library lists every key under an unknown table; we report
		// the table alone.
		undecoded = slices.DeleteFunc(undecoded, func(k string) bool {
			return slices.ContainsFunc(unknown, func(u string) bool { return strings.HasPrefix(k, u+".") })
		})
		sort.Strings(undecoded)
		sort.Strings(unknown)
		if !slices.Equal(slices.Compact(undecoded), slices.Compact(unknown)) {
			t.Errorf("%s: Undecoded %q, we flag %q", f, undecoded, unknown)
		}
	}
}

func rawHas(raw map[string]any, i int, k string) bool {
	t, ok := rawTable(raw, "integration", i)
	_, has := t[k]
	return ok && has
}

func copyField(dst, src *Integration, tag string) {
	i := fields(reflect.TypeFor[Integration]())[tag]
	reflect.ValueOf(dst).Elem().Field(i).Set(reflect.ValueOf(src).Elem().Field(i))
}

// TestErrorDataDir: an invalid file still tells where its store is, so a
// command can show what the store holds (the inbox's "config edit
// rejected") beside the problems.
func TestErrorDataDir(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, text, want string
	}{
		{"relative data_dir", "[agent]\ndata_dir = \"state\"\nlog_level = \"loud\"\n", filepath.Join(dir, "state")},
		{"no data_dir", "[agent]\nlog_level = \"loud\"\n", DefaultDataDir()},
		{"data_dir not a string", "[agent]\ndata_dir = 5\n", DefaultDataDir()},
		{"syntax error", "[agent\ndata_dir = \"state\"\n", DefaultDataDir()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, "config.toml")
			if err := os.WriteFile(path, []byte(tt.text), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Load(path)
			ce, ok := err.(*Error)
			if !ok {
				t.Fatalf("Load: %v (%T), want an *Error", err, err)
			}
			if ce.DataDir != tt.want {
				t.Errorf("DataDir = %q, want %q", ce.DataDir, tt.want)
			}
		})
	}
}
