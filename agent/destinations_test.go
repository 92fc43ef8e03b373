package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentsync/agent/agent/engine"
	"github.com/agentsync/agent/destinations/webhook"
	"github.com/agentsync/agent/internal/oomnitzasim"
)

// oomToken is the tenant's API token in these tests: a secret, so it must
// never show up in any output or in the store.
const oomToken = "oomtok-9f3c1a7e5b2d4c6e8a0f"

// tenantAgent is an agent whose integration "people" reads a JSONL file
// and delivers to destination "oom", an Oomnitza simulator on loopback.
type tenantAgent struct {
	t      *testing.T
	dir    string
	cfg    string
	users  string
	tenant *oomnitzasim.Sim
	url    string
}

// person is one line of the test's source file.
type person struct {
	ID, Email, First, Last, Role, Status string
}

func (p person) line() string {
	b, _ := json.Marshal(map[string]string{"id": p.ID, "email": p.Email, "first_name": p.First, "last_name": p.Last, "role": p.Role, "status": p.Status})
	return string(b)
}

func somePeople(n int) []person {
	out := make([]person, n)
	for i := range out {
		out[i] = person{ID: fmt.Sprint(1000 + i), Email: fmt.Sprintf("user%03d@example.com", i), First: fmt.Sprintf("First%d", i), Last: fmt.Sprintf("Last%d", i), Role: "user", Status: "active"}
	}
	return out
}

func newTenantAgent(t *testing.T, extra string) *tenantAgent {
	t.Helper()
	tenant := oomnitzasim.New(oomnitzasim.Config{Token: oomToken, CSRFToken: "csrf-abc"})
	srv := httptest.NewServer(tenant)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	a := &tenantAgent{t: t, dir: dir, cfg: filepath.Join(dir, "config.toml"), users: filepath.Join(dir, "users.jsonl"), tenant: tenant, url: srv.URL}
	a.config("users", "create_update", extra)
	a.setPeople(somePeople(10))
	if code, _, errs := a.cli(strings.NewReader(oomToken), "credentials", "set", "oom-token", "--kind", "api_key", "--secret-stdin"); code != exitOK {
		t.Fatalf("credentials set: exit %d: %s", code, errs)
	}
	return a
}

// config writes the config: integration "people" in mode and preference,
// extra TOML appended to the destination table.
func (a *tenantAgent) config(mode, preference, extra string) {
	a.t.Helper()
	saasMapping := ""
	if mode == "users+saas_users" {
		saasMapping = "  \"saas_user.role\" = \"role\"\n"
	}
	text := fmt.Sprintf(configHead+`
[http]
listen = ""                        # TestDeliveredAfterAKill runs the service: no port of the machine's

[[destination]]
name = "oom"
type = "oomnitza"
url = %q
credential = "oom-token"
batch_size = 4
%s

[[integration]]
name = "people"
vendor = "file"
mode = %q
application = "Acme CRM"
preference = %q
deactivate = true
max_deactivate_percent = 50
schedule = "manual"
destinations = ["oom"]
  [integration.mapping]
  "user.username" = "email | lower"
  "user.email" = "email"
  "user.first_name" = "first_name"
  "user.last_name" = "last_name"
  "user.employee_id" = "id"
%s  [integration.active]
  field = "status"
  inactive_values = ["inactive"]
  [integration.file]
  path = "users.jsonl"
  format = "jsonl"
`, a.url, extra, mode, preference, saasMapping)
	if err := os.WriteFile(a.cfg, []byte(text), 0o600); err != nil {
		a.t.Fatal(err)
	}
}

func (a *tenantAgent) setPeople(ps []person) {
	a.t.Helper()
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.line() + "\n")
	}
	if err := os.WriteFile(a.users, []byte(b.String()), 0o600); err != nil {
		a.t.Fatal(err)
	}
}

func (a *tenantAgent) cli(stdin io.Reader, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	code := run(context.Background(), append([]string{"--config", a.cfg}, args...), stdin, &out, &errb)
	a.noSecret(out.String() + errb.String())
	return code, out.String(), errb.String()
}

func (a *tenantAgent) runNow() (int, engine.Report) {
	a.t.Helper()
	code, out, errs := a.cli(nil, "run-now", "--json", "people")
	return code, parseReport(a.t, out, errs)
}

