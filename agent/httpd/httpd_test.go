package httpd_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentsync/agent/agent/config"
	"github.com/agentsync/agent/agent/engine"
	"github.com/agentsync/agent/agent/httpd"
	"github.com/agentsync/agent/agent/metrics"
	"github.com/agentsync/agent/agent/runner"
	"github.com/agentsync/agent/agent/store"

	_ "github.com/agentsync/agent/destinations/all"
	_ "github.com/agentsync/agent/vendors/all"
)

// state is a fixed State: a config and a store, or why the store does
// not open.
type state struct {
	cfg   *config.Config
	st    *store.Store
	stErr error
}

func (s *state) Config() *config.Config { return s.cfg }
func (s *state) Store(context.Context) (*store.Store, error) {
	return s.st, s.stErr
}

// env is a config in a temp folder, its store, and the server over them.
type env struct {
	t     *testing.T
	dir   string
	state *state
	m     *metrics.Metrics
	srv   *httpd.Server
}

// people.jsonl holds three users; "broken" reads a file that is not there.
const baseConfig = `[agent]
data_dir = "data"
time_zone = "UTC"

[http]
listen = "127.0.0.1:0"

[[destination]]
name = "hook"
type = "webhook"
url = "http://127.0.0.1:9/hook"

[[integration]]
name = "people"
vendor = "file"
schedule = "manual"
destinations = ["hook"]
file.path = "people.jsonl"
  [integration.mapping]
  "user.email" = "email"

[[integration]]
name = "broken"
vendor = "file"
schedule = "manual"
file.path = "missing.jsonl"
  [integration.mapping]
  "user.email" = "email"

[[integration]]
name = "draft"
vendor = "file"
schedule = "manual"
file.path = "missing.jsonl"
`

func newEnv(t *testing.T, extra string) *env {
	t.Helper()
	dir := t.TempDir()
	write(t, filepath.Join(dir, "people.jsonl"), `{"email":"ann@example.com"}`+"\n"+`{"email":"bob@example.com"}`+"\n"+`{"email":"cy@example.com"}`+"\n")
	cfg, err := config.Parse(filepath.Join(dir, "config.toml"), []byte(baseConfig+extra))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), cfg.Agent.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{t: t, dir: dir, state: &state{cfg: cfg, st: st}}
	e.m = metrics.New("1.2.3-test", e.state, nil)
	e.srv = httpd.New(httpd.Options{HTTP: cfg.HTTP, State: e.state, Metrics: e.m})
	return e
}

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// run runs an integration as the service does, the metrics watching.
func (e *env) run(name string) engine.Report {
	e.t.Helper()
	r := &runner.Runner{Config: e.state.cfg, Store: e.state.st, Observer: e.m, Secrets: simSecrets}
	rep, err := r.Run(context.Background(), name, engine.Options{Trigger: engine.TriggerSchedule})
	if err != nil {
		e.t.Fatalf("run %s: %v", name, err)
	}
	return rep
}

// get serves one request through the handler.
func (e *env) get(method, path string) (int, http.Header, string) {
	e.t.Helper()
	rec := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec.Code, rec.Header(), rec.Body.String()
}

func TestHealthz(t *testing.T) {
	e := newEnv(t, "")
	tests := []struct {
		name, method string
		code         int
		body         string
	}{
		{"GET", http.MethodGet, http.StatusOK, `{"status":"ok"}`},
		{"HEAD", http.MethodHead, http.StatusOK, ""},
		{"POST is not allowed", http.MethodPost, http.StatusMethodNotAllowed, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, h, body := e.get(tc.method, "/healthz")
			if code != tc.code {
				t.Fatalf("%s /healthz: %d %s, want %d", tc.method, code, body, tc.code)
			}
			if tc.body != "" && strings.TrimSpace(body) != tc.body {
				t.Errorf("body %q, want %q", body, tc.body)
			}
			if tc.code == http.StatusOK && h.Get("Content-Type") != "application/json" {
				t.Errorf("Content-Type %q", h.Get("Content-Type"))
			}
			if tc.code == http.StatusMethodNotAllowed && !strings.Contains(h.Get("Allow"), "GET") {
				t.Errorf("Allow %q", h.Get("Allow"))
			}
		})
	}
}

