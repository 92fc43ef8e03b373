package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestValidateWarnings: settings that validate but likely do not do what
// was meant are warned about (exit 0): a file source that is not there, and
// an [integration.active] rule that nothing acts on.
func TestValidateWarnings(t *testing.T) {
	const head = "[agent]\ndata_dir = \"data\"\n[[integration]]\nname = \"f\"\nvendor = \"file\"\n"
	const mapping = "  [integration.mapping]\n  \"user.email\" = \"email\"\n"
	const active = "  [integration.active]\n  field = \"status\"\n  inactive_values = [\"disabled\"]\n"
	tests := []struct {
		name   string
		config string
		want   []string // warnings, in order
	}{
		{"all fine", head + "deactivate = true\n" + mapping + active + "  [integration.file]\n  path = \"users.jsonl\"\n", nil},
		{"missing file", head + mapping + "  [integration.file]\n  path = \"exports/nope.jsonl\"\n",
			[]string{`f: file.path "exports/nope.jsonl" does not exist (DIR/exports/nope.jsonl): a run fails until it does`}},
		{"missing usage file", head + mapping + "  [integration.file]\n  path = \"users.jsonl\"\n  usage_path = \"usage.jsonl\"\n",
			[]string{`f: file.usage_path "usage.jsonl" does not exist (DIR/usage.jsonl): a run fails until it does`}},
		{"a folder", head + mapping + "  [integration.file]\n  path = \"data\"\n  format = \"jsonl\"\n",
			[]string{`f: file.path "data" is a folder, not a file (DIR/data)`}},
		{"active without deactivate", head + mapping + active + "  [integration.file]\n  path = \"users.jsonl\"\n",
			[]string{"f: [integration.active] is set but deactivate = false: a user inactive at the source stays active here; set deactivate = true to deactivate them"}},
		{"active, deactivate = false written", head + "deactivate = false\n" + mapping + active + "  [integration.file]\n  path = \"users.jsonl\"\n",
			[]string{"f: [integration.active] is set but deactivate = false"}},
		{"a template's own active rule", "[agent]\ndata_dir = \"data\"\n[[integration]]\nname = \"o\"\nvendor = \"okta\"\n  [integration.rest]\n  base_url = \"https://acme.okta.com\"\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSandbox(t)
			os.MkdirAll(filepath.Join(s.dir, "data"), 0o700)
			s.write(filepath.Join(s.dir, "users.jsonl"), "{\"email\": \"a@example.com\"}\n")
			s.write(s.cfg, tt.config)
			code, out, errs := s.agent("validate")
			if code != exitOK {
				t.Fatalf("exit %d, want 0\n%s%s", code, out, errs)
			}
			var got []string
			for _, l := range strings.Split(out, "\n") {
				if w, ok := strings.CutPrefix(l, "warning: "); ok && !strings.Contains(w, "credential") {
					got = append(got, filepath.ToSlash(strings.ReplaceAll(w, s.dir, "DIR")))
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("warning %q, want %q", got[i], tt.want[i])
				}
			}
		})
	}
}