// noSecret fails when any 8 characters of the token appear in s.
func (a *tenantAgent) noSecret(s string) {
	a.t.Helper()
	for i := 0; i+8 <= len(oomToken); i++ {
		if strings.Contains(s, oomToken[i:i+8]) {
			a.t.Fatalf("a piece of the API token (%q) leaked into: %s", oomToken[i:i+8], s)
		}
	}
}

// storeHasNoSecret reads every file of data_dir (the database, its WAL)
// and fails on a piece of the token.
func (a *tenantAgent) storeHasNoSecret() {
	a.t.Helper()
	for _, name := range []string{"agent.db", "agent.db-wal"} {
		b, err := os.ReadFile(filepath.Join(a.dir, "data", name))
		if err == nil {
			a.noSecret(string(b))
		}
	}
}

// exported returns the people of `agent export` by username.
func (a *tenantAgent) exported() map[string]map[string]any {
	a.t.Helper()
	code, out, errs := a.cli(nil, "export", "--integration", "people", "--kind", "people", "--format", "jsonl")
	if code != exitOK {
		a.t.Fatalf("export: exit %d: %s", code, errs)
	}
	m := map[string]map[string]any{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var r map[string]any
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			a.t.Fatal(err)
		}
		m[r["username"].(string)] = r
	}
	return m
}

// tenantMatchesExport compares what the tenant holds with the export:
// the same people, with the default mapping's fields and the status.
func (a *tenantAgent) tenantMatchesExport() {
	a.t.Helper()
	users, exp := a.tenant.Users(), a.exported()
	if len(users) != len(exp) {
		a.t.Fatalf("the tenant holds %d users, the export %d", len(users), len(exp))
	}
	for key, r := range exp {
		u, ok := users[key]
		if !ok {
			a.t.Fatalf("the tenant lacks %s", key)
		}
		want := map[string]any{"USER": r["username"], "EMAIL": r["email"], "FIRST_NAME": r["first_name"], "LAST_NAME": r["last_name"], "STATUS": "Active"}
		if r["status"] == "inactive" {
			want["STATUS"] = "Inactive"
		}
		for k, v := range want {
			if u[k] != v {
				a.t.Errorf("tenant %s: %s = %v, the export says %v", key, k, u[k], v)
			}
		}
	}
}

func (a *tenantAgent) portions() []oomnitzasim.Portion { return a.tenant.Portions() }

