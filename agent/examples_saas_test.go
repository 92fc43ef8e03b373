package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/agentsync/agent/agent/engine"
)

// saasExampleReport is `agent report saas --as-of 2026-06-30` over the
// SaaS discovery examples; README.md shows it.
const saasExampleReport = `SaaS applications as of 2026-06-30

APPLICATION           CATALOGUE  ACTIVE  INACTIVE  IDLE 30D  IDLE 60D  IDLE 90D  SEATS  UNUSED  SPEND 12M     NEXT END
Atlassian Jira Cloud  active     0       0         0         0         0         25     25      12345.60 EUR  2027-02-28
Figma                 -          0       0         0         0         0         -      -       540.00 USD    -
Miro                  active     0       0         0         0         0         5      5       960.00 USD    2026-11-19
Slack                 active     4       1         3         2         2         10     6       17010.00 EUR  2026-06-30
StratoKey (NetSuite)  active     0       0         0         0         0         -      -       -             -
Zoom                  active     3       1         1         1         0         4      1       1799.90 USD   2026-12-31
`

func readExampleJSONL(t *testing.T, name string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("%s: %q: %v", name, line, err)
		}
		out = append(out, m)
	}
	return out
}

func readExampleCSV(t *testing.T, name string) []map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var out []map[string]string
	for _, r := range rows[1:] {
		m := map[string]string{}
		for i, h := range rows[0] {
			m[h] = r[i]
		}
		out = append(out, m)
	}
	return out
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// rfc3339 is what the mapping's time transform makes of the examples' times.
func rfc3339(t *testing.T, s string) string {
	if s == "" {
		return ""
	}
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return at.UTC().Format(time.RFC3339)
}

// saasExamplesConfig is config.example.toml with its "SaaS discovery and
// spend" integrations uncommented, in a sandbox holding the examples.
func saasExamplesConfig(t *testing.T) *sandbox {
	t.Helper()
	s := newSandbox(t)
	cfg, err := os.ReadFile(s.cfg)
	if err != nil {
		t.Fatal(err)
	}
	text := string(cfg)
	start := strings.Index(text, "# [[integration]]\n# name = \"sso-apps\"")
	end := strings.Index(text, "# Push ingest:")
	if start < 0 || end < start {
		t.Fatal("config.example.toml: the SaaS discovery integrations are not where this test looks")
	}
	// Uncomment the TOML lines (tables and keys); prose stays a comment.
	toml := regexp.MustCompile(`^#\s+(\[|"?[A-Za-z_.]+"?\s*=)`)
	var b strings.Builder
	for _, line := range strings.SplitAfter(text[start:end], "\n") {
		if toml.MatchString(line) {
			line = strings.TrimPrefix(line, "# ")
		}
		b.WriteString(line)
	}
	s.write(s.cfg, text[:start]+b.String()+text[end:])
	for _, name := range []string{"sso-applications.jsonl", "sso-roster.jsonl", "sso-usage.jsonl", "invoices.csv", "invoices-de.csv", "contracts.csv"} {
		data, err := os.ReadFile(filepath.Join("..", "examples", name))
		if err != nil {
			t.Fatal(err)
		}
		s.write(filepath.Join(s.dir, "examples", name), string(data))
	}
	return s
}