func TestReadyz(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(e *env)
		code   int
		reason string // a part of it
	}{
		{"ready before any run; a draft does not count", func(e *env) {}, http.StatusOK, ""},
		{"ready after a success", func(e *env) { e.run("people") }, http.StatusOK, ""},
		{"an integration failed", func(e *env) { e.run("people"); e.run("broken") }, http.StatusServiceUnavailable,
			"integration broken failed: "},
		{"failed, then repaired", func(e *env) {
			e.run("broken")
			write(e.t, filepath.Join(e.dir, "missing.jsonl"), `{"email":"dee@example.com"}`+"\n")
			e.run("broken")
		}, http.StatusOK, ""},
		{"no config", func(e *env) { e.state.cfg = nil }, http.StatusServiceUnavailable, "no config is loaded"},
		{"the store does not open", func(e *env) {
			e.state.st, e.state.stErr = nil, errors.New("store: /var/lib/agent/agent.db: permission denied")
		}, http.StatusServiceUnavailable, "the store does not open: store: /var/lib/agent/agent.db: permission denied"},
		{"the store is gone", func(e *env) { e.state.st.Close() }, http.StatusServiceUnavailable, "the store does not open: "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, "")
			tc.setup(e)
			code, h, body := e.get(http.MethodGet, "/readyz")
			if code != tc.code {
				t.Fatalf("GET /readyz: %d %s, want %d", code, body, tc.code)
			}
			if h.Get("Content-Type") != "application/json" || h.Get("Cache-Control") != "no-store" {
				t.Errorf("headers %v", h)
			}
			var got struct{ Status, Reason string }
			if err := json.Unmarshal([]byte(body), &got); err != nil {
				t.Fatalf("body %q: %v", body, err)
			}
			want := "ready"
			if tc.code != http.StatusOK {
				want = "not ready"
			}
			if got.Status != want || !strings.Contains(got.Reason, tc.reason) || (tc.reason == "") != (got.Reason == "") {
				t.Errorf("body %s, want status %q and a reason holding %q", body, want, tc.reason)
			}
		})
	}
}

func TestReadyzNamesTheFileOfAFailedRun(t *testing.T) {
	e := newEnv(t, "")
	e.run("broken")
	_, _, body := e.get(http.MethodGet, "/readyz")
	if !strings.Contains(body, "missing.jsonl") {
		t.Errorf("body %s: the reason does not say what failed", body)
	}
}

func TestMountedHandlers(t *testing.T) {
	e := newEnv(t, "")
	if code, _, _ := e.get(http.MethodGet, "/nothing-here"); code != http.StatusNotFound {
		t.Errorf("GET /nothing-here: %d, want 404", code)
	}
	e.srv.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "page "+r.URL.Path) }))
	e.srv.Handle("/ingest/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, "ingest "+r.Method)
	}))
	tests := []struct {
		method, path string
		code         int
		body         string
	}{
		{http.MethodGet, "/", http.StatusOK, "page /"},
		{http.MethodGet, "/integrations/people", http.StatusOK, "page /integrations/people"},
		{http.MethodPost, "/ingest/people", http.StatusAccepted, "ingest POST"},
		{http.MethodGet, "/healthz", http.StatusOK, `{"status":"ok"}`}, // the built-ins stay theirs
		{http.MethodGet, "/readyz", http.StatusOK, `{"status":"ready"}`},
	}
	for _, tc := range tests {
		code, _, body := e.get(tc.method, tc.path)
		if code != tc.code || strings.TrimSpace(body) != tc.body {
			t.Errorf("%s %s: %d %q, want %d %q", tc.method, tc.path, code, body, tc.code, tc.body)
		}
	}
	if e.srv.State() != httpd.State(e.state) || e.srv.ReadOnly() {
		t.Error("State() or ReadOnly() is not what the server was built with")
	}
}

func TestNoMetricsWithoutARegistry(t *testing.T) {
	e := newEnv(t, "")
	srv := httpd.New(httpd.Options{HTTP: e.state.cfg.HTTP, State: e.state})
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("GET /metrics without metrics: %d, want 404", rec.Code)
	}
}
