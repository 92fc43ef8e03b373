package service

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/agentsync/agent/agent/config"
	"github.com/agentsync/agent/agent/notify"
	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/internal/vendortest"
	"github.com/agentsync/agent/vendors"
	_ "github.com/agentsync/agent/vendors/file"
)

func noSecrets(context.Context, *config.Config) (vendors.SecretSource, func(), error) {
	return nil, func() {}, nil
}

// configText is a config of one file integration on the given schedule;
// extra lines go into [agent].
func configText(schedule string, extra ...string) string {
	return fmt.Sprintf(`[agent]
data_dir = "data"
time_zone = "UTC"
%s

[[integration]]
name = "acme"
vendor = "file"
schedule = %q
contacts = ["ops@example.com"]
file.path = "users.jsonl"
  [integration.mapping]
  "user.email" = "email"
`, strings.Join(extra, "\n"), schedule)
}

type daemonHarness struct {
	t     *testing.T
	d     *Daemon
	clock *clockwork.FakeClock
	logs  *vendortest.Buffer
	path  string
	st    *store.Store
	errc  chan error
	stop  context.CancelFunc
}

func startDaemon(t *testing.T, text string) *daemonHarness {
	t.Helper()
	return startDaemonAfter(t, text, nil)
}

// startDaemonAfter is startDaemon with before run on the data folder
// (dir/data) first.
func startDaemonAfter(t *testing.T, text string, before func(dataDir string)) *daemonHarness {
	t.Helper()
	return startDaemonWith(t, text, before, nil)
}

// startDaemonWith is startDaemonAfter with setup given the daemon before
// it runs.
func startDaemonWith(t *testing.T, text string, before func(dataDir string), setup func(*Daemon)) *daemonHarness {
	t.Helper()
	dir := t.TempDir()
	if before != nil {
		before(filepath.Join(dir, "data"))
	}
	h := &daemonHarness{t: t, path: filepath.Join(dir, "config.toml"), logs: &vendortest.Buffer{},
		clock: clockwork.NewFakeClockAt(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)), errc: make(chan error, 1)}
	h.write(text)
	if err := os.WriteFile(filepath.Join(dir, "users.jsonl"), []byte(`{"email": "a@example.com"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h.d = &Daemon{ConfigPath: h.path, Stderr: h.logs, OpenSecrets: noSecrets, Clock: h.clock, Poll: time.Second}
	if setup != nil {
		setup(h.d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.stop = cancel
	go func() { h.errc <- h.d.Run(ctx) }()
	select {
	case <-h.d.Ready():
	case err := <-h.errc:
		t.Fatalf("the daemon did not start: %v\n%s", err, h.logs)
	case <-time.After(10 * time.Second):
		t.Fatal("the daemon did not start")
	}
	st, err := store.Open(context.Background(), filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	h.st = st
	t.Cleanup(func() {
		st.Close()
		cancel()
		if err := <-h.errc; err != nil {
			t.Errorf("daemon: %v", err)
		}
	})
	return h
}

func (h *daemonHarness) write(text string) {
	h.t.Helper()
	if err := os.WriteFile(h.path, []byte(text), 0o644); err != nil {
		h.t.Fatal(err)
	}
}

// until advances the fake clock a poll at a time until cond holds.
func (h *daemonHarness) until(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("%s: never happened; log:\n%s", what, h.logs)
		}
		h.clock.Advance(h.d.Poll)
		time.Sleep(time.Millisecond)
	}
}

func (h *daemonHarness) messages() []store.Notification {
	ns, err := h.st.Notifications(context.Background(), 0)
	if err != nil {
		h.t.Fatal(err)
	}
	return ns
}

func TestReloadKeepsTheLastGoodConfig(t *testing.T) {
	h := startDaemon(t, configText("daily 23:00"))
	at2300 := time.Date(2025, 6, 1, 23, 0, 0, 0, time.UTC)
	if next := h.d.NextRun("acme"); !next.Equal(at2300) {
		t.Fatalf("next run %s", next)
	}

	// A bad edit, noticed by polling the file: rejected, told, logged with
	// file:line:col; the last good config keeps running.
	h.write(configText("daily 25:00", `log_levle = "debug"`))
	h.until("the bad edit is rejected", func() bool { return len(h.messages()) > 0 })
	ns := h.messages()
	if len(ns) != 1 || ns[0].Event != notify.EventConfigInvalid ||
		!strings.Contains(ns[0].Body, h.path+`:4:1: unknown key "agent.log_levle"`) ||
		!strings.Contains(ns[0].Body, h.path+`:9:1: schedule "daily 25:00": hour must be 00-23`) {
		t.Fatalf("inbox: %+v", ns)
	}
	if !strings.Contains(h.logs.String(), `problem="`+h.path+`:9:1: schedule \"daily 25:00\": hour must be 00-23"`) {
		t.Errorf("the log does not name the problem at file:line:col:\n%s", h.logs)
	}
	if got := h.d.Config().Integrations[0].Schedule.String(); got != "daily 23:00" {
		t.Errorf("running on schedule %q", got)
	}
	if next := h.d.NextRun("acme"); !next.Equal(at2300) {
		t.Errorf("next run after the bad edit: %s", next)
	}

	// `agent service reload` of the same content: rejected again, not told again.
	done := make(chan error)
	go func() { done <- RequestReload(h.d.Config().Agent.DataDir, 10*time.Second) }()
	var err error
	h.until("the reload request is served", func() bool {
		select {
		case err = <-done:
			return true
		default:
			return false
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(h.messages()); n != 1 {
		t.Errorf("%d messages after the reload request; one per bad content", n)
	}

	// A good edit is applied.
	h.write(configText("daily 06:00"))
	h.until("the good edit is applied", func() bool {
		return h.d.NextRun("acme").Equal(time.Date(2025, 6, 2, 6, 0, 0, 0, time.UTC)) && strings.Contains(h.logs.String(), "config reloaded")
	})
}

func TestReloadKeepsDataDir(t *testing.T) {
	h := startDaemon(t, configText("daily 23:00"))
	dataDir := h.d.Config().Agent.DataDir
	h.write(strings.Replace(configText("daily 07:00"), `data_dir = "data"`, `data_dir = "elsewhere"`, 1))
	h.until("the edit is applied", func() bool { return h.d.Config().Integrations[0].Schedule.String() == "daily 07:00" })
	if got := h.d.Config().Agent.DataDir; got != dataDir {
		t.Errorf("data_dir switched to %s while running", got)
	}
	if !strings.Contains(h.logs.String(), "agent.data_dir changed: it applies when the service restarts") {
		t.Errorf("log:\n%s", h.logs)
	}
}

func TestInvalidConfigAtStart(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.toml")
	os.WriteFile(path, []byte(configText("daily 25:00")), 0o644)
	d := &Daemon{ConfigPath: path, Stderr: &vendortest.Buffer{}, OpenSecrets: noSecrets}
	err := d.Run(context.Background())
	var ce *config.Error
	if !errors.As(err, &ce) {
		t.Fatalf("Run = %v, want the config's problems", err)
	}
}