func TestDeliverToOomnitza(t *testing.T) {
	a := newTenantAgent(t, "")

	// First run: one portion with every record, finalized.
	code, rep := a.runNow()
	if code != exitOK || rep.Outcome != "success" {
		t.Fatalf("first run: exit %d, %+v", code, rep)
	}
	if d := rep.Delivery["oom"]; d.Sent != 10 || d.Queued != 0 || d.Error != "" {
		t.Fatalf("first run's delivery = %+v, want 10 sent, 0 queued", d)
	}
	ps := a.portions()
	if len(ps) != 1 || !ps[0].Finalized || ps[0].Records != 10 || ps[0].Batches != 3 || ps[0].ConnectorName != "people" || ps[0].DataType != "users" {
		t.Fatalf("portions after the first run = %+v, want one finalized portion of 10 records in 3 batches", ps)
	}
	if ps[0].InsertOnly || ps[0].UpdateOnly {
		t.Errorf("create_update sent insert_only=%v update_only=%v", ps[0].InsertOnly, ps[0].UpdateOnly)
	}
	a.tenantMatchesExport()

	// No change: nothing sent.
	before := len(a.tenant.RequestLog())
	if code, rep := a.runNow(); code != exitOK || rep.Delivery["oom"].Sent != 0 {
		t.Fatalf("no-change run: exit %d, delivery %+v", code, rep.Delivery)
	}
	for _, r := range a.tenant.RequestLog()[before:] {
		if strings.HasPrefix(r.Path, "/api/v3/bulk") {
			t.Fatalf("a no-change run sent %s %s", r.Method, r.Path)
		}
	}

	// A rename and a removal: exactly those two records.
	people := somePeople(10)
	people[3].Last = "Renamed"
	people = append(people[:7], people[8:]...)
	a.setPeople(people)
	code, rep = a.runNow()
	if code != exitOK || rep.Counts.Updated != 1 || rep.Counts.Deactivated != 1 {
		t.Fatalf("rename+removal run: exit %d, counts %+v, error %s", code, rep.Counts, rep.Error)
	}
	ps = a.portions()
	if len(ps) != 2 || ps[1].Records != 2 || !ps[1].Finalized {
		t.Fatalf("portions after rename+removal = %+v, want a second portion of 2 records", ps)
	}
	users := a.tenant.Users()
	if users["user003@example.com"]["LAST_NAME"] != "Renamed" || users["user007@example.com"]["STATUS"] != "Inactive" {
		t.Fatalf("tenant: user003 %v, user007 %v", users["user003@example.com"], users["user007@example.com"])
	}
	a.tenantMatchesExport()

	// An outage: the run succeeds, the queue holds the change, status shows it.
	a.tenant.FailWith(http.StatusServiceUnavailable, -1)
	a.tenant.SetRetryAfter("1")
	people[0].First = "Changed"
	a.setPeople(people)
	code, rep = a.runNow()
	if rep.Outcome != "success" || code != exitFailed {
		t.Fatalf("run during the outage: exit %d (want 1), outcome %s", code, rep.Outcome)
	}
	if d := rep.Delivery["oom"]; d.Error == "" || d.Queued != 1 || !strings.Contains(d.Error, "503") {
		t.Fatalf("delivery during the outage = %+v, want an error naming 503 and 1 queued", d)
	}
	code, out, _ := a.cli(nil, "status", "--json")
	var st struct {
		Destinations map[string]destinationJSON `json:"destinations"`
	}
	if err := json.Unmarshal([]byte(strings.Split(out, "\n")[0]), &st); err != nil || code != exitOK {
		t.Fatalf("status --json: exit %d, %v: %s", code, err, out)
	}
	if d := st.Destinations["oom"]; d.Queued != 1 || !strings.Contains(d.Error, "503") || d.LastDeliveredAt == nil {
		t.Fatalf("status during the outage = %+v", d)
	}
	if _, out, _ := a.cli(nil, "status"); !strings.Contains(out, "oom") || !strings.Contains(out, "503") {
		t.Fatalf("status does not show the failing destination:\n%s", out)
	}

	// Recovery: agent deliver sends it, and the tenant equals the export.
	a.tenant.FailWith(0, 0)
	code, out, errs := a.cli(nil, "deliver")
	if code != exitOK || !strings.Contains(out, "people -> oom: 1 sent, 0 queued") {
		t.Fatalf("deliver after recovery: exit %d: %s %s", code, out, errs)
	}
	a.tenantMatchesExport()

	// A refused token: a clear error naming the destination, queue kept.
	a.cli(strings.NewReader("wrong-token-value"), "credentials", "set", "oom-token", "--kind", "api_key", "--secret-stdin")
	people[1].First = "Again"
	a.setPeople(people)
	if code, rep := a.runNow(); code != exitFailed || !strings.Contains(rep.Delivery["oom"].Error, "credential") {
		t.Fatalf("run with a token refused: exit %d (want 1), delivery %+v", code, rep.Delivery)
	}
	code, out, _ = a.cli(nil, "deliver", "--json")
	if code != exitFailed || !strings.Contains(out, "destination oom") || !strings.Contains(out, "401") {
		t.Fatalf("deliver with a bad token: exit %d: %s", code, out)
	}
	if code, out, _ := a.cli(nil, "credentials", "test", "oom-token"); code != exitFailed || !strings.Contains(out, "FAILED") {
		t.Fatalf("credentials test with a bad token: exit %d: %s", code, out)
	}
	a.cli(strings.NewReader(oomToken), "credentials", "set", "oom-token", "--kind", "api_key", "--secret-stdin")
	if code, out, _ := a.cli(nil, "credentials", "test", "oom-token"); code != exitOK || !strings.Contains(out, "OK") {
		t.Fatalf("credentials test: exit %d: %s", code, out)
	}

	// A cancelled portion stops the delivery with a clear error.
	a.tenant.CancelPortions(true)
	code, out, _ = a.cli(nil, "deliver")
	if code != exitFailed || !strings.Contains(out, "cancelled") {
		t.Fatalf("deliver into a cancelled portion: exit %d: %s", code, out)
	}
	a.tenant.CancelPortions(false)
	if code, out, _ := a.cli(nil, "deliver"); code != exitOK {
		t.Fatalf("deliver after the cancel: exit %d: %s", code, out)
	}
	a.tenantMatchesExport()

	// deliver --full sends every record again.
	code, out, _ = a.cli(nil, "deliver", "--full", "people")
	if code != exitOK || !strings.Contains(out, "10 sent") {
		t.Fatalf("deliver --full: exit %d: %s", code, out)
	}
	a.storeHasNoSecret()
}

