package main

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/agentsync/agent/agent/notify/smtptest"
)

// TestRunNowSendsItsEmails: with no service running, a failing run-now
// sends the e-mail its run queued before it exits; when the SMTP server is
// down or never answers, it exits within its bound, says so on stderr, and
// the message stays pending with its error for the service to retry.
func TestRunNowSendsItsEmails(t *testing.T) {
	defer func(d time.Duration) { runNowEmailTimeout = d }(runNowEmailTimeout)
	runNowEmailTimeout = 2 * time.Second

	// A port where nothing listens, and one that accepts and stays silent.
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := closed.Addr().(*net.TCPAddr).Port
	closed.Close()
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()

	tests := []struct {
		name     string
		port     func(t *testing.T) (int, *smtptest.Server)
		sent     bool
		stderr   string // what run-now says about the e-mail
		emailErr string // the notification's email_error afterwards
	}{
		{"server up", func(t *testing.T) (int, *smtptest.Server) {
			mb := smtptest.Start(t, "127.0.0.1:0", false)
			return mb.Port, mb
		}, true, "", ""},
		{"server down", func(t *testing.T) (int, *smtptest.Server) { return closedPort, nil },
			false, "not sent: smtp 127.0.0.1:", "connection refused"},
		{"server silent", func(t *testing.T) (int, *smtptest.Server) { return silent.Addr().(*net.TCPAddr).Port, nil },
			false, "not sent: smtp 127.0.0.1:", "127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			port, mb := tt.port(t)
			s := newSandbox(t)
			b, err := os.ReadFile(s.cfg)
			if err != nil {
				t.Fatal(err)
			}
			cfg := string(b)
			for _, r := range [][2]string{{`host = ""`, `host = "127.0.0.1"`}, {"port = 587", fmt.Sprintf("port = %d", port)}, {`security = "starttls"`, `security = "none"`}} {
				if !strings.Contains(cfg, r[0]) {
					t.Fatalf("config.example.toml has no %s", r[0])
				}
				cfg = strings.Replace(cfg, r[0], r[1], 1)
			}
			s.write(s.cfg, cfg)
			s.setLines(append(s.lines(), `{"id": broken`))

			start := time.Now()
			code, _, errs := s.agent("run-now", "ironclad-example")
			took := time.Since(start)
			if code != 1 {
				t.Fatalf("run-now: exit %d, want 1 (the run fails)\n%s", code, errs)
			}
			if took > runNowEmailTimeout+5*time.Second {
				t.Errorf("run-now took %v; its e-mails are bounded by %v", took, runNowEmailTimeout)
			}
			if mb != nil {
				msgs := mb.Messages()
				if len(msgs) != 1 || !strings.Contains(string(msgs[0].Data), "integration ironclad-example failed") {
					t.Fatalf("the SMTP server received %d messages by the time run-now exited, want the failure", len(msgs))
				}
			}
			if tt.stderr == "" && strings.Contains(errs, "not sent") || !strings.Contains(errs, tt.stderr) {
				t.Errorf("stderr = %q, want %q", errs, tt.stderr)
			}
			if tt.stderr != "" && !strings.Contains(errs, "e-mail of notification 1 (run_failed, to it-ops@example.com) not sent") {
				t.Errorf("stderr does not name the message and its recipient: %q", errs)
			}
			_, out, _ := s.agent("notifications", "--json")
			var n struct {
				EmailStatus string `json:"email_status"`
				EmailError  string `json:"email_error"`
			}
			if err := json.Unmarshal([]byte(strings.SplitN(out, "\n", 2)[0]), &n); err != nil {
				t.Fatalf("notifications: %v: %q", err, out)
			}
			want := "pending"
			if tt.sent {
				want = "sent"
			}
			if n.EmailStatus != want || !strings.Contains(n.EmailError, tt.emailErr) || (tt.emailErr != "") != (n.EmailError != "") {
				t.Errorf("the notification's e-mail is %q (%q), want %q with %q", n.EmailStatus, n.EmailError, want, tt.emailErr)
			}
		})
	}
}
