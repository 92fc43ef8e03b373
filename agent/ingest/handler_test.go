package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentsync/agent/agent/config"
	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/credentials"
	_ "github.com/agentsync/agent/destinations/webhook" // the destination of the config
	_ "github.com/agentsync/agent/vendors/file"         // a non-ingest integration
)

// ingestKey is the pushers' secret; no piece of it may reach a log.
const ingestKey = "ik_9f8e7d6c5b4a39281706f5e4d3c2b1a0"

// unsetPassphrase names an environment variable nobody sets: the file
// keyring uses its key file in data_dir.
const unsetPassphrase = "AGENT_TEST_UNSET_KEYRING_PASSPHRASE"

const peopleSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "required": ["email", "name"],
  "properties": {
    "email": {"type": "string", "format": "email"},
    "name": {"type": "string"},
    "status": {"enum": ["active", "inactive"]},
    "manager": {"type": "object", "properties": {"email": {"type": "string"}}}
  },
  "unevaluatedProperties": false
}`

// configText is a config with three ingest integrations ("people", which
// deactivates; "keep", which does not; "ap", invoices, which are never
// deactivated) and a file one.
const configText = `[agent]
data_dir = "data"
log_level = "error"

[keyring]
backend = "file"
passphrase_env = %q

[[schema]]
name = "people"
file = "schemas/people.json"

[[integration]]
name = "people"
vendor = "ingest"
credential = "ingest-key"
schema = "people"
deactivate = true
destinations = ["hook"]
  [integration.mapping]
  "user.username" = "email | lower"
  "user.email" = "email"
  "user.full_name" = "name"
  [integration.active]
  field = "status"
  inactive_values = ["inactive"]
  [integration.ingest]
  max_body_bytes = 4096
  max_records = 5
  rate = 1
  burst = 100

[[integration]]
name = "keep"
vendor = "ingest"
credential = "ingest-key"
schema = "people"
  [integration.mapping]
  "user.email" = "email"

[[integration]]
name = "ap"
vendor = "ingest"
credential = "ingest-key"
schema = "people"
mode = "spend"
deactivate = true
  [integration.mapping]
  "invoice.invoice_id" = "email"
  "invoice.amount" = "amount"

[[integration]]
name = "export"
vendor = "file"
schedule = "manual"
  [integration.mapping]
  "user.email" = "email"
  [integration.file]
  path = "users.jsonl"

