//go:build linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/agentsync/agent/agent/engine"
	"github.com/agentsync/agent/agent/notify"
	"github.com/agentsync/agent/agent/store"
)

// agentLog is the agent's stderr, a file the test reads while it runs.
type agentLog string

func (l agentLog) String() string {
	b, _ := os.ReadFile(string(l))
	return string(b)
}

// TestServiceLoopEndToEnd runs the real binary as the service manager
// would, without one: `agent run` in the background with an integration
// on "every 2s". The binary is built with -tags agent_e2e, whose only
// difference is that "every" accepts seconds (production: at least 1m).
func TestServiceLoopEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the agent binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "agent")
	build := exec.Command("go", "build", "-tags", "agent_e2e", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cfg := filepath.Join(dir, "config.toml")
	users := filepath.Join(dir, "users.jsonl")
	writeFile(t, users, `{"email": "ann@example.com"}`+"\n"+`{"email": "bob@example.com"}`+"\n"+`{"email": "cy@example.com"}`+"\n")
	writeFile(t, cfg, `[agent]
data_dir = "data"
time_zone = "UTC"

[http]
listen = "127.0.0.1:0"

[[integration]]
name = "e2e"
vendor = "file"
schedule = "every 2s"
deactivate = true
max_deactivate_percent = 100
contacts = ["ops@example.com"]
file.path = "users.jsonl"
  [integration.mapping]
  "user.email" = "email"
`)
	logs := agentLog(filepath.Join(dir, "agent.log"))
	logFile, err := os.Create(string(logs))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	agent := exec.Command(bin, "--config", cfg, "run")
	agent.Stdout, agent.Stderr = logFile, logFile
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- agent.Wait() }()
	defer func() {
		if agent.ProcessState == nil {
			agent.Process.Kill()
			<-exited
		}
	}()

	ctx := context.Background()
	var st *store.Store
	// Once the agent schedules, its store exists (opening it at the same
	// time as the agent would race its creation).
	waitFor(t, logs, "the agent to schedule", func() bool { return strings.Contains(logs.String(), "msg=scheduled") })
	st, err = store.Open(ctx, filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	runs := func() []store.Run {
		rs, err := st.Runs(ctx, "e2e", 0)
		if err != nil {
			t.Fatal(err)
		}
		return rs
	}

	// It runs repeatedly on its schedule.
	waitFor(t, logs, "two scheduled runs", func() bool {
		n := 0
		for _, r := range runs() {
			if r.Trigger == engine.TriggerSchedule && r.Outcome == store.OutcomeSuccess {
				n++
			}
		}
		return n >= 2
	})

	// It serves health, readiness and the metrics of its runs.
	m := regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+)`).FindStringSubmatch(logs.String())
	if m == nil {
		t.Fatalf("the agent does not say where it serves HTTP:\n%s", logs.String())
	}
	// ... and the status page, and push ingest (which knows e2e is no
	// ingest integration: its own JSON answer, not the mux's 404).
	resp, err := http.Post(m[1]+"/ingest/e2e", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Errorf("POST /ingest/e2e: %d %s, want ingest's own 404", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	// The page opens with the token the service made, through the link
	// `agent page` prints (its port is the config's 0: the log has ours).
	pageURL, err := exec.Command(bin, "--config", cfg, "page").Output()
	tok, found := strings.CutPrefix(strings.TrimSpace(string(pageURL)), "http://127.0.0.1:0/?token=")
	if err != nil || !found {
		t.Fatalf("agent page: %v: %s", err, pageURL)
	}
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	for path, want := range map[string]string{"/readyz": `{"status":"ready"}`, "/metrics": `agent_runs_total{integration="e2e",outcome="success"}`, "/?token=" + tok: `href="/integration/e2e"`} {
		resp, err := browser.Get(m[1] + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
			t.Errorf("GET %s: %d, want 200 with %s:\n%s", path, resp.StatusCode, want, body)
		}
	}

	// A big export makes the next run last seconds.
	swapped := time.Now()
	bigExport(t, users, 300_000)
	var slow store.Run
	waitFor(t, logs, "a long run", func() bool {
		for _, r := range runs() {
			if r.Outcome == store.OutcomeRunning && r.StartedAt.After(swapped) {
				time.Sleep(300 * time.Millisecond)
				if again, _ := st.Run(ctx, r.ID); again.Outcome == store.OutcomeRunning {
					slow = again
					return true
				}
			}
		}
		return false
	})

	// run-now during the run is refused: one run per integration.
	var out bytes.Buffer
	runNow := exec.Command(bin, "--config", cfg, "run-now", "e2e")
	runNow.Stdout, runNow.Stderr = &out, &out
	err = runNow.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != exitFailed || !strings.Contains(out.String(), "already running") {
		t.Fatalf("run-now during a run: %v\n%s", err, out.String())
	}

	// SIGTERM: the run is cancelled and recorded, the agent exits 0.
	stopped := time.Now()
	if err := agent.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("the agent exited with %v after SIGTERM\n%s", err, logs.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("the agent did not stop after SIGTERM\n%s", logs.String())
	}
	if d := time.Since(stopped); d > 10*time.Second {
		t.Errorf("stopping took %s", d)
	}
	r, err := st.Run(ctx, slow.ID)
	if err != nil || r.Outcome != store.OutcomeCancelled || r.FinishedAt.IsZero() {
		t.Fatalf("the run going on at SIGTERM: %+v, %v\n%s", r, err, logs.String())
	}
	if r.Counts.Fetched >= 300_000 {
		t.Errorf("the cancelled run read the whole export: %+v", r.Counts)
	}
	// Nothing partial applied: the three users of the small export, missing
	// from the big one, are not deactivated.
	exported, err := exec.Command(bin, "--config", cfg, "export", "--integration", "e2e", "--kind", "people", "--format", "jsonl").Output()
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	for _, email := range []string{"ann@example.com", "bob@example.com", "cy@example.com"} {
		if s := exportStatus(t, string(exported))[email]; s != "active" {
			t.Errorf("%s is %q after the cancelled run", email, s)
		}
	}
	// Ticks during the long run were told once, not per tick.
	ns, _ := st.Notifications(ctx, 0)
	skipped := 0
	for _, n := range ns {
		if n.Event == notify.EventRunMissed {
			skipped++
		}
	}
	if skipped > 1 {
		t.Errorf("%d messages for runs skipped during the long run, want at most 1", skipped)
	}
	for _, want := range []string{"scheduled run starting", "agent stopping", "agent stopped"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the log lacks %q:\n%s", want, logs.String())
		}
	}
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// bigExport replaces the export with n other users, atomically.
func bigExport(t *testing.T, path string, n int) {
	t.Helper()
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	for i := range n {
		fmt.Fprintf(w, "{\"email\": \"user%d@example.com\"}\n", i)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func waitFor(t *testing.T, logs agentLog, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s timed out; agent log:\n%s", what, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
