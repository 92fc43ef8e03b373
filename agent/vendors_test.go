package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/agentsync/agent/agent/config"
	"github.com/agentsync/agent/agent/engine"
	"github.com/agentsync/agent/agent/runner"
	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/credentials"
	"github.com/agentsync/agent/internal/vendorsim"
	"github.com/agentsync/agent/internal/vendortest"
)

// writeConfig writes an agent config (state in its folder's data/) with
// the integrations of text to a temporary folder and returns its path.
func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte("[agent]\ndata_dir = \"data\"\n"+text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// cli runs the CLI in-process against the config at path.
func cli(path string, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"--config", path}, args...), strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// runWithSecrets is run-now's path (config, store, runner) with an
// in-memory credential store, until the keyring is wired into the CLI.
func runWithSecrets(t *testing.T, path, name string, secrets vendortest.Secrets) engine.Report {
	t.Helper()
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), cfg.Agent.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r := &runner.Runner{Config: cfg, Store: st, Secrets: secrets, UserAgent: "agent/" + version}
	rep, err := r.Run(context.Background(), name, engine.Options{Trigger: engine.TriggerManual})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func exportLines(t *testing.T, path, name, kind string) map[string]map[string]any {
	t.Helper()
	code, out, errs := cli(path, "export", "--integration", name, "--kind", kind, "--format", "jsonl")
	if code != exitOK {
		t.Fatalf("export: exit %d: %s", code, errs)
	}
	recs := map[string]map[string]any{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		recs[rec["email"].(string)] = rec
	}
	return recs
}

// TestIroncladEndToEnd: an integration that names only the vendor and the
// credential (and the simulator's address) syncs every user across pages,
// and the default mapping fills people and SaaS users with the seven
// fields and both tracking fields, as export shows them. A failed run
// afterwards deactivates nobody.
func TestIroncladEndToEnd(t *testing.T) {
	const secret = "cw-SECRET-e2e-0f1e2d3c"
	sim := vendorsim.New(vendorsim.Config{Shape: vendorsim.ShapeIronclad, ClientID: "cw-client", Secret: secret, Users: 250, ExpireTokensAfter: 2})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	path := writeConfig(t, `
[[integration]]
name = "ironclad"
vendor = "ironclad-clickwrap"
credential = "ironclad-prod"
deactivate = true
  [integration.rest]
  base_url = "`+srv.URL+`"
  http.backoff = "1ms"
`)
	secrets := vendortest.Secrets{"ironclad-prod": {Kind: credentials.OAuth2Client, ClientID: "cw-client", ClientSecret: secret}}

	if code, out, errs := cli(path, "validate"); code != exitOK || !strings.Contains(out, "ironclad: launched") {
		t.Fatalf("validate: exit %d: %s%s", code, out, errs)
	}
	rep := runWithSecrets(t, path, "ironclad", secrets)
	if rep.Outcome != store.OutcomeSuccess || rep.Counts.Created != 250 || rep.SaaSCounts.Created != 250 {
		t.Fatalf("run: %+v", rep)
	}
	if sim.Requests.Load() < 3 || sim.TokenCalls.Load() != 2 {
		t.Errorf("%d page requests, %d tokens", sim.Requests.Load(), sim.TokenCalls.Load())
	}
	syncTime := rep.StartedAt.UTC().Format("2006-01-02T15:04:05Z")
	people := exportLines(t, path, "ironclad", "people")
	p := people["user0042@example.com"]
	custom, _ := p["custom"].(map[string]any)
	for k, want := range map[string]any{"email": "user0042@example.com", "full_name": "User Number 42", "locale": "fr-FR",
		"time_zone": "Europe/Paris", "verified": "false", "verified_at": "2024-03-03T03:30:00Z", "status": "active"} {
		if p[k] != want {
			t.Errorf("person %s = %v, want %v", k, p[k], want)
		}
	}
	for k, want := range map[string]string{"user_id": "1042", "connect_credentials": "ironclad-prod", "connector_sync_time": syncTime} {
		if custom[k] != want {
			t.Errorf("person custom.%s = %v, want %v", k, custom[k], want)
		}
	}
	saas := exportLines(t, path, "ironclad", "saas_users")
	s := saas["user0042@example.com"]
	sc, _ := s["custom"].(map[string]any)
	if s["application"] != "Ironclad Clickwrap" || sc["user_id"] != "1042" || sc["name"] != "User Number 42" || sc["locale"] != "fr-FR" ||
		sc["time_zone"] != "Europe/Paris" || sc["verified"] != "false" || sc["verified_at"] != "2024-03-03T03:30:00Z" ||
		sc["connect_credentials"] != "ironclad-prod" || sc["connector_sync_time"] != syncTime {
		t.Errorf("saas user = %v", s)
	}
	if len(people) != 250 || len(saas) != 250 {
		t.Errorf("%d people, %d saas users exported", len(people), len(saas))
	}

	// The secret is rotated at the vendor but not here: the run fails,
	// names the credential, and deactivates nobody.
	sim.Set(func(c *vendorsim.Config) { c.Secret = "rotated" })
	rep = runWithSecrets(t, path, "ironclad", secrets)
	if rep.Outcome != store.OutcomeFailed || !strings.Contains(rep.Error, `credential "ironclad-prod" was refused`) || strings.Contains(rep.Error, secret) {
		t.Fatalf("run with a stale secret: %+v", rep)
	}
	for email, rec := range exportLines(t, path, "ironclad", "people") {
		if rec["status"] != "active" {
			t.Errorf("%s deactivated by a failed run", email)
		}
	}
}

// TestRunNowFailsWithExitCode1 drives `agent run-now` itself against a
// REST vendor that needs no credential: a good run, then one whose second
// page keeps answering 500: exit 1, the report says why, nobody is
// deactivated.
func TestRunNowFailsWithExitCode1(t *testing.T) {
	var broken atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if broken.Load() && r.URL.Query().Get("page") == "2" {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		page := r.URL.Query().Get("page")
		body := map[string]string{
			"1": `{"users":[{"email":"a@example.com"},{"email":"b@example.com"}],"more":true}`,
			"2": `{"users":[{"email":"c@example.com"}],"more":false}`,
		}[page]
		io.WriteString(w, body)
	}))
	defer srv.Close()
	path := writeConfig(t, `
[[integration]]
name = "vendor-x"
vendor = "rest"
deactivate = true
max_deactivate_percent = 100
mapping = { "user.email" = "email" }
  [integration.rest]
  users_url = "`+srv.URL+`/users"
  records_path = "users"
  pagination = { type = "page_number", page_size = 2, has_more_path = "more" }
  http = { attempts = 2, backoff = "1ms" }
`)
	if code, out, errs := cli(path, "run-now", "--json"); code != exitOK || !strings.Contains(out, `"created":3`) {
		t.Fatalf("first run: exit %d: %s%s", code, out, errs)
	}
	broken.Store(true)
	code, out, _ := cli(path, "run-now", "--json")
	var rep engine.Report
	json.Unmarshal([]byte(out), &rep)
	if code != exitFailed || rep.Outcome != store.OutcomeFailed || !strings.Contains(rep.Error, "HTTP 500 Internal Server Error (2 attempts)") {
		t.Fatalf("exit %d, report %+v", code, rep)
	}
	for email, rec := range exportLines(t, path, "vendor-x", "people") {
		if rec["status"] != "active" {
			t.Errorf("%s deactivated by a failed run", email)
		}
	}
}