func TestDeliverPreferenceAndSaaSUsers(t *testing.T) {
	a := newTenantAgent(t, "")
	a.config("users+saas_users", "create_only", "")
	if code, rep := a.runNow(); code != exitOK {
		t.Fatalf("run: exit %d: %+v", code, rep)
	}
	ps := a.portions()
	if len(ps) != 1 || !ps[0].InsertOnly || ps[0].UpdateOnly {
		t.Fatalf("create_only portion = %+v, want insert_only", ps)
	}
	u := a.tenant.Users()["user002@example.com"]
	saas, _ := u["saas"].(map[string]any)
	crm, _ := saas["Acme CRM"].(map[string]any)
	if crm == nil || crm["status"] != "active" || crm["role"] != "user" {
		t.Fatalf("the tenant's user002 has no SaaS user of Acme CRM: %v", u)
	}
	// A SaaS-only change sends that person's record, with its SaaS user.
	people := somePeople(10)
	people[2].Role = "admin"
	a.setPeople(people)
	a.config("users+saas_users", "update_only", "")
	if code, rep := a.runNow(); code != exitOK || rep.Delivery["oom"].Sent != 1 {
		t.Fatalf("role change: exit %d, %+v", code, rep.Delivery)
	}
	ps = a.portions()
	if last := ps[len(ps)-1]; !last.UpdateOnly || last.Records != 1 {
		t.Fatalf("update_only portion = %+v", last)
	}
	crm = a.tenant.Users()["user002@example.com"]["saas"].(map[string]any)["Acme CRM"].(map[string]any)
	if crm["role"] != "admin" {
		t.Fatalf("the SaaS user's role on the tenant = %v, want admin", crm["role"])
	}
}

func TestWebhookSignedBatches(t *testing.T) {
	const key = "whk-5e1d9c3b7a2f4e6d"
	var mu sync.Mutex
	var bodies []map[string]any
	var idem []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		if want := webhook.Sign([]byte(key), raw); !hmac.Equal([]byte(r.Header.Get(webhook.SignatureHeader)), []byte(want)) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var b map[string]any
		if err := json.Unmarshal(raw, &b); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		bodies = append(bodies, b)
		idem = append(idem, r.Header.Get(webhook.IdempotencyHeader))
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer hook.Close()
	a := newTenantAgent(t, "")
	text, _ := os.ReadFile(a.cfg)
	cfg := strings.Replace(string(text), `destinations = ["oom"]`, `destinations = ["hook"]`, 1)
	cfg = strings.Replace(cfg, "[[integration]]", fmt.Sprintf("[[destination]]\nname = \"hook\"\ntype = \"webhook\"\nurl = %q\ncredential = \"hook-key\"\nbatch_size = 4\n\n[[integration]]", hook.URL), 1)
	cfg = strings.Replace(cfg, `mode = "users"`, `mode = "users+saas_users"`, 1)
	cfg = strings.Replace(cfg, `  "user.employee_id" = "id"`, "  \"user.employee_id\" = \"id\"\n  \"saas_user.role\" = \"role\"", 1)
	os.WriteFile(a.cfg, []byte(cfg), 0o600)
	if code, _, errs := a.cli(strings.NewReader(key), "credentials", "set", "hook-key", "--kind", "api_key", "--secret-stdin"); code != exitOK {
		t.Fatal(errs)
	}
	code, rep := a.runNow()
	if code != exitOK || rep.Delivery["hook"].Sent != 20 {
		t.Fatalf("run: exit %d, delivery %+v", code, rep.Delivery)
	}
	if len(bodies) != 5 {
		t.Fatalf("the webhook got %d batches, want 5 (20 records by 4)", len(bodies))
	}
	first := bodies[0]
	ch := first["changes"].([]any)[0].(map[string]any)
	if first["integration"] != "people" || first["batch"] != float64(1) || first["run_id"] != rep.RunID || ch["op"] != "snapshot" || ch["kind"] != "person" {
		t.Fatalf("first batch = %v", first)
	}
	if want := rep.RunID + "-hook-1"; idem[0] != want {
		t.Fatalf("Idempotency-Key = %q, want %q", idem[0], want)
	}
	// Later: only the changes, with their ops.
	people := somePeople(10)
	people[5].Status = "inactive"
	a.setPeople(people)
	bodies = nil
	if code, rep := a.runNow(); code != exitOK || rep.Delivery["hook"].Sent != 2 {
		t.Fatalf("run: exit %d, %+v", code, rep.Delivery)
	}
	ops := map[string]bool{}
	for _, c := range bodies[0]["changes"].([]any) {
		c := c.(map[string]any)
		ops[c["kind"].(string)+":"+c["op"].(string)] = true
	}
	if !ops["person:deactivate"] || !ops["saas_user:deactivate"] {
		t.Fatalf("changes = %v, want the person and its SaaS user deactivated", bodies[0])
	}
}

