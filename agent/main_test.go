package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentsync/agent/agent/config"
	"github.com/agentsync/agent/agent/engine"
	"github.com/agentsync/agent/internal/filelock"
)

// removeAfterTests lists folders made once per test binary (the built
// agent), removed when every test has run.
var removeAfterTests []string

func TestMain(m *testing.M) {
	code := m.Run()
	for _, d := range removeAfterTests {
		os.RemoveAll(d)
	}
	os.Exit(code)
}

// sandbox copies config.example.toml and its example export into a temp
// folder, so each test runs the shipped config on its own data_dir.
type sandbox struct {
	t     *testing.T
	dir   string
	cfg   string
	users string
}

func newSandbox(t *testing.T) *sandbox {
	t.Helper()
	dir := t.TempDir()
	cfg, err := os.ReadFile("../config.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	users, err := os.ReadFile("../examples/ironclad-users.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, "examples"), 0o755)
	s := &sandbox{t: t, dir: dir, cfg: filepath.Join(dir, "config.toml"), users: filepath.Join(dir, "examples", "ironclad-users.jsonl")}
	s.write(s.cfg, string(cfg))
	s.write(s.users, string(users))
	return s
}

func (s *sandbox) write(path, text string) {
	s.t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		s.t.Fatal(err)
	}
}

func (s *sandbox) lines() []string {
	b, err := os.ReadFile(s.users)
	if err != nil {
		s.t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

func (s *sandbox) setLines(lines []string) { s.write(s.users, strings.Join(lines, "\n")+"\n") }

// agent runs the CLI in-process with the sandbox's config.
func (s *sandbox) agent(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(context.Background(), append([]string{"--config", s.cfg}, args...), strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func (s *sandbox) runNow(args ...string) (int, []engine.Report) {
	s.t.Helper()
	code, out, errs := s.agent(append([]string{"run-now", "--json"}, args...)...)
	var reps []engine.Report
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var r engine.Report
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			s.t.Fatalf("run-now --json printed a line that is not a report: %q (%v); stderr: %s", line, err, errs)
		}
		reps = append(reps, r)
	}
	return code, reps
}

func (s *sandbox) export(kind, format string) string {
	s.t.Helper()
	code, out, errs := s.agent("export", "--integration", "ironclad-example", "--kind", kind, "--format", format)
	if code != 0 {
		s.t.Fatalf("export: exit %d: %s", code, errs)
	}
	return out
}

func exportStatus(t *testing.T, jsonl string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(jsonl), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("export line %q: %v", line, err)
		}
		out[rec["email"].(string)] = rec["status"].(string)
	}
	return out
}

func TestExampleConfigValidates(t *testing.T) {
	s := newSandbox(t)
	code, out, errs := s.agent("validate")
	if code != exitOK || !strings.Contains(out, "ironclad-example: launched") {
		t.Fatalf("validate: exit %d\n%s%s", code, out, errs)
	}
}

func TestRunNowTwiceThenUnchanged(t *testing.T) {
	s := newSandbox(t)
	code, reps := s.runNow()
	if code != exitOK || len(reps) != 1 {
		t.Fatalf("first run: exit %d, %d reports", code, len(reps))
	}
	if c := reps[0].Counts; c.Fetched != 12 || c.Created != 12 || reps[0].SaaSCounts.Created != 12 {
		t.Errorf("first run counts = %+v / %+v", c, reps[0].SaaSCounts)
	}
	code, reps = s.runNow("ironclad-example") // a name, after the flag
	if code != exitOK {
		t.Fatalf("second run: exit %d", code)
	}
	if c := reps[0].Counts; c.Unchanged != 12 || c.Created+c.Updated+c.Deactivated+c.Reactivated != 0 {
		t.Errorf("second run counts = %+v", c)
	}
	if c := reps[0].SaaSCounts; c.Unchanged != 12 || c.Created+c.Updated != 0 {
		t.Errorf("second run saas counts = %+v", c)
	}
	// The tracking fields show the latest successful run, though nothing was written.
	var rec struct {
		Custom map[string]string `json:"custom"`
	}
	json.Unmarshal([]byte(strings.SplitN(s.export("people", "jsonl"), "\n", 2)[0]), &rec)
	if got, want := rec.Custom["connector_sync_time"], reps[0].StartedAt.UTC().Format("2006-01-02T15:04:05Z"); got != want {
		t.Errorf("connector_sync_time = %q, want %q", got, want)
	}
}

