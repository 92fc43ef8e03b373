package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/agent/store/storetest"
)

// recordsConfig has three file integrations; the store below holds an SSO
// catalogue for "sso", invoices and contracts for "finance" and people and
// SaaS users for "crm". "idle" has never run.
const recordsConfig = `
[agent]
data_dir = "data"

[[integration]]
name = "sso"
vendor = "file"
mode = "users"
  [integration.mapping]
  "user.email" = "email"
  [integration.file]
  path = "users.jsonl"

[[integration]]
name = "finance"
vendor = "file"
mode = "users"
  [integration.mapping]
  "user.email" = "email"
  [integration.file]
  path = "users.jsonl"

[[integration]]
name = "crm"
vendor = "file"
mode = "users+saas_users"
application = "CRM"
  [integration.mapping]
  "user.email" = "email"
  [integration.file]
  path = "users.jsonl"

[[integration]]
name = "idle"
vendor = "file"
mode = "users+saas_users"
application = "Idle"
  [integration.mapping]
  "user.email" = "email"
  [integration.file]
  path = "users.jsonl"
`

func TestStatusCountsEachKind(t *testing.T) {
	s := newSandbox(t)
	s.write(s.cfg, recordsConfig)
	s.write(filepath.Join(s.dir, "users.jsonl"), `{"email":"ada@example.com"}`+"\n")
	st, err := store.Open(context.Background(), filepath.Join(s.dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 1, 23, 0, 0, 0, time.UTC)
	app := func(key string) storetest.Rec {
		return storetest.Rec{Kind: store.Application, Key: key, Fields: map[string]string{"name": key}}
	}
	storetest.Sync(t, st, "sso", "r1", t0, []storetest.Rec{app("Slack"), app("Zoom"), app("Miro")})
	storetest.Sync(t, st, "sso", "r2", t0.Add(24*time.Hour), []storetest.Rec{app("Slack"), app("Zoom")}) // Miro gone: inactive
	storetest.Sync(t, st, "finance", "r3", t0, []storetest.Rec{
		{Kind: store.Invoice, Key: "INV-1"}, {Kind: store.Invoice, Key: "INV-2"},
		{Kind: store.Contract, Key: "C-1"}, {Kind: store.Contract, Key: "C-2", Inactive: true},
	})
	storetest.Sync(t, st, "crm", "r4", t0, []storetest.Rec{
		{Kind: store.Person, Key: "ada"}, {Kind: store.Person, Key: "bob", Inactive: true},
		{Kind: store.SaaSUser, Application: "CRM", Key: "ada"},
	})
	st.Close()

	code, out, errs := s.agent("status", "--json")
	if code != exitOK {
		t.Fatalf("status --json: exit %d: %s", code, errs)
	}
	type kc = map[string]store.KindCount
	want := map[string]kc{
		"sso":     {"applications": {Active: 2, Inactive: 1}},
		"finance": {"people": {}, "invoices": {Active: 2}, "contracts": {Active: 1, Inactive: 1}},
		"crm":     {"people": {Active: 1, Inactive: 1}, "saas_users": {Active: 1}},
		"idle":    {"people": {}, "saas_users": {}},
	}
	want["sso"]["people"] = store.KindCount{} // its mode ("users") writes people: shown at 0
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var obj struct {
			Integration string `json:"integration"`
			Records     kc     `json:"records"`
		}
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		w := want[obj.Integration]
		if len(obj.Records) != len(w) {
			t.Errorf("%s: records = %v, want %v", obj.Integration, obj.Records, w)
		}
		for k, c := range w {
			if got, ok := obj.Records[k]; !ok || got != c {
				t.Errorf("%s: records[%s] = %+v (%v), want %+v", obj.Integration, k, got, ok, c)
			}
		}
		delete(want, obj.Integration)
	}
	if len(want) != 0 {
		t.Errorf("status --json left out %v", want)
	}

	code, out, errs = s.agent("status")
	if code != exitOK {
		t.Fatalf("status: exit %d: %s", code, errs)
	}
	for _, w := range []string{
		"people 0 active, 0 inactive; applications 2 active, 1 inactive\n",
		"people 0 active, 0 inactive; invoices 2; contracts 1 active, 1 inactive\n",
		"people 1 active, 1 inactive; SaaS users 1 active, 0 inactive\n",
		"people 0 active, 0 inactive; SaaS users 0 active, 0 inactive\n",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("status lacks %q:\n%s", w, out)
		}
	}
}

// The modes of the discovery kinds (config arrives with them) show their
// kind at 0 before the first run.
func TestIntegrationCountsByMode(t *testing.T) {
	for mode, want := range map[string]string{
		"applications": "applications 0 active, 0 inactive",
		"spend":        "invoices 0",
		"contracts":    "contracts 0 active, 0 inactive",
		"unknown":      "-",
	} {
		if got := recordsText(integrationCounts(nil, mode)); got != want {
			t.Errorf("mode %s: %q, want %q", mode, got, want)
		}
	}
}