// TestSaaSExamples runs the README's walkthrough through the CLI:
// config.example.toml's SaaS discovery integrations over the examples
// (the catalogue, then the roster across its applications with usage
// folded in, invoices, contracts), a rerun that changes nothing, the
// report README.md shows, and the German invoices through amount("de")
// landing as the same amounts.
func TestSaaSExamples(t *testing.T) {
	s := saasExamplesConfig(t)
	if code, out, errs := s.agent("validate"); code != exitOK {
		t.Fatalf("validate: exit %d\n%s%s", code, out, errs)
	}
	apps := readExampleJSONL(t, "sso-applications.jsonl")
	roster := readExampleJSONL(t, "sso-roster.jsonl")
	invoices := readExampleCSV(t, "invoices.csv")
	contracts := readExampleCSV(t, "contracts.csv")
	people := map[string]bool{}
	inactive := 0
	for _, u := range roster {
		people[str(u["uniqueId"])] = true
		if str(u["deactivatedAt"]) != "" {
			inactive++
		}
	}

	code, reps := s.runNow("sso-apps", "sso-roster", "finance", "contracts")
	if code != exitOK || len(reps) != 4 {
		t.Fatalf("run-now: exit %d, %d reports", code, len(reps))
	}
	got := map[string]engine.Report{}
	for _, r := range reps {
		if r.Outcome != "success" || len(r.Invalid) > 0 {
			t.Errorf("%s: %s %s %q", r.Integration, r.Outcome, r.Error, r.Invalid)
		}
		got[r.Integration] = r
	}
	if c := got["sso-apps"].Counts; c.Created != len(apps) {
		t.Errorf("sso-apps created %d, want %d", c.Created, len(apps))
	}
	if c := got["sso-roster"].Counts; c.Created != len(people) {
		t.Errorf("sso-roster created %d people, want %d", c.Created, len(people))
	}
	if c := got["sso-roster"].SaaSCounts; c == nil || c.Created != len(roster) {
		t.Errorf("sso-roster SaaS users %+v, want %d created", c, len(roster))
	}
	if c := got["finance"].Counts; c.Created != len(invoices) {
		t.Errorf("finance created %d, want %d", c.Created, len(invoices))
	}
	if c := got["contracts"].Counts; c.Created != len(contracts) {
		t.Errorf("contracts created %d, want %d", c.Created, len(contracts))
	}

	// Unchanged: the same files change nothing.
	_, reps = s.runNow("sso-apps", "sso-roster", "finance", "contracts")
	for _, r := range reps {
		if r.Counts.Created+r.Counts.Updated+r.Counts.Deactivated+r.Counts.Reactivated != 0 {
			t.Errorf("rerun of %s changed something: %+v", r.Integration, r.Counts)
		}
	}

	code, out, errs := s.agent("export", "--integration", "sso-roster", "--kind", "saas_users")
	if code != exitOK || strings.Count(out, `"status":"inactive"`) != inactive || strings.Count(out, `"application":"Slack"`) == 0 {
		t.Errorf("export saas_users: exit %d, %d inactive (want %d)\n%s%s", code, strings.Count(out, `"status":"inactive"`), inactive, out, errs)
	}

	code, out, errs = s.agent("report", "saas", "--as-of", "2026-06-30")
	if code != exitOK || out != saasExampleReport || errs != "" {
		t.Errorf("report: exit %d\n%s\nwant\n%s\nstderr: %s", code, out, saasExampleReport, errs)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), saasExampleReport) {
		t.Error("README.md does not show the examples' report (saasExampleReport)")
	}

	// A full load: StratoKey leaves the catalogue and Grace leaves Zoom's
	// roster (not Slack's); both come back the run after.
	dir := filepath.Join(s.dir, "examples")
	keep := func(name, drop1, drop2 string) (restore func()) {
		path := filepath.Join(dir, name)
		orig, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var kept []string
		for _, line := range strings.SplitAfter(string(orig), "\n") {
			if !(strings.Contains(line, drop1) && strings.Contains(line, drop2)) {
				kept = append(kept, line)
			}
		}
		if len(kept) != strings.Count(string(orig), "\n") {
			t.Fatalf("%s: want exactly one line with %q and %q", name, drop1, drop2)
		}
		s.write(path, strings.Join(kept, ""))
		return func() { s.write(path, string(orig)) }
	}
	statuses := func(integration, kind string) map[string]string {
		code, out, errs := s.agent("export", "--integration", integration, "--kind", kind)
		if code != exitOK {
			t.Fatalf("export %s: exit %d: %s", kind, code, errs)
		}
		st := map[string]string{}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			var r map[string]any
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				t.Fatal(err)
			}
			name := str(r["username"]) + str(r["name"])
			if app := str(r["application"]); app != "" {
				name = app + "/" + name
			}
			st[name] = str(r["status"])
		}
		return st
	}
	restoreApps := keep("sso-applications.jsonl", `"ssoAppName":"StratoKey`, "")
	restoreRoster := keep("sso-roster.jsonl", `"uniqueId":"grace.hopper@example.com"`, "b2fbc513-67ce-4698-9662-cfdd64f413c3")
	_, reps = s.runNow("sso-apps", "sso-roster")
	if c := reps[0].Counts; c.Deactivated != 1 {
		t.Errorf("sso-apps without StratoKey: %+v", c)
	}
	if c := reps[1].SaaSCounts; c == nil || c.Deactivated != 1 || reps[1].Counts.Deactivated != 0 {
		t.Errorf("sso-roster without Grace's Zoom account: people %+v, SaaS users %+v", reps[1].Counts, c)
	}
	if st := statuses("sso-apps", "applications"); st["StratoKey (NetSuite)"] != "inactive" || st["Slack"] != "active" {
		t.Errorf("applications: %v", st)
	}
	grace := "grace.hopper@example.com"
	if st := statuses("sso-roster", "saas_users"); st["Zoom/"+grace] != "inactive" || st["Slack/"+grace] != "active" {
		t.Errorf("SaaS users: %v", st)
	}
	if st := statuses("sso-roster", "people"); st[grace] != "active" {
		t.Errorf("people: %v", st)
	}
	restoreApps()
	restoreRoster()
	_, reps = s.runNow("sso-apps", "sso-roster")
	if reps[0].Counts.Reactivated != 1 || reps[1].SaaSCounts == nil || reps[1].SaaSCounts.Reactivated != 1 {
		t.Errorf("back: applications %+v, SaaS users %+v", reps[0].Counts, reps[1].SaaSCounts)
	}
	if st := statuses("sso-roster", "saas_users"); st["Zoom/"+grace] != "active" {
		t.Errorf("SaaS users after Grace came back: %v", st)
	}

	// The German file, read as config.example.toml says, gives the same amounts.
	cfg, err := os.ReadFile(s.cfg)
	if err != nil {
		t.Fatal(err)
	}
	german := strings.Replace(strings.Replace(string(cfg),
		`path = "examples/invoices.csv"`, `path = "examples/invoices-de.csv"`, 1),
		`"invoice.amount" = "amount"`, `"invoice.amount" = "amount | amount(\"de\")"`, 1)
	if german == string(cfg) {
		t.Fatal("config.example.toml: the finance integration's path or amount mapping moved")
	}
	_, before, _ := s.agent("export", "--integration", "finance", "--kind", "invoices")
	s.write(s.cfg, german)
	code, reps = s.runNow("finance")
	if code != exitOK || len(reps) != 1 || reps[0].Counts.Unchanged != len(invoices) || len(reps[0].Invalid) > 0 {
		t.Fatalf("finance from invoices-de.csv: exit %d, %+v", code, reps)
	}
	if _, after, _ := s.agent("export", "--integration", "finance", "--kind", "invoices"); after != before {
		t.Errorf("invoices-de.csv through amount(\"de\") stores other invoices:\n%s\nwant\n%s", after, before)
	}
}