func TestDeactivateReactivateThroughTheFile(t *testing.T) {
	s := newSandbox(t)
	if code, _ := s.runNow(); code != exitOK {
		t.Fatal("first run failed")
	}
	orig := s.lines()
	changed := append([]string{}, orig...)
	changed[4] = strings.Replace(changed[4], `"status": "active"`, `"status": "inactive"`, 1)
	changed = append(changed[:2], changed[3:]...) // alan.turing is gone
	s.setLines(changed)
	code, reps := s.runNow()
	if code != exitOK || reps[0].Counts.Deactivated != 2 || reps[0].SaaSCounts.Deactivated != 2 {
		t.Fatalf("exit %d, report %+v", code, reps)
	}
	st := exportStatus(t, s.export("people", "jsonl"))
	if st["alan.turing@example.com"] != "inactive" || st["linus.pauling@example.com"] != "inactive" {
		t.Errorf("export after deactivation: %v", st)
	}
	inactive := 0
	for _, v := range st {
		if v == "inactive" {
			inactive++
		}
	}
	if inactive != 2 {
		t.Errorf("%d people inactive, want exactly 2: %v", inactive, st)
	}
	if !strings.Contains(s.export("saas_users", "csv"), "alan.turing@example.com") {
		t.Error("csv export of saas users lacks the deactivated user")
	}

	s.setLines(orig)
	code, reps = s.runNow()
	if code != exitOK || reps[0].Counts.Reactivated != 2 {
		t.Fatalf("restore: exit %d, %+v", code, reps)
	}
	for k, v := range exportStatus(t, s.export("people", "jsonl")) {
		if v != "active" {
			t.Errorf("%s is %s after restore", k, v)
		}
	}
}

func TestFailedRunsDeactivateNobody(t *testing.T) {
	tests := []struct {
		name   string
		edit   func([]string) []string
		expect string
	}{
		{"malformed line mid-file", func(l []string) []string {
			l = l[:8] // four users gone too: they must not be deactivated
			l[5] = `{"id": 1006, "email": broken`
			return l
		}, "ironclad-users.jsonl:6"},
		{"guard: half the users gone", func(l []string) []string { return l[:6] }, "mass-deactivation guard"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSandbox(t)
			if code, _ := s.runNow(); code != exitOK {
				t.Fatal("first run failed")
			}
			s.setLines(tc.edit(s.lines()))
			code, reps := s.runNow()
			if code != exitFailed || reps[0].Outcome != "failed" || !strings.Contains(reps[0].Error, tc.expect) {
				t.Fatalf("exit %d, report %+v; want failed naming %q", code, reps, tc.expect)
			}
			for k, v := range exportStatus(t, s.export("people", "jsonl")) {
				if v != "active" {
					t.Errorf("%s was deactivated by a failed run", k)
				}
			}
			_, out, _ := s.agent("notifications", "--json")
			if !strings.Contains(out, `"run_failed"`) || !strings.Contains(out, "it-ops@example.com") {
				t.Errorf("no failure notification for the contacts: %s", out)
			}
		})
	}
}

func TestSecondRunOfTheSameIntegrationIsRefused(t *testing.T) {
	s := newSandbox(t)
	l, err := filelock.Acquire(filepath.Join(s.dir, "data"), "ironclad-example")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	code, out, _ := s.agent("run-now", "ironclad-example")
	if code != exitFailed || !strings.Contains(out, "already running") {
		t.Fatalf("exit %d, %q; want 1 and 'already running'", code, out)
	}
}

func TestUsageAndConfigErrors(t *testing.T) {
	s := newSandbox(t)
	// data_dir is the sandbox's: the default would be the machine's /var/lib/agent.
	const draft = "[agent]\ndata_dir = \"data\"\n[[integration]]\nname = \"d\"\nvendor = \"file\"\n[integration.file]\npath = \"x.jsonl\"\n"
	tests := []struct {
		name string
		cfg  string // replaces the config when set
		args []string
		code int
		want string
	}{
		{"unknown command", "", []string{"frobnicate"}, exitUsage, "unknown command"},
		{"unknown integration", "", []string{"run-now", "nope"}, exitUsage, `no integration named "nope"`},
		{"bad flag", "", []string{"run-now", "--fast"}, exitUsage, "run-now: unknown flag --fast (flags: --dry-run, --json, --verbose)"},
		{"command typo", "", []string{"valdate"}, exitUsage, `unknown command "valdate"; did you mean validate?`},
		{"flag typo", "", []string{"status", "--jsn"}, exitUsage, "agent: status: unknown flag --jsn (did you mean --json?)"},
		{"flag typo, one dash", "", []string{"status", "-jsn"}, exitUsage, "status: unknown flag --jsn (did you mean --json?)"},
		{"flag without value", "", []string{"changes", "--integration"}, exitUsage, "changes: --integration needs a value"},
		{"flag bad number", "", []string{"runs", "--limit", "x"}, exitUsage, `runs: --limit "x": want a number`},
		{"export help", "", []string{"export", "--help"}, exitOK, "--kind         people | saas_users | applications | invoices | contracts (default: people)"},
		{"export help format", "", []string{"export", "-h"}, exitOK, "--format       jsonl | csv (default: jsonl)"},
		{"unknown key", "[agent]\ndata_dir = \"d\"\nlog_levle = \"info\"\n", []string{"validate"}, exitUsage, "config.toml:3:1"},
		{"draft validates", draft, []string{"validate"}, exitOK, "d: draft (missing: user.username or user.email)"},
		{"one integration", draft, []string{"validate"}, exitOK, ": ok, 1 integration (0 launched, 1 draft)\n"},
		{"draft does not run", draft, []string{"run-now", "d"}, exitFailed, "draft"},
		{"version", "", []string{"version"}, exitOK, "agent "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.cfg != "" {
				s.write(s.cfg, tc.cfg)
			}
			code, out, errs := s.agent(tc.args...)
			if code != tc.code || !strings.Contains(out+errs, tc.want) {
				t.Errorf("exit %d, output %q%q; want exit %d containing %q", code, out, errs, tc.code, tc.want)
			}
		})
	}
}

