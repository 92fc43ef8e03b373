package ingest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentsync/agent/agent/config"
)

// The config of push ingest: [[schema]], schema = and [integration.ingest].
func TestConfig(t *testing.T) {
	const head = "[[schema]]\nname = \"people\"\nfile = \"people.json\"\n\n"
	const ingest = "[[integration]]\nname = \"hr\"\nvendor = \"ingest\"\ncredential = \"k\"\n"
	const mapping = "  [integration.mapping]\n  \"user.email\" = \"email\"\n"
	tests := []struct {
		name string
		src  string
		want []string // problem lines; none: valid
	}{
		{"valid", head + ingest + "schema = \"people\"\n" + mapping, nil},
		{"schema required", head + ingest + mapping, []string{`config.toml:5:1: integration.schema is required for vendor "ingest"`}},
		{"unknown schema", head + ingest + "schema = \"peple\"\n" + mapping, []string{`config.toml:9:1: integration.schema: no [[schema]] is named "peple"; did you mean "people"?`}},
		{"schema of another vendor", head + "[[integration]]\nname = \"f\"\nvendor = \"file\"\nschema = \"people\"\n  [integration.file]\n  path = \"u.jsonl\"\n", []string{`config.toml:8:1: integration.schema is only read when vendor = "ingest"`}},
		{"schema file does not compile", "[[schema]]\nname = \"bad\"\nfile = \"bad.json\"\n" + ingest + "schema = \"bad\"\n" + mapping, []string{`config.toml:3:1: schema.file "bad.json": not a valid JSON Schema: at "/type": value must be one of 'array', 'boolean'`}},
		{"schema file missing", "[[schema]]\nname = \"gone\"\nfile = \"gone.json\"\n" + ingest + "schema = \"gone\"\n" + mapping, []string{`config.toml:3:1: schema.file "gone.json": open `}},
		{"schema file not JSON", "[[schema]]\nname = \"text\"\nfile = \"text.json\"\n" + ingest + "schema = \"text\"\n" + mapping, []string{`config.toml:3:1: schema.file "text.json": not JSON`}},
		{"schema without file", "[[schema]]\nname = \"x\"\n", []string{`config.toml:1:1: schema.file is required`}},
		{"duplicate schema", head + head, []string{`config.toml:6:1: schema.name "people" is already used by the schema at line 2`}},
		{"scheduled", head + ingest + "schema = \"people\"\nschedule = \"daily 23:00\"\n" + mapping, []string{`config.toml:10:1: integration.schedule "daily 23:00": vendor "ingest" is push-only`}},
		{"limits", head + ingest + "schema = \"people\"\n" + mapping + "  [integration.ingest]\n  max_body_bytes = 0\n  max_records = 1000000\n  rate = 0.0\n  burst = 0\n", []string{
			`config.toml:13:3: integration.ingest.max_body_bytes 0 must be between 1 and 67108864 (64 MiB)`,
			`config.toml:14:3: integration.ingest.max_records 1000000 must be between 1 and 100000`,
			`config.toml:15:3: integration.ingest.rate 0 must be a number of requests a second above 0`,
			`config.toml:16:3: integration.ingest.burst 0 must be between 1 and 1000000`,
		}},
	}
	dir := t.TempDir()
	for name, text := range map[string]string{
		"people.json": `{"type": "object", "required": ["email"]}`,
		"bad.json":    `{"type": "objekt"}`,
		"text.json":   `type: object`,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := config.Parse(filepath.Join(dir, "config.toml"), []byte(tc.src))
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				in, _ := cfg.Integration("hr")
				if !in.PushOnly() || !in.Schedule.Manual() || !in.Launched() {
					t.Fatalf("push-only %v, schedule %v, launched %v", in.PushOnly(), in.Schedule, in.Launched())
				}
				if s, ok := cfg.Schema("people"); !ok || s.Compiled == nil {
					t.Fatal("schema not compiled")
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			lines := strings.Split(strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), ""), "\n")
			if len(lines) != len(tc.want) {
				t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(tc.want, "\n"))
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(lines[i], w) {
					t.Errorf("problem %q, want it to start with %q", lines[i], w)
				}
			}
		})
	}
}

// Without a credential, an ingest integration stays in draft.
func TestConfigDraftWithoutKey(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "p.json"), []byte(`{}`), 0o600)
	cfg, err := config.Parse(filepath.Join(dir, "c.toml"), []byte("[[schema]]\nname = \"p\"\nfile = \"p.json\"\n[[integration]]\nname = \"hr\"\nvendor = \"ingest\"\nschema = \"p\"\n  [integration.mapping]\n  \"user.email\" = \"email\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	in, _ := cfg.Integration("hr")
	if m := in.Missing(); len(m) != 1 || m[0] != config.MissingCredential {
		t.Fatalf("missing %v", m)
	}
}
