package main

import (
	"context"
	"github.com/agentsync/agent/agent/httpd"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/agentsync/agent/internal/loopback"
	"github.com/agentsync/agent/internal/vendortest"
)

// serving is `agent serve` running in this process.
type serving struct {
	t      *testing.T
	stderr *vendortest.Buffer
	stop   context.CancelFunc
	exit   chan int
}

// serve starts `agent serve` on the sandbox's config with listen.
func (s *sandbox) serve(listen string) *serving {
	s.t.Helper()
	cfg, err := os.ReadFile(s.cfg)
	if err != nil {
		s.t.Fatal(err)
	}
	s.write(s.cfg, strings.Replace(string(cfg), `listen = "127.0.0.1:8787"`, `listen = "`+listen+`"`, 1))
	ctx, cancel := context.WithCancel(context.Background())
	sv := &serving{t: s.t, stderr: &vendortest.Buffer{}, stop: cancel, exit: make(chan int, 1)}
	go func() {
		sv.exit <- run(ctx, []string{"--config", s.cfg, "serve"}, strings.NewReader(""), io.Discard, sv.stderr)
	}()
	s.t.Cleanup(func() { cancel(); <-sv.exit })
	return sv
}

var servingAt = regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+)`)

// url waits until it serves and returns where.
func (sv *serving) url() string {
	sv.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if m := servingAt.FindStringSubmatch(sv.stderr.String()); m != nil {
			return m[1]
		}
		select {
		case code := <-sv.exit:
			sv.t.Fatalf("agent serve exited %d: %s", code, sv.stderr)
		default:
		}
		if time.Now().After(deadline) {
			sv.t.Fatalf("agent serve does not say where it serves: %s", sv.stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestServe: `agent serve` answers from the store the runs of another
// process wrote, follows them, and exits 0 when interrupted.
func TestServe(t *testing.T) {
	s := newSandbox(t)
	sv := s.serve("127.0.0.1:0")
	base := sv.url()

	// No store yet: up, not ready, and nothing created.
	if code, body := loopback.Get(t, nil, base+"/healthz"); code != http.StatusOK || !strings.Contains(body, `"ok"`) {
		t.Errorf("/healthz: %d %s", code, body)
	}
	if code, body := loopback.Get(t, nil, base+"/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "does not exist: has the service run") {
		t.Errorf("/readyz without a store: %d %s", code, body)
	}
	if code, body := loopback.Get(t, nil, base+"/"); code != http.StatusUnauthorized || !strings.Contains(body, "closed") {
		t.Errorf("the status page without its token: %d %s", code, body)
	}
	if _, err := os.Stat(filepath.Join(s.dir, "data")); err == nil {
		t.Error("agent serve created data_dir")
	}

	if code, _ := s.runNow(); code != exitOK {
		t.Fatalf("run-now: exit %d", code)
	}
	if code, body := loopback.Get(t, nil, base+"/readyz"); code != http.StatusOK || strings.TrimSpace(body) != `{"status":"ready"}` {
		t.Errorf("/readyz after a run: %d %s", code, body)
	}
	// The status page opens with the token the service makes (agent serve
	// only reads it), through the link `agent page` prints; read-only: no
	// Run now, and no push ingest.
	if _, err := httpd.PageToken(filepath.Join(s.dir, "data"), true); err != nil {
		t.Fatal(err)
	}
	code, out, errs := s.agent("page")
	tok, found := strings.CutPrefix(strings.TrimSpace(out), "http://127.0.0.1:0/?token=")
	if code != exitOK || !found {
		t.Fatalf("agent page: exit %d: %s %s", code, out, errs)
	}
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	if code, page := loopback.Get(t, browser, base+"/?token="+tok); code != http.StatusOK || !strings.Contains(page, "ironclad-example") || strings.Contains(page, "Run now") {
		t.Errorf("the status page of agent serve: %d %s", code, page)
	}
	if resp, err := browser.Post(base+"/ingest/ironclad-example", "application/json", strings.NewReader("{}")); err != nil {
		t.Fatal(err)
	} else if resp.Body.Close(); strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Errorf("agent serve serves ingest: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	code, body := loopback.Get(t, nil, base+"/metrics")
	if code != http.StatusOK || !strings.Contains(body, `agent_last_success_timestamp_seconds{integration="ironclad-example"}`) ||
		!strings.Contains(body, `agent_build_info{goversion=`) {
		t.Errorf("/metrics: %d\n%s", code, body)
	}
	if strings.Contains(body, "agent_runs_total{") {
		t.Errorf("agent serve counts runs it did not run:\n%s", body)
	}

	// A failed run of the service: not ready, and why.
	s.setLines(append(s.lines(), `{"id": broken`))
	if code, _ := s.runNow(); code != exitFailed {
		t.Fatalf("failing run-now: exit %d", code)
	}
	if code, body := loopback.Get(t, nil, base+"/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, `"reason":"integration ironclad-example failed: `) {
		t.Errorf("/readyz after a failed run: %d %s", code, body)
	}
	if code, _ := loopback.Get(t, nil, base+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz after a failed run: %d", code)
	}

	sv.stop()
	if code := <-sv.exit; code != exitOK {
		t.Errorf("agent serve interrupted: exit %d, want 0: %s", code, sv.stderr)
	}
	sv.exit <- exitOK // for the cleanup
}

func TestServeRefusals(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	tests := []struct {
		name   string
		listen string
		code   int
		stderr string
	}{
		{"listen off", "", exitUsage, `serve: http.listen is "" in `},
		{"port taken", taken.Addr().String(), exitFailed, "agent: http: listen on " + taken.Addr().String() + " (http.listen): "},
		{"network without TLS", "0.0.0.0:0", exitUsage, `http.listen "0.0.0.0:0" is not a loopback address: set http.tls_cert and http.tls_key`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSandbox(t)
			cfg, _ := os.ReadFile(s.cfg)
			s.write(s.cfg, strings.Replace(string(cfg), `listen = "127.0.0.1:8787"`, `listen = "`+tc.listen+`"`, 1))
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var stderr strings.Builder
			code := run(ctx, []string{"--config", s.cfg, "serve"}, strings.NewReader(""), io.Discard, &stderr)
			if code != tc.code || !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("agent serve: exit %d, %s; want exit %d and %q", code, stderr.String(), tc.code, tc.stderr)
			}
		})
	}
}