// TestMissingConfig: a config file that is not there is bad usage (exit
// 2) and the message says where the path came from and how to give one.
func TestMissingConfig(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.toml")
	tests := []struct {
		name string
		env  string // $AGENT_CONFIG
		args []string
		want string
	}{
		{"--config", "", []string{"--config", missing, "status"}, "agent: no config file at " + missing + " (--config): check the path given with --config"},
		{"$AGENT_CONFIG", missing, []string{"validate"}, "agent: no config file at " + missing + " ($AGENT_CONFIG): check $AGENT_CONFIG, or give the config file with --config PATH"},
		{"run-now", "", []string{"run-now", "--config", missing}, "no config file at " + missing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("AGENT_CONFIG", tc.env)
			var out, errb bytes.Buffer
			code := run(context.Background(), tc.args, strings.NewReader(""), &out, &errb)
			if code != exitUsage || !strings.Contains(errb.String(), tc.want) {
				t.Errorf("exit %d, stderr %q; want exit 2 with %q", code, errb.String(), tc.want)
			}
		})
	}
	// The default path: only where the machine has none.
	if _, err := os.Stat(config.DefaultPath()); errors.Is(err, fs.ErrNotExist) {
		t.Setenv("AGENT_CONFIG", "")
		var out, errb bytes.Buffer
		code := run(context.Background(), []string{"status"}, strings.NewReader(""), &out, &errb)
		if want := "(the default): give the config file with --config PATH or $AGENT_CONFIG"; code != exitUsage || !strings.Contains(errb.String(), want) {
			t.Errorf("default path: exit %d, stderr %q; want exit 2 with %q", code, errb.String(), want)
		}
	}
}

// TestSSORosterWithUsage reads the SSO payloads of seed 003: a roster whose
// deactivatedAt marks inactive users, with usage events folded into each
// SaaS user's last activity.
func TestSSORosterWithUsage(t *testing.T) {
	s := newSandbox(t)
	for _, f := range []string{"application-roster.jsonl", "application-usage.jsonl"} {
		b, err := os.ReadFile(filepath.Join("..", "vendors", "file", "testdata", "sso", f))
		if err != nil {
			t.Fatal(err)
		}
		s.write(filepath.Join(s.dir, f), string(b))
	}
	s.write(s.cfg, `
[agent]
data_dir = "data"

[[integration]]
name = "sso"
vendor = "file"
mode = "users+saas_users"
application = "Roster App"
deactivate = true
max_deactivate_percent = 100
  [integration.mapping]
  "user.username" = "uniqueId"
  "user.email" = "email | lower"
  "user.first_name" = "firstName"
  "user.last_name" = "lastName"
  "saas_user.licenses" = "skus"
  "saas_user.last_activity" = "lastActivity | time"
  [integration.active]
  field = "deactivatedAt"
  inactive_when_set = true
  [integration.file]
  path = "application-roster.jsonl"
  usage_path = "application-usage.jsonl"
`)
	code, reps := s.runNow()
	if code != exitOK || reps[0].SaaSCounts.Created != 2 {
		t.Fatalf("exit %d, %+v", code, reps)
	}
	code, out, errs := s.agent("export", "--integration", "sso", "--kind", "saas_users", "--format", "jsonl")
	if code != exitOK {
		t.Fatalf("export: %s", errs)
	}
	got := map[string]map[string]any{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var rec map[string]any
		json.Unmarshal([]byte(line), &rec)
		got[rec["username"].(string)] = rec
	}
	washington := got["3470c8a8-475d-427d-92fb-1c831c975b5f"]
	if washington["status"] != "inactive" || washington["last_activity"] != "2020-03-15T15:56:53Z" {
		t.Errorf("George Washington (deactivatedAt set, one login): %v", washington)
	}
	if lincoln := got["006b223b-5531-41f2-9e01-420c5efe663b"]; lincoln["status"] != "active" {
		t.Errorf("Abraham Lincoln: %v", lincoln)
	}
}
