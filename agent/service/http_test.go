package service

import (
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/agentsync/agent/agent/httpd"
	"github.com/agentsync/agent/internal/loopback"
)

// httpConfig is configText on schedule with [http] listening on listen.
func httpConfig(schedule, listen string) string {
	return configText(schedule) + "\n[http]\nlisten = \"" + listen + "\"\n"
}

var servedAt = regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+)`)

// baseURL waits for the daemon to serve HTTP and returns where.
func (h *daemonHarness) baseURL() string {
	h.t.Helper()
	var m []string
	h.until("the HTTP endpoint is served", func() bool {
		m = servedAt.FindStringSubmatch(h.logs.String())
		return m != nil
	})
	return m[1]
}

// TestServesHTTP: `agent run` serves health, readiness, the metrics its
// runs feed, and the handlers mounted on it.
func TestServesHTTP(t *testing.T) {
	h := startDaemonWith(t, httpConfig("every 6h", "127.0.0.1:0"), nil, func(d *Daemon) {
		d.HTTP, d.Version = true, "1.2.3-test"
		d.Mount = func(s *httpd.Server) {
			s.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "the page") }))
		}
	})
	base := h.baseURL()
	for path, want := range map[string]string{"/healthz": `{"status":"ok"}`, "/readyz": `{"status":"ready"}`, "/": "the page"} {
		if code, body := loopback.Get(t, nil, base+path); code != http.StatusOK || strings.TrimSpace(body) != want {
			t.Errorf("GET %s: %d %q, want 200 %q", path, code, body, want)
		}
	}
	h.clock.Advance(6 * time.Hour)
	h.until("a scheduled run", func() bool {
		_, body := loopback.Get(t, nil, base+"/metrics")
		return strings.Contains(body, `agent_runs_total{integration="acme",outcome="success"}`)
	})
	_, body := loopback.Get(t, nil, base+"/metrics")
	for _, want := range []string{
		`agent_build_info{goversion="`,
		`version="1.2.3-test"} 1`,
		`agent_records_total{integration="acme",kind="person",operation="created"} 1`,
		`agent_last_success_timestamp_seconds{integration="acme"}`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics has no %s:\n%s", want, body)
		}
	}
}

// TestHTTPPortTaken: a port in use does not stop the service; it is
// logged, and the endpoint is served once the port is free.
func TestHTTPPortTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	h := startDaemonWith(t, httpConfig("daily 23:00", addr), nil, func(d *Daemon) { d.HTTP = true })
	h.until("the taken port is logged", func() bool {
		return strings.Contains(h.logs.String(), "the HTTP endpoint (health, readiness, metrics) is not served; the syncs go on")
	})
	if !strings.Contains(h.logs.String(), "listen on "+addr+" (http.listen)") {
		t.Errorf("the log does not say which address:\n%s", h.logs)
	}
	if h.d.NextRun("acme").IsZero() {
		t.Error("the integration is not scheduled")
	}
	ln.Close()
	if code, _ := loopback.Get(t, nil, h.baseURL()+"/healthz"); code != http.StatusOK {
		t.Errorf("GET /healthz once the port is free: %d", code)
	}
}

// TestHTTPOff: listen = "" serves nothing and says so.
func TestHTTPOff(t *testing.T) {
	h := startDaemonWith(t, httpConfig("daily 23:00", ""), nil, func(d *Daemon) { d.HTTP = true })
	if !strings.Contains(h.logs.String(), `http.listen is \"\": no health, readiness or metrics endpoint`) {
		t.Errorf("log:\n%s", h.logs)
	}
}
