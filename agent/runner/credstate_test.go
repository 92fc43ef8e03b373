package runner

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/credentials"
	_ "github.com/agentsync/agent/vendors/file"
)

func TestCredentialState(t *testing.T) {
	now := time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	for _, tc := range []struct {
		name    string
		expires time.Time
		stored  bool
		want    string
		reason  string // "": not checked
	}{
		{"not stored", time.Time{}, false, StateWarning, ""},
		{"no expiry", time.Time{}, true, "", ""},
		{"in 91 days", now.Add(91 * day), true, "", ""},
		{"in exactly 90 days", now.Add(90 * day), true, StateWarning, "credential c expires on 2026-04-10, in 90 days"},
		{"tomorrow", now.Add(day), true, StateWarning, "credential c expires on 2026-01-11, in 1 day"},
		{"now", now, true, StateFailed, ""},
		{"last year", now.Add(-365 * day), true, StateFailed, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, reason := CredentialState("c", credentials.Meta{Name: "c", ExpiresAt: tc.expires}, tc.stored, now)
			if got != tc.want || (got != "") != (reason != "") {
				t.Fatalf("state %q (%q); want %q", got, reason, tc.want)
			}
			if tc.reason != "" && reason != tc.reason {
				t.Errorf("reason %q, want %q", reason, tc.reason)
			}
		})
	}
}

func TestStatusFollowsCredentialExpiryAndNotifiesOnce(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	users := filepath.Join(dir, "users.jsonl")
	cfg, st := openDir(t, dir, "[keyring]\nbackend = \"file\"\n",
		fileIntegration("a", users, `credential = "shared"`, `contacts = ["ops@example.com"]`),
		fileIntegration("b", users, `credential = "shared"`, `contacts = ["sec@example.com", "ops@example.com"]`))
	t.Setenv("AGENT_KEYRING_PASSPHRASE", "credstate-test")
	creds := credentials.Open(credentials.Options{Backend: "file", DataDir: dir})
	set := func(expires time.Time) {
		if _, err := creds.Set(ctx, "shared", credentials.Secret{Kind: credentials.APIKey, Token: "tok-credstate"}, expires); err != nil {
			t.Fatal(err)
		}
	}
	states := func(now time.Time) (string, string) {
		var out [2]string
		var reason string
		for i, name := range []string{"a", "b"} {
			in, _ := cfg.Integration(name)
			s, err := StatusOf(ctx, st, cfg, in, now)
			if err != nil {
				t.Fatal(err)
			}
			out[i], reason = s.State, s.Reason
		}
		if out[0] != out[1] {
			t.Fatalf("the integrations sharing a credential differ: %v", out)
		}
		return out[0], reason
	}
	events := func() []store.Notification {
		ns, err := st.Notifications(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		return ns
	}
	now := time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)

	if s, r := states(now); s != StateWarning || r == "" {
		t.Fatalf("credential not set: %s (%s)", s, r)
	}
	set(now.AddDate(1, 0, 0))
	if s, _ := states(now); s != StateReady {
		t.Fatalf("valid credential: %s; want ready", s)
	}
	set(now.AddDate(0, 0, 30))
	for i := 0; i < 3; i++ {
		if s, r := states(now); s != StateWarning || r == "" {
			t.Fatalf("expiring: %s (%s)", s, r)
		}
	}
	if ns := events(); len(ns) != 1 || ns[0].Event != EventCredentialExpiring || ns[0].Integration != "a, b" || len(ns[0].Recipients) != 2 {
		t.Fatalf("after expiring: %+v", ns)
	}
	later := now.AddDate(0, 0, 31)
	for i := 0; i < 3; i++ {
		if s, r := states(later); s != StateFailed || r == "" {
			t.Fatalf("expired: %s (%s)", s, r)
		}
	}
	if err := CheckCredentials(ctx, st, cfg, later); err != nil {
		t.Fatal(err)
	}
	ns := events()
	if len(ns) != 2 || ns[0].Event != EventCredentialExpired {
		t.Fatalf("after expired: %d notifications, newest %+v", len(ns), ns[0])
	}
	// Rotated with a new expiry that has passed again: a new notification.
	set(later.AddDate(0, 0, -1))
	states(later)
	if ns := events(); len(ns) != 3 || ns[0].Event != EventCredentialExpired {
		t.Fatalf("after rotation: %d notifications", len(ns))
	}
	// A draft stays a draft whatever its credential.
	in, _ := cfg.Integration("a")
	in.Mapping, in.CompiledMapping = map[string]string{}, nil
	if s, _ := StatusOf(ctx, st, cfg, in, later); s.State != StateDraft {
		t.Fatalf("draft: %s", s.State)
	}
}
