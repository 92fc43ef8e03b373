package page

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/agentsync/agent/agent/config"
	"github.com/agentsync/agent/agent/engine"
	"github.com/agentsync/agent/agent/runner"
	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/credentials"
	_ "github.com/agentsync/agent/destinations/all"
	_ "github.com/agentsync/agent/vendors/file"
)

// secretToken is the webhook credential's value: no page may show it.
const secretToken = "tok-never-on-the-page-7f3a"

// fixture is a config and a store with real runs made by the runner:
// acme succeeded twice (creations, then a title change and a
// deactivation), broken failed (a malformed source line) and its failure
// is in the inbox, drafty is in draft, fresh never ran.
type fixture struct {
	dir    string
	cfg    *config.Config
	st     *store.Store
	runner *runner.Runner
	// acme's runs: the first (creations) and the second (changes).
	first, second string
	brokenRun     string
	invoicesRun   string // a run of "ap", an invoices (spend) integration
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	users := write("acme.jsonl", `{"email":"ann@example.com","name":"Ann","title":"Engineer","status":"active"}
{"email":"bob@example.com","name":"Bob","title":"Designer","status":"active"}
{"email":"cy@example.com","name":"Cy","title":"Support","status":"active"}
`)
	broken := write("broken.jsonl", `{"email":"x@example.com"}
{"email": not json
`)
	write("invoices.csv", "id,amount\nINV-1,12.50\n")
	toml := fmt.Sprintf(`[agent]
data_dir = %[1]q
time_zone = "UTC"
[keyring]
backend = "file"

[[destination]]
name = "hooks"
type = "webhook"
url = "https://hooks.example.com/secret-path/%[4]s"
credential = "hook-key"

[[integration]]
name = "acme"
vendor = "file"
schedule = "manual"
deactivate = true
max_deactivate_percent = 50
destinations = ["hooks"]
  [integration.mapping]
  "user.email" = "email"
  "user.full_name" = "name"
  "user.title" = "title"
  [integration.active]
  field = "status"
  inactive_values = ["disabled"]
  [integration.file]
  path = %[2]q

[[integration]]
name = "broken"
vendor = "file"
schedule = "daily 23:00"
contacts = ["ops@example.com"]
  [integration.mapping]
  "user.email" = "email"
  [integration.file]
  path = %[3]q

[[integration]]
name = "drafty"
vendor = "file"
schedule = "manual"
  [integration.mapping]
  "user.full_name" = "name"
  [integration.file]
  path = %[2]q

[[integration]]
name = "ap"
vendor = "file"
schedule = "manual"
mode = "spend"
  [integration.mapping]
  "invoice.invoice_id" = "id"
  "invoice.amount" = "amount"
  [integration.file]
  path = "invoices.csv"

[[integration]]
name = "fresh"
vendor = "file"
schedule = "every 6h"
  [integration.mapping]
  "user.email" = "email"
  [integration.file]
  path = %[2]q
`, dir, users, broken, "x")
	cfg, err := config.Parse(filepath.Join(dir, "config.toml"), []byte(toml))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	t.Setenv("AGENT_KEYRING_PASSPHRASE", "page-test")
	creds := credentials.Open(credentials.Options{Backend: "file", DataDir: dir})
	if _, err := creds.Set(ctx, "hook-key", credentials.Secret{Kind: credentials.APIKey, Token: secretToken}, time.Now().AddDate(0, 0, 30)); err != nil {
		t.Fatal(err)
	}
	f := &fixture{dir: dir, cfg: cfg, st: st, runner: &runner.Runner{Config: cfg, Store: st}}
	f.first = f.run(t, "acme", store.OutcomeSuccess)
	// Ann changes title, Cy is disabled at the source.
	write("acme.jsonl", `{"email":"ann@example.com","name":"Ann","title":"Staff Engineer","status":"active"}
{"email":"bob@example.com","name":"Bob","title":"Designer","status":"active"}
{"email":"cy@example.com","name":"Cy","title":"Support","status":"disabled"}
`)
	f.second = f.run(t, "acme", store.OutcomeSuccess)
	f.brokenRun = f.run(t, "broken", store.OutcomeFailed)
	f.invoicesRun = f.run(t, "ap", store.OutcomeSuccess)
	return f
}

// run runs the integration through the runner and checks its outcome.
func (f *fixture) run(t *testing.T, name, outcome string) string {
	t.Helper()
	rep, err := f.runner.Run(context.Background(), name, engine.Options{Trigger: engine.TriggerManual})
	if err != nil || rep.Outcome != outcome {
		t.Fatalf("run %s: %s (%s), %v; want %s", name, rep.Outcome, rep.Error, err, outcome)
	}
	return rep.RunID
}

// runNow is the Deps.RunNow of the service: the runner, synchronously.
func (f *fixture) runNow(ctx context.Context, name string) error {
	_, err := f.runner.Run(ctx, name, engine.Options{Trigger: engine.TriggerManual})
	return err
}

func (f *fixture) deps() Deps {
	return Deps{Config: func() *config.Config { return f.cfg }, Store: f.st, RunNow: f.runNow}
}
