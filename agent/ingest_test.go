package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentsync/agent/agent/config"
	"github.com/agentsync/agent/agent/ingest"
	"github.com/agentsync/agent/agent/store"
)

const e2eIngestKey = "ingest-7c1d0e9b8a7f6e5d4c3b2a19"

// ingestAgent is an agent whose integration "hr" takes pushes, served by
// ingest.Handler the way `agent serve` mounts it.
type ingestAgent struct {
	t    *testing.T
	cfg  string
	srv  *httptest.Server
	logs bytes.Buffer
}

func newIngestAgent(t *testing.T) *ingestAgent {
	t.Helper()
	dir := t.TempDir()
	a := &ingestAgent{t: t, cfg: filepath.Join(dir, "config.toml")}
	os.MkdirAll(filepath.Join(dir, "schemas"), 0o700)
	schema, err := os.ReadFile("../examples/schemas/people.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "schemas", "people.json"), schema, 0o600); err != nil {
		t.Fatal(err)
	}
	text := configHead + `
[[schema]]
name = "people"
file = "schemas/people.json"

[[integration]]
name = "hr"
vendor = "ingest"
credential = "hr-ingest"
schema = "people"
deactivate = true
  [integration.mapping]
  "user.username" = "email | lower"
  "user.email" = "email"
  "user.first_name" = "first_name"
  "user.last_name" = "last_name"
  "user.department" = "department"
`
	if err := os.WriteFile(a.cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := a.cli(strings.NewReader(e2eIngestKey), "credentials", "set", "hr-ingest", "--kind", "api_key", "--secret-stdin"); code != exitOK {
		t.Fatalf("credentials set: %d %s", code, errs)
	}
	if code, out, errs := a.cli(nil, "validate"); code != exitOK || !strings.Contains(out, "launched") {
		t.Fatalf("validate: %d %s %s", code, out, errs)
	}
	cfg, err := config.Load(a.cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, cfg.Agent.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	secrets, closeSecrets, err := openSecrets(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeSecrets)
	mux := http.NewServeMux()
	mux.Handle(ingest.Prefix, ingest.Handler(ingest.Deps{
		Config:  func() *config.Config { return cfg },
		Store:   st,
		Secrets: secrets,
		Logger:  slog.New(slog.NewTextHandler(&a.logs, nil)),
	}))
	a.srv = httptest.NewServer(mux)
	t.Cleanup(a.srv.Close)
	return a
}

func (a *ingestAgent) cli(stdin io.Reader, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	code := run(context.Background(), append([]string{"--config", a.cfg}, args...), stdin, &out, &errb)
	if strings.Contains(out.String()+errb.String(), e2eIngestKey[7:20]) {
		a.t.Fatalf("the ingest key leaked into the output of %v", args)
	}
	return code, out.String(), errb.String()
}

func (a *ingestAgent) send(method, path, key, body string) (int, map[string]any) {
	a.t.Helper()
	req, _ := http.NewRequest(method, a.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Ingest-Key", key)
	resp, err := a.srv.Client().Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

func (a *ingestAgent) changes(args ...string) []changeJSON {
	a.t.Helper()
	code, out, errs := a.cli(nil, append([]string{"changes", "--json"}, args...)...)
	if code != exitOK {
		a.t.Fatalf("changes: %d %s", code, errs)
	}
	var list []changeJSON
	dec := json.NewDecoder(strings.NewReader(out))
	for dec.More() {
		var c changeJSON
		if err := dec.Decode(&c); err != nil {
			a.t.Fatal(err)
		}
		list = append(list, c)
	}
	return list
}

func (a *ingestAgent) export() string {
	a.t.Helper()
	code, out, errs := a.cli(nil, "export", "--integration", "hr", "--kind", "people", "--format", "jsonl")
	if code != exitOK {
		a.t.Fatalf("export: %d %s", code, errs)
	}
	return out
}

const (
	ada   = `{"email": "Ada@Example.com", "first_name": "Ada", "last_name": "Lovelace", "department": "R&D"}`
	grace = `{"email": "grace@example.com", "first_name": "Grace", "last_name": "Hopper", "department": "Navy"}`
	alan  = `{"email": "alan@example.com", "first_name": "Alan", "last_name": "Turing"}`
)

// TestIngestEndToEnd: a valid push, a schema failure with its pointer, a
// bad key, a bulk with one bad record and nothing applied, a delete, and
// event/actor in `agent changes`.
func TestIngestEndToEnd(t *testing.T) {
	a := newIngestAgent(t)

	code, body := a.send("POST", "/ingest/hr?event=hris.import&actor=%7B%22user%22%3A%22bob%22%7D", e2eIngestKey, "["+ada+","+grace+"]")
	if code != http.StatusCreated || body["counts"].(map[string]any)["created"] != 2.0 {
		t.Fatalf("valid push: %d %v", code, body)
	}

	code, body = a.send("POST", "/ingest/hr", e2eIngestKey, `{"email": "x@example.com", "first_name": 7, "last_name": "X"}`)
	if code != http.StatusUnprocessableEntity || body["pointer"] != "/first_name" {
		t.Fatalf("schema failure: %d %v", code, body)
	}

	code, body = a.send("POST", "/ingest/hr", "not-the-key", alan)
	if code != http.StatusUnauthorized {
		t.Fatalf("bad key: %d %v", code, body)
	}

	code, body = a.send("POST", "/ingest/hr", e2eIngestKey, "["+alan+`, {"email": "eve@example.com", "last_name": "E"}]`)
	if code != http.StatusUnprocessableEntity || body["record"] != 1.0 || body["pointer"] != "/1" {
		t.Fatalf("bulk with a bad record: %d %v", code, body)
	}
	if out := a.export(); strings.Contains(out, "alan@example.com") || strings.Count(out, "\n") != 2 {
		t.Fatalf("a refused bulk was applied:\n%s", out)
	}

	code, body = a.send("DELETE", "/ingest/hr/grace@example.com?event=offboarding&actor=hr-bot", e2eIngestKey, "")
	if code != http.StatusOK || body["counts"].(map[string]any)["deactivated"] != 1.0 {
		t.Fatalf("delete: %d %v", code, body)
	}
	out := a.export()
	if !strings.Contains(out, `"username":"ada@example.com"`) || !strings.Contains(out, `"status":"active"`) || !strings.Contains(out, `"status":"inactive"`) {
		t.Fatalf("export after the delete:\n%s", out)
	}

	all := a.changes("--integration", "hr")
	if len(all) != 3 {
		t.Fatalf("changes: %+v", all)
	}
	for _, c := range all[:2] {
		if c.Field != "" || c.New != "created" || c.Event != "hris.import" || c.Actor != `{"user":"bob"}` {
			t.Fatalf("creation %+v", c)
		}
	}
	if c := all[2]; c.Key != "grace@example.com" || c.Field != "status" || c.Old != "active" || c.New != "inactive" || c.Event != "offboarding" || c.Actor != "hr-bot" {
		t.Fatalf("deactivation %+v", c)
	}
	if got := a.changes("--key", "ada@example.com"); len(got) != 1 || got[0].Integration != "hr" {
		t.Fatalf("--key: %+v", got)
	}
	if got := a.changes("--since", "2999-01-01"); len(got) != 0 {
		t.Fatalf("--since in the future: %+v", got)
	}
	if got := a.changes("--limit", "1"); len(got) != 1 || got[0].Field != "status" {
		t.Fatalf("--limit 1: %+v", got)
	}
	code, human, _ := a.cli(nil, "changes")
	if code != exitOK || !strings.Contains(human, "offboarding") || !strings.Contains(human, "EVENT") {
		t.Fatalf("changes: %d\n%s", code, human)
	}
	if code, _, errs := a.cli(nil, "changes", "--since", "yesterday"); code != exitUsage || !strings.Contains(errs, "--since") {
		t.Fatalf("bad --since: %d %s", code, errs)
	}

	// Push-only: run-now of it says so; run-now of all skips it.
	if code, out, errs := a.cli(nil, "run-now", "hr"); code != exitFailed || !strings.Contains(out, "hr: not run: hr: integration is push-only: its records arrive at POST /ingest/hr") {
		t.Fatalf("run-now hr: %d %s %s", code, out, errs)
	}
	if code, _, errs := a.cli(nil, "run-now"); code != exitOK || !strings.Contains(errs, "has no launched integration") {
		t.Fatalf("run-now: %d %s", code, errs)
	}
	if strings.Contains(a.logs.String(), e2eIngestKey[7:20]) || strings.Contains(a.logs.String(), "Lovelace") {
		t.Fatalf("the log holds the key or a record:\n%s", a.logs.String())
	}
}