// TestDeliveryFailingForAnHour: the contacts are told once when a
// destination has failed for an hour, and once when it works again.
func TestDeliveryFailingForAnHour(t *testing.T) {
	a := newTenantAgent(t, "")
	a.tenant.FailWith(http.StatusBadRequest, -1) // not retried: fails at once
	if code, _ := a.runNow(); code != exitFailed {
		t.Fatalf("run-now with a failing destination: exit %d, want 1", code)
	}
	events := func() []string {
		_, out, _ := a.cli(nil, "notifications", "--json")
		var evs []string
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			var n map[string]any
			if json.Unmarshal([]byte(line), &n) == nil {
				evs = append(evs, fmt.Sprint(n["event"]))
			}
		}
		return evs
	}
	if evs := events(); strings.Contains(strings.Join(evs, ","), "delivery_failed") {
		t.Fatalf("told after one failure: %v", evs)
	}
	// It has been failing for two hours.
	db, err := sql.Open("sqlite", filepath.Join(a.dir, "data", "agent.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE deliveries SET failing_since = ?`, time.Now().Add(-2*time.Hour).UTC().Format(time.RFC3339Nano)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for range 2 {
		if code, _, _ := a.cli(nil, "deliver"); code != exitFailed {
			t.Fatalf("deliver: exit %d, want 1", code)
		}
	}
	if evs := strings.Join(events(), ","); strings.Count(evs, "delivery_failed") != 1 {
		t.Fatalf("events = %s, want delivery_failed once", evs)
	}
	a.tenant.FailWith(0, 0)
	if code, out, _ := a.cli(nil, "deliver"); code != exitOK {
		t.Fatalf("deliver after recovery: exit %d: %s", code, out)
	}
	_, out, _ := a.cli(nil, "notifications")
	if !strings.Contains(out, "delivery of people to oom works again") {
		t.Fatalf("no recovery message in the inbox:\n%s", out)
	}
	if code, _, _ := a.cli(nil, "deliver"); code != exitOK || strings.Count(strings.Join(events(), ","), "recovered") != 1 {
		t.Fatalf("recovery told more than once: %v", events())
	}
	a.tenantMatchesExport()
}

// TestFailedRunQueuesNothing: a run that fails after creating a person
// (the guard stops it) queues nothing; the next successful run queues them, and they are
// delivered then. A dry run sends nothing either.
func TestFailedRunQueuesNothing(t *testing.T) {
	a := newTenantAgent(t, "")
	if code, _ := a.runNow(); code != exitOK {
		t.Fatal("first run failed")
	}
	// Six of ten gone and one new: the guard (50%) fails the run after
	// the new person was created.
	people := append(somePeople(10), person{ID: "2000", Email: "new@example.com", First: "New", Last: "Person", Role: "user", Status: "active"})
	a.setPeople(people[6:])
	code, rep := a.runNow()
	if code != exitFailed || rep.Outcome != "failed" || rep.Counts.Created != 1 || len(rep.Delivery) > 0 && rep.Delivery["oom"].Sent != 0 {
		t.Fatalf("failed run: exit %d, %s, created %d, delivery %+v", code, rep.Outcome, rep.Counts.Created, rep.Delivery)
	}
	if _, ok := a.tenant.Users()["new@example.com"]; ok || len(a.portions()) != 1 {
		t.Fatalf("a failed run's creation reached the tenant: %d portions", len(a.portions()))
	}
	dry := slices.Clone(people)
	dry[0].Last = "DryRunOnly"
	a.setPeople(dry)
	if code, out, _ := a.cli(nil, "run-now", "--dry-run", "people"); code != exitOK || len(a.portions()) != 1 || !strings.Contains(out, "1 updated") {
		t.Fatalf("dry run: exit %d, %d portions: %s", code, len(a.portions()), out)
	}
	a.setPeople(people)
	if code, rep := a.runNow(); code != exitOK || rep.Delivery["oom"].Sent != 1 {
		t.Fatalf("the next run: exit %d, delivery %+v", code, rep.Delivery)
	}
	a.tenantMatchesExport()
}
