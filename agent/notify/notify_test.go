package notify

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/agentsync/agent/agent/config"
	"github.com/agentsync/agent/agent/engine"
	"github.com/agentsync/agent/agent/notify/smtptest"
	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/credentials"
	_ "github.com/agentsync/agent/vendors/file"
)

// testConfig is a config whose [smtp] points at 127.0.0.1:port.
func testConfig(t *testing.T, port int, security string, contacts ...string) *config.Config {
	t.Helper()
	quoted := make([]string, len(contacts))
	for i, c := range contacts {
		quoted[i] = fmt.Sprintf("%q", c)
	}
	src := fmt.Sprintf(`[agent]
data_dir = %q
time_zone = "Europe/Paris"

[smtp]
host = "127.0.0.1"
port = %d
security = %q
from = "Agent <agent@example.com>"
username = %q
credential = "smtp"

[[integration]]
name = "acme"
vendor = "file"
credential = "acme-prod"
file.path = "users.jsonl"
schedule = "daily 23:00"
contacts = [%s]
  [integration.mapping]
  "user.email" = "email"
`, t.TempDir(), port, security, smtptest.User, strings.Join(quoted, ", "))
	cfg, err := config.Parse("config.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func openStore(t *testing.T, cfg *config.Config) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), cfg.Agent.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// secrets is the credential store as the mailer sees it (vendortest.Secrets
// cannot be used here: it imports the runner, which imports this package).
type secrets map[string]credentials.Secret

func (s secrets) Get(_ context.Context, name string) (credentials.Secret, error) {
	sec, ok := s[name]
	if !ok {
		return sec, fmt.Errorf("credential %q not found", name)
	}
	return sec, nil
}

var smtpSecret = secrets{"smtp": {Kind: credentials.Basic, Username: smtptest.User, Password: smtptest.Pass}}

func failedReport(name string) engine.Report {
	at := time.Date(2025, 3, 30, 21, 0, 0, 0, time.UTC)
	return engine.Report{Integration: name, RunID: "20250330T210000Z-0001", Trigger: engine.TriggerSchedule,
		StartedAt: at, FinishedAt: at.Add(time.Minute), Outcome: store.OutcomeFailed, Error: "fetch: boom at line 3"}
}

func successReport(name string) engine.Report {
	rep := failedReport(name)
	rep.Outcome, rep.Error, rep.RunID = store.OutcomeSuccess, "", "20250331T210000Z-0002"
	rep.Counts.Fetched = 12
	return rep
}

func events(t *testing.T, st *store.Store) []string {
	t.Helper()
	ns, err := st.Notifications(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(ns) - 1; i >= 0; i-- {
		out = append(out, ns[i].Event)
	}
	return out
}

func TestOneMessagePerEventAndRecovery(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig(t, 25, "starttls", "ops@example.com")
	st := openStore(t, cfg)
	var queued atomic.Int32
	n := &Notifier{Config: cfg, Store: st, Queued: func(int64) { queued.Add(1) }}
	in, _ := cfg.Integration("acme")

	guarded := failedReport("acme")
	guarded.Error, guarded.Staged = "mass-deactivation guard: …", []string{"ann@example.com", "bob@example.com"}
	n.RunFinished(ctx, guarded)
	n.RunFinished(ctx, failedReport("acme")) // the same incident: no second message
	if got := events(t, st); !slices.Equal(got, []string{EventRunFailed}) {
		t.Fatalf("after two failures: %v", got)
	}
	if ns, _ := st.Notifications(ctx, 1); !strings.Contains(ns[0].Body, "mass-deactivation guard: …\n\nIt would have deactivated: ann@example.com, bob@example.com.") {
		t.Errorf("guard message: %q", ns[0].Body)
	}
	n.RunFinished(ctx, successReport("acme"))
	n.RunFinished(ctx, successReport("acme"))
	if got := events(t, st); !slices.Equal(got, []string{EventRunFailed, EventRecovered}) {
		t.Fatalf("after two successes: %v", got)
	}

	// A scheduled run skipped because the last one still ran: told once;
	// a success closes it without a recovery message; it may happen again.
	slot := time.Date(2025, 4, 1, 21, 0, 0, 0, time.UTC)
	n.NotRun(ctx, in, slot, ReasonRunning, "run X started at …")
	n.NotRun(ctx, in, slot.Add(24*time.Hour), ReasonRunning, "run X started at …")
	n.RunFinished(ctx, successReport("acme"))
	n.NotRun(ctx, in, slot.Add(48*time.Hour), ReasonRunning, "run Y")
	// A missing credential is worth a recovery message.
	n.NotRun(ctx, in, slot, ReasonCredential, "not found")
	n.RunFinished(ctx, successReport("acme"))
	want := []string{EventRunFailed, EventRecovered, EventRunMissed, EventRunMissed, EventRunMissed, EventRecovered}
	if got := events(t, st); !slices.Equal(got, want) {
		t.Fatalf("events = %v\nwant %v", got, want)
	}
	if queued.Load() != int32(len(want)) {
		t.Errorf("Queued called %d times, want %d", queued.Load(), len(want))
	}
	ns, _ := st.Notifications(ctx, 0)
	if last := ns[0]; !strings.Contains(last.Body, "its credential could not be read") || last.Subject != "agent: integration acme succeeds again" {
		t.Errorf("recovery message = %q / %q", last.Subject, last.Body)
	}
	if m := ns[1]; m.Subject != "agent: scheduled run of acme at 2025-04-01 23:00 CEST did not run" ||
		!strings.Contains(m.Body, `its credential "acme-prod" could not be read: not found`) || !slices.Equal(m.Recipients, []string{"ops@example.com"}) ||
		m.EmailStatus != store.EmailPending {
		t.Errorf("missed-run message = %+v", m)
	}

	// Dry runs and cancelled runs say nothing.
	dry := failedReport("acme")
	dry.DryRun = true
	n.RunFinished(ctx, dry)
	cancelled := failedReport("acme")
	cancelled.Outcome = store.OutcomeCancelled
	n.RunFinished(ctx, cancelled)
	if got := events(t, st); len(got) != len(want) {
		t.Errorf("dry or cancelled runs added messages: %v", got)
	}
}

func TestConfigRejectedOncePerContentInboxOnly(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig(t, 25, "starttls", "ops@example.com")
	st := openStore(t, cfg)
	n := &Notifier{Config: cfg, Store: st}
	problems := fmt.Errorf("config.toml:7:1: integration.vendor \"nope\" is not a known vendor")
	n.ConfigRejected(ctx, "hash-a", problems, time.Now())
	n.ConfigRejected(ctx, "hash-a", problems, time.Now())
	n.ConfigRejected(ctx, "hash-b", problems, time.Now())
	n.ConfigAccepted(ctx)
	n.ConfigRejected(ctx, "hash-a", problems, time.Now())
	ns, _ := st.Notifications(ctx, 0)
	if len(ns) != 3 {
		t.Fatalf("%d messages, want 3 (a, b, a again after a good config)", len(ns))
	}
	if m := ns[0]; m.Event != EventConfigInvalid || len(m.Recipients) != 0 || m.EmailStatus != store.EmailNone ||
		!strings.Contains(m.Body, "config.toml:7:1: integration.vendor") {
		t.Errorf("config message = %+v", m)
	}
}

func TestNoSMTPHostMeansInboxOnly(t *testing.T) {
	cfg := testConfig(t, 25, "starttls", "ops@example.com")
	cfg.SMTP.Host = ""
	st := openStore(t, cfg)
	(&Notifier{Config: cfg, Store: st}).RunFinished(context.Background(), failedReport("acme"))
	ns, _ := st.Notifications(context.Background(), 0)
	if len(ns) != 1 || ns[0].EmailStatus != store.EmailNone || !slices.Equal(ns[0].Recipients, []string{"ops@example.com"}) {
		t.Fatalf("messages = %+v", ns)
	}
}

func TestEmailDeliveredToLoopbackSMTP(t *testing.T) {
	for _, security := range []string{"starttls", "tls"} {
		t.Run(security, func(t *testing.T) {
			ctx := context.Background()
			mb := smtptest.Start(t, "127.0.0.1:0", security == "tls")
			cfg := testConfig(t, mb.Port, security, "Jane Doé <jane@example.com>", "ops@example.com", "nobody@example.com")
			st := openStore(t, cfg)
			(&Notifier{Config: cfg, Store: st}).RunFinished(ctx, failedReport("acme"))

			d := &Delivery{Store: st, Clock: clockwork.NewFakeClock()}
			d.SetMailer(&Mailer{SMTP: cfg.SMTP, Secrets: smtpSecret, TLS: &tls.Config{RootCAs: mb.Roots}})
			if sent, failed := d.Flush(ctx); sent != 1 || failed != 0 {
				ns, _ := st.Notifications(ctx, 0)
				t.Fatalf("sent %d, failed %d; inbox: %+v", sent, failed, ns)
			}
			msgs := mb.Messages()
			if len(msgs) != 1 {
				t.Fatalf("%d messages received", len(msgs))
			}
			m := msgs[0]
			if m.From != "agent@example.com" || !slices.Equal(m.To, []string{"jane@example.com", "ops@example.com"}) {
				t.Errorf("envelope from %q to %v; the refused nobody@ must not stop the others", m.From, m.To)
			}
			if !slices.Equal(mb.Logins(), []string{smtptest.User}) {
				t.Errorf("logins = %v", mb.Logins())
			}
			parsed, err := mail.ReadMessage(strings.NewReader(string(m.Data)))
			if err != nil {
				t.Fatal(err)
			}
			subject, _ := new(mime.WordDecoder).DecodeHeader(parsed.Header.Get("Subject"))
			if subject != "agent: integration acme failed" {
				t.Errorf("Subject = %q", subject)
			}
			to, err := parsed.Header.AddressList("To")
			if err != nil || len(to) != 3 || to[0].Name != "Jane Doé" || to[0].Address != "jane@example.com" {
				t.Errorf("To = %v, %v", to, err)
			}
			if parsed.Header.Get("X-Agent-Event") != EventRunFailed || parsed.Header.Get("X-Agent-Integration") != "acme" {
				t.Errorf("headers = %v", parsed.Header)
			}
			body, _ := io.ReadAll(quotedprintable.NewReader(parsed.Body))
			for _, want := range []string{"integration acme (run 20250330T210000Z-0001)", "2025-03-30 23:00 CEST", "fetch: boom at line 3", "Nobody was deactivated"} {
				if !strings.Contains(string(body), want) {
					t.Errorf("body lacks %q:\n%s", want, body)
				}
			}
			ns, _ := st.Notifications(ctx, 0)
			if ns[0].EmailStatus != store.EmailSent || ns[0].Attempts != 1 || ns[0].EmailError != "" {
				t.Errorf("inbox after delivery: %+v", ns[0])
			}
		})
	}
}

func TestSMTPOutageThenRetry(t *testing.T) {
	ctx := context.Background()
	// A loopback port with nobody listening: the SMTP server is down.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()

	cfg := testConfig(t, port, "starttls", "ops@example.com")
	st := openStore(t, cfg)
	n := &Notifier{Config: cfg, Store: st}
	n.RunFinished(ctx, failedReport("acme"))
	clock := clockwork.NewFakeClockAt(time.Date(2025, 3, 31, 8, 0, 0, 0, time.UTC))
	d := &Delivery{Store: st, Clock: clock}
	mailer := &Mailer{SMTP: cfg.SMTP, Secrets: smtpSecret, Timeout: 5 * time.Second}
	d.SetMailer(mailer)

	if sent, failed := d.Flush(ctx); sent != 0 || failed != 1 {
		t.Fatalf("during the outage: sent %d, failed %d", sent, failed)
	}
	ns, _ := st.Notifications(ctx, 0)
	if m := ns[0]; m.EmailStatus != store.EmailPending || m.Attempts != 1 || !strings.Contains(m.EmailError, "refused") {
		t.Fatalf("after the failed attempt: %+v", m)
	}
	// The run fails again during the outage: still one message, one e-mail.
	n.RunFinished(ctx, failedReport("acme"))

	mb := smtptest.Start(t, fmt.Sprintf("127.0.0.1:%d", port), false)
	mailer.TLS = &tls.Config{RootCAs: mb.Roots}
	if sent, failed := d.Flush(ctx); sent != 0 || failed != 0 {
		t.Fatalf("before the retry time: sent %d, failed %d", sent, failed)
	}
	clock.Advance(RetryAfter(1))
	if sent, failed := d.Flush(ctx); sent != 1 || failed != 0 {
		ns, _ := st.Notifications(ctx, 0)
		t.Fatalf("at the retry time: sent %d, failed %d: %+v", sent, failed, ns)
	}
	if got := len(mb.Messages()); got != 1 {
		t.Fatalf("%d e-mails received, want 1", got)
	}
	ns, _ = st.Notifications(ctx, 0)
	if len(ns) != 1 || ns[0].EmailStatus != store.EmailSent || ns[0].Attempts != 2 {
		t.Fatalf("inbox after the retry: %+v", ns)
	}
}

func TestDeliveryRunsOnKick(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	mb := smtptest.Start(t, "127.0.0.1:0", false)
	cfg := testConfig(t, mb.Port, "starttls", "ops@example.com")
	st := openStore(t, cfg)
	clock := clockwork.NewFakeClock()
	d := &Delivery{Store: st, Clock: clock}
	d.SetMailer(&Mailer{SMTP: cfg.SMTP, Secrets: smtpSecret, TLS: &tls.Config{RootCAs: mb.Roots}})
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	(&Notifier{Config: cfg, Store: st, Queued: func(int64) { d.Kick() }}).RunFinished(ctx, failedReport("acme"))
	deadline := time.Now().Add(10 * time.Second)
	for len(mb.Messages()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the kicked delivery sent nothing")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
}

func TestSendWithoutCredentialStoreFails(t *testing.T) {
	cfg := testConfig(t, 25, "starttls", "ops@example.com")
	m := &Mailer{SMTP: cfg.SMTP}
	if err := m.auth(context.Background(), nil); err == nil || !strings.Contains(err.Error(), `smtp credential "smtp": no credential store is open`) {
		t.Fatalf("auth without a store: %v", err)
	}
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		attempts int
		want     time.Duration
	}{{1, time.Minute}, {2, 2 * time.Minute}, {3, 4 * time.Minute}, {6, 32 * time.Minute}, {7, time.Hour}, {MaxAttempts - 1, time.Hour}, {MaxAttempts, 0}}
	for _, tt := range tests {
		if got := RetryAfter(tt.attempts); got != tt.want {
			t.Errorf("RetryAfter(%d) = %v, want %v", tt.attempts, got, tt.want)
		}
	}
}