[[destination]]
name = "hook"
type = "webhook"
url = "https://hooks.example.com/agent"
`

type fixture struct {
	t       *testing.T
	cfg     *config.Config
	st      *store.Store
	srv     *httptest.Server
	logs    *bytes.Buffer
	now     time.Time
	mu      sync.Mutex
	deliver chan string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "schemas"), 0o700)
	if err := os.WriteFile(filepath.Join(dir, "schemas", "people.json"), []byte(peopleSchema), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(path, fmt.Appendf(nil, configText, unsetPassphrase), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, cfg.Agent.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	secrets := credentials.Open(credentials.Options{Backend: "file", DataDir: cfg.Agent.DataDir, PassphraseEnv: unsetPassphrase, Service: "agent-test"})
	t.Cleanup(func() { secrets.Close() })
	if _, err := secrets.Set(ctx, "ingest-key", credentials.Secret{Kind: credentials.APIKey, Token: ingestKey}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, cfg: cfg, st: st, logs: &bytes.Buffer{}, now: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), deliver: make(chan string, 10)}
	h := Handler(Deps{
		Config:  func() *config.Config { return cfg },
		Store:   st,
		Secrets: secrets,
		Logger:  slog.New(slog.NewTextHandler(lockedWriter{f}, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Deliver: func(ctx context.Context, integration string) { f.deliver <- integration },
		Now:     f.clock,
	})
	mux := http.NewServeMux()
	mux.Handle(Prefix, h) // as the agent's server mounts it
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	t.Cleanup(f.noLeak)
	return f
}

type lockedWriter struct{ f *fixture }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.f.mu.Lock()
	defer w.f.mu.Unlock()
	return w.f.logs.Write(p)
}

func (f *fixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

// noLeak fails when the log holds a piece of the key or a pushed value.
func (f *fixture) noLeak() {
	f.mu.Lock()
	logs := f.logs.String()
	f.mu.Unlock()
	for i := 0; i+8 <= len(ingestKey); i++ {
		if strings.Contains(logs, ingestKey[i:i+8]) {
			f.t.Errorf("a piece of the ingest key (%q) is in the log:\n%s", ingestKey[i:i+8], logs)
			return
		}
	}
	for _, v := range []string{"example.com", "Ada Lovelace", "wrong-key"} {
		if strings.Contains(logs, v) {
			f.t.Errorf("pushed data or a key %q is in the log:\n%s", v, logs)
		}
	}
}

type answer struct {
	code   int
	header http.Header
	body   map[string]any
}

func (f *fixture) do(method, path, ctype, key, body string) answer {
	f.t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if key != "" {
		req.Header.Set(KeyHeader, key)
	}
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{code: resp.StatusCode, header: resp.Header}
	if err := json.Unmarshal(raw, &a.body); err != nil {
		f.t.Fatalf("%s %s: %d, body not JSON: %q", method, path, resp.StatusCode, raw)
	}
	return a
}

func (f *fixture) post(path, key, body string) answer {
	f.t.Helper()
	return f.do(http.MethodPost, path, "application/json", key, body)
}

func (f *fixture) records(integration string) map[string]store.Record {
	f.t.Helper()
	out := map[string]store.Record{}
	err := f.st.Records(context.Background(), integration, store.Person, func(r store.Record) error {
		out[r.Key] = r
		return nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

func rec(i int) string {
	return fmt.Sprintf(`{"email": "User%d@Example.com", "name": "User %d"}`, i, i)
}

func bulk(recs ...string) string { return "[" + strings.Join(recs, ",") + "]" }

// TestStatusCodes covers every answer of the handler, each from a fresh
// agent.
func TestStatusCodes(t *testing.T) {
	big := bulk(strings.Repeat(rec(1)+",", 200) + rec(2))
	tests := []struct {
		name                string
		method, path, ctype string
		key                 string
		body                string
		code                int
		want                string // in the error, or a key of the success body
	}{
		{"created", "POST", "/ingest/people", "application/json", ingestKey, rec(1), 201, "run_id"},
		{"bulk created", "POST", "/ingest/people?event=hr.sync&actor=bob", "application/json; charset=utf-8", ingestKey, bulk(rec(1), rec(2)), 201, "run_id"},
		{"+json type", "POST", "/ingest/people", "application/vnd.people+json", ingestKey, rec(1), 201, "run_id"},
		{"empty bulk", "POST", "/ingest/people", "application/json", ingestKey, "[]", 200, "integration"},
		{"no key", "POST", "/ingest/people", "application/json", "", rec(1), 401, "missing or wrong X-Ingest-Key"},
		{"wrong key", "POST", "/ingest/people", "application/json", "wrong-key", rec(1), 401, "missing or wrong X-Ingest-Key"},
		{"key of another length", "POST", "/ingest/people", "application/json", ingestKey + "x", rec(1), 401, "missing or wrong X-Ingest-Key"},
		{"unknown integration", "POST", "/ingest/nobody", "application/json", ingestKey, rec(1), 404, `no ingest integration named "nobody"`},
		{"not an ingest integration", "POST", "/ingest/export", "application/json", ingestKey, rec(1), 404, `no ingest integration named "export"`},
		{"no integration", "POST", "/ingest/", "application/json", ingestKey, rec(1), 404, "not found"},
		{"unknown record", "DELETE", "/ingest/people/nobody@example.com", "", ingestKey, "", 404, "has no record with that key"},
		{"GET", "GET", "/ingest/people", "", ingestKey, "", 405, "method GET not allowed"},
		{"PUT a record", "PUT", "/ingest/people/a", "application/json", ingestKey, rec(1), 405, "method PUT not allowed"},
		{"DELETE without a key", "DELETE", "/ingest/people", "", ingestKey, "", 405, "method DELETE not allowed"},
		{"not JSON", "POST", "/ingest/people", "text/plain", ingestKey, rec(1), 415, "Content-Type must be application/json"},
		{"no content type", "POST", "/ingest/people", "", ingestKey, rec(1), 415, "Content-Type must be application/json"},
		{"body too large", "POST", "/ingest/people", "application/json", ingestKey, big, 413, "over 4096 bytes"},
		{"too many records", "POST", "/ingest/people", "application/json", ingestKey, bulk(rec(1), rec(2), rec(3), rec(4), rec(5), rec(6)), 413, "6 records is over the 5"},
		{"bad JSON", "POST", "/ingest/people", "application/json", ingestKey, `{"email": `, 400, "not JSON"},
		{"two values", "POST", "/ingest/people", "application/json", ingestKey, rec(1) + rec(2), 400, "more than one JSON value"},
		{"a string", "POST", "/ingest/people", "application/json", ingestKey, `"x"`, 400, "must be a JSON object"},
		{"empty body", "POST", "/ingest/people", "application/json", ingestKey, ``, 400, "empty"},
		{"event too long", "POST", "/ingest/people?event=" + strings.Repeat("e", 101), "application/json", ingestKey, rec(1), 400, "event is longer than 100"},
		{"actor too long", "POST", "/ingest/people?actor=" + strings.Repeat("a", 1001), "application/json", ingestKey, rec(1), 400, "actor is longer than 1000"},
		{"schema", "POST", "/ingest/people", "application/json", ingestKey, `{"email": "a@b.c"}`, 422, "missing property 'name'"},
		{"deactivate off", "DELETE", "/ingest/keep/user1@example.com", "", ingestKey, "", 409, "deactivate = false"},
		{"invoices are kept", "DELETE", "/ingest/ap/INV-1", "", ingestKey, "", 409, "an invoice is never deactivated"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			a := f.do(tc.method, tc.path, tc.ctype, tc.key, tc.body)
			if a.code != tc.code {
				t.Fatalf("%s %s: %d %v, want %d", tc.method, tc.path, a.code, a.body, tc.code)
			}
			if ct := a.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			if tc.code >= 400 {
				if msg, _ := a.body["error"].(string); !strings.Contains(msg, tc.want) {
					t.Fatalf("error %q, want it to hold %q", msg, tc.want)
				}
				if tc.code == 405 && a.header.Get("Allow") == "" {
					t.Error("405 without Allow")
				}
				if tc.code != 422 && len(f.records("people")) != 0 {
					t.Fatal("a refused push wrote records")
				}
				return
			}
			if _, ok := a.body[tc.want]; !ok {
				t.Fatalf("body %v lacks %q", a.body, tc.want)
			}
		})
	}
}

// The same answer for a missing and a wrong key; nothing is read first.
func TestAuthFailuresLookAlike(t *testing.T) {
	f := newFixture(t)
	var bodies []string
	for _, key := range []string{"", "wrong-key", ingestKey[:len(ingestKey)-1], strings.ToUpper(ingestKey)} {
		a := f.post("/ingest/people", key, "{not json")
		if a.code != http.StatusUnauthorized {
			t.Fatalf("key %q: %d %v", key, a.code, a.body)
		}
		bodies = append(bodies, fmt.Sprint(a.body))
	}
	for _, b := range bodies[1:] {
		if b != bodies[0] {
			t.Fatalf("answers differ: %q and %q", bodies[0], b)
		}
	}
	if runs, _ := f.st.Runs(context.Background(), "", 0); len(runs) != 0 {
		t.Fatalf("runs %+v", runs)
	}
}

// An integration whose credential is not in the keyring takes no push and
// says the key cannot be checked (the log says why).
func TestUnreadableKey(t *testing.T) {
	f := newFixture(t)
	in, _ := f.cfg.Integration("keep")
	in.Credential = "never-set"
	a := f.post("/ingest/keep", ingestKey, rec(1))
	if a.code != http.StatusServiceUnavailable {
		t.Fatalf("%d %v", a.code, a.body)
	}
	if !strings.Contains(f.logs.String(), "never-set") {
		t.Fatalf("the log does not name the credential:\n%s", f.logs)
	}
}

func TestSchemaPointer(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		pointer string
		record  float64 // -1: none
		want    string
	}{
		{"missing property", `{"email": "a@b.c"}`, "", -1, "missing property 'name'"},
		{"wrong type", `{"email": 7, "name": "x"}`, "/email", -1, "want string"},
		{"nested", `{"email": "a@b.c", "name": "x", "manager": {"email": 1}}`, "/manager/email", -1, "want string"},
		{"unknown field", `{"email": "a@b.c", "name": "x", "nick": "y"}`, "/nick", -1, "not allowed by the schema"},
		{"enum", `{"email": "a@b.c", "name": "x", "status": "gone"}`, "/status", -1, "value must be one of"},
		{"bulk", bulk(rec(1), rec(2), `{"email": "a@b.c", "name": 3}`), "/2/name", 2, "record 2: "},
		{"not an object", bulk(rec(1), `[1]`), "/1", 1, "want object"},
		{"no identity", `{"email": "", "name": "x"}`, "", -1, "user.username and user.email are both empty"},
		{"bulk no identity", bulk(rec(1), `{"email": "", "name": "x"}`), "/1", 1, "record 1: "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			a := f.post("/ingest/people", ingestKey, tc.body)
			if a.code != http.StatusUnprocessableEntity {
				t.Fatalf("%d %v", a.code, a.body)
			}
			if p, ok := a.body["pointer"].(string); !ok || p != tc.pointer {
				t.Errorf("pointer %v, want %q", a.body["pointer"], tc.pointer)
			}
			if r, ok := a.body["record"].(float64); tc.record >= 0 && (!ok || r != tc.record) || tc.record < 0 && ok {
				t.Errorf("record %v, want %v", a.body["record"], tc.record)
			}
			if msg, _ := a.body["error"].(string); !strings.Contains(msg, tc.want) {
				t.Errorf("error %q, want %q", msg, tc.want)
			}
			if n := len(f.records("people")); n != 0 {
				t.Fatalf("%d records written by a refused push", n)
			}
		})
	}
}

// A bulk with one bad record applies nothing, even records valid and
// before it; the same bulk fixed applies whole.
func TestBulkAllOrNothing(t *testing.T) {
	f := newFixture(t)
	if a := f.post("/ingest/people", ingestKey, rec(1)); a.code != http.StatusCreated {
		t.Fatalf("%d %v", a.code, a.body)
	}
	bad := bulk(`{"email": "User1@Example.com", "name": "Renamed"}`, rec(2), `{"email": "x@y.z", "name": "Ada Lovelace", "status": "retired"}`, rec(4))
	if a := f.post("/ingest/people", ingestKey, bad); a.code != http.StatusUnprocessableEntity || a.body["pointer"] != "/2/status" {
		t.Fatalf("%d %v", a.code, a.body)
	}
	recs := f.records("people")
	if len(recs) != 1 || recs["user1@example.com"].Fields["full_name"] != "User 1" {
		t.Fatalf("records after a refused bulk: %+v", recs)
	}
	if runs, _ := f.st.Runs(context.Background(), "people", 0); len(runs) != 1 {
		t.Fatalf("%d runs, want the first push's only", len(runs))
	}
	good := bulk(`{"email": "User1@Example.com", "name": "Renamed"}`, rec(2), rec(3), rec(4))
	a := f.post("/ingest/people", ingestKey, good)
	if a.code != http.StatusCreated {
		t.Fatalf("%d %v", a.code, a.body)
	}
	c := a.body["counts"].(map[string]any)
	if c["created"] != 3.0 || c["updated"] != 1.0 || c["deactivated"] != 0.0 {
		t.Fatalf("counts %v", c)
	}
}

// A push deactivates nobody it leaves out; a DELETE deactivates exactly
// its record, and both are queued for the destination and delivered.
func TestPushAndDelete(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if a := f.post("/ingest/people?event=import", ingestKey, bulk(rec(1), rec(2), rec(3))); a.code != http.StatusCreated {
		t.Fatalf("%d %v", a.code, a.body)
	}
	if got := <-f.deliver; got != "people" {
		t.Fatalf("delivered %q", got)
	}
	a := f.post("/ingest/people", ingestKey, rec(2))
	if a.code != http.StatusOK || a.body["counts"].(map[string]any)["unchanged"] != 1.0 {
		t.Fatalf("%d %v", a.code, a.body)
	}
	for k, r := range f.records("people") {
		if r.Status != store.Active {
			t.Fatalf("%s is %s after a push without it", k, r.Status)
		}
	}
	a = f.do(http.MethodDelete, "/ingest/people/user3%40example.com?event=offboard&actor=%7B%22id%22%3A7%7D", "", ingestKey, "")
	if a.code != http.StatusOK || a.body["counts"].(map[string]any)["deactivated"] != 1.0 {
		t.Fatalf("%d %v", a.code, a.body)
	}
	recs := f.records("people")
	if recs["user3@example.com"].Status != store.Inactive || recs["user1@example.com"].Status != store.Active {
		t.Fatalf("statuses %+v", recs)
	}
	hist, err := f.st.History(ctx, store.ChangeQuery{Integration: "people", Key: "user3@example.com"})
	if err != nil || len(hist) != 2 {
		t.Fatalf("history %+v %v", hist, err)
	}
	if h := hist[1]; h.Field != "status" || h.New != store.Inactive || h.Event != "offboard" || h.Actor != `{"id":7}` {
		t.Fatalf("deactivation %+v", h)
	}
	if hist[0].Event != "import" {
		t.Fatalf("creation %+v", hist[0])
	}
	d, err := f.st.Delivery(ctx, "hook", "people")
	if err != nil || d.QueuedRun != hist[1].RunID {
		t.Fatalf("queue %+v %v", d, err)
	}
	// Pushed active again, it comes back.
	a = f.post("/ingest/people", ingestKey, rec(3))
	if a.code != http.StatusOK || a.body["counts"].(map[string]any)["reactivated"] != 1.0 {
		t.Fatalf("%d %v", a.code, a.body)
	}
}

func TestRateLimit(t *testing.T) {
	f := newFixture(t)
	for i := range 100 { // burst = 100
		if a := f.post("/ingest/people", ingestKey, "[]"); a.code != http.StatusOK {
			t.Fatalf("request %d: %d %v", i, a.code, a.body)
		}
	}
	a := f.post("/ingest/people", ingestKey, rec(1))
	if a.code != http.StatusTooManyRequests || a.header.Get("Retry-After") != "1" {
		t.Fatalf("%d %v Retry-After %q", a.code, a.body, a.header.Get("Retry-After"))
	}
	// The key's bucket, whichever integration it is used for.
	if a := f.post("/ingest/keep", ingestKey, rec(1)); a.code != http.StatusTooManyRequests {
		t.Fatalf("other integration, same key: %d", a.code)
	}
	f.advance(time.Second)
	if a := f.post("/ingest/people", ingestKey, rec(1)); a.code != http.StatusCreated {
		t.Fatalf("after a second: %d %v", a.code, a.body)
	}
}

func TestDraft(t *testing.T) {
	f := newFixture(t)
	in, _ := f.cfg.Integration("keep")
	in.Mapping, in.CompiledMapping = map[string]string{"user.full_name": "name"}, nil
	a := f.post("/ingest/keep", ingestKey, rec(1))
	if a.code != http.StatusConflict || !strings.Contains(a.body["error"].(string), "draft") {
		t.Fatalf("%d %v", a.code, a.body)
	}
}
