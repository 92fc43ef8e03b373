package runner

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/agentsync/agent/agent/config"
	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/credentials"
	"github.com/agentsync/agent/internal/plural"
)

// Notification events about credentials.
const (
	EventCredentialExpiring = "credential_expiring"
	EventCredentialExpired  = "credential_expired"
)

// CredentialState is the state a credential imposes on the integrations
// that name it (seed 000): StateWarning when it expires within
// credentials.ExpiryWarning (90 days) or is not stored, StateFailed when it
// has expired, "" when it imposes nothing. reason says why.
func CredentialState(name string, m credentials.Meta, stored bool, now time.Time) (state, reason string) {
	if !stored {
		return StateWarning, fmt.Sprintf("credential %s is not set (agent credentials set %s)", name, name)
	}
	day := m.ExpiresAt.Format(time.DateOnly)
	switch m.Expiry(now) {
	case credentials.ExpiryExpired:
		return StateFailed, fmt.Sprintf("credential %s expired on %s", name, day)
	case credentials.ExpiryExpiring:
		return StateWarning, fmt.Sprintf("credential %s expires on %s, in %s", name, day, plural.Count(int(m.ExpiresAt.Sub(now).Hours()/24), "day", "days"))
	}
	return "", ""
}

// severity orders the states a credential can raise an integration to.
var severity = map[string]int{StateDraft: -1, "": 0, StateReady: 1, StateActive: 1, StateWarning: 2, StateFailed: 3}

// withCredential raises state (StatusOf's) to the credential's when that
// is worse, and notifies an expiry once per credential and state. Drafts
// stay drafts.
func withCredential(ctx context.Context, st *store.Store, cfg *config.Config, in *config.Integration, now time.Time, state string) (string, string) {
	if in.Credential == "" || state == StateDraft {
		return state, ""
	}
	m, stored, err := credentials.Lookup(cfg.Agent.DataDir, in.Credential)
	if err != nil {
		return state, err.Error()
	}
	cs, reason := CredentialState(in.Credential, m, stored, now)
	if stored && cs != "" {
		notifyExpiry(ctx, st, cfg, m, now)
	}
	if severity[cs] > severity[state] {
		return cs, reason
	}
	return state, ""
}

// CheckCredentials notifies, once per credential and state, the expiry of
// every credential an integration names; the service calls it on its
// ticks, `agent status` through StatusOf.
func CheckCredentials(ctx context.Context, st *store.Store, cfg *config.Config, now time.Time) error {
	metas, err := credentials.ReadIndex(cfg.Agent.DataDir)
	if err != nil {
		return err
	}
	for _, m := range metas {
		notifyExpiry(ctx, st, cfg, m, now)
	}
	return nil
}

// notifyExpiry puts "expires soon" or "expired" in the inbox for the
// contacts of the integrations naming the credential, unless that state
// of this expiry was notified already (setting the credential again
// starts over).
func notifyExpiry(ctx context.Context, st *store.Store, cfg *config.Config, m credentials.Meta, now time.Time) {
	state := m.Expiry(now)
	if state == credentials.ExpiryOK || m.Notified == state {
		return
	}
	var names, contacts []string
	seen := map[string]bool{}
	for _, in := range cfg.Integrations {
		if in.Credential != m.Name {
			continue
		}
		names = append(names, in.Name)
		for _, c := range in.Contacts {
			if !seen[c] {
				seen[c] = true
				contacts = append(contacts, c)
			}
		}
	}
	if len(names) == 0 {
		return
	}
	sort.Strings(contacts)
	first, err := credentials.MarkNotified(cfg.Agent.DataDir, m.Name, m.ExpiresAt, state)
	if err != nil || !first {
		return
	}
	day := m.ExpiresAt.In(cfg.Location).Format(time.DateOnly)
	n := store.Notification{Integration: strings.Join(names, ", "), Recipients: contacts}
	fix := fmt.Sprintf("Rotate the secret at the vendor, then store the new one with:\n\n    agent credentials set %s --expires YYYY-MM-DD", m.Name)
	if state == credentials.ExpiryExpired {
		n.Event = EventCredentialExpired
		n.Subject = fmt.Sprintf("agent: credential %s has expired", m.Name)
		n.Body = fmt.Sprintf("Credential %s (%s) expired on %s. The integrations that use it (%s) are failed until it is replaced.\n\n%s", m.Name, m.Kind, day, n.Integration, fix)
	} else {
		n.Event = EventCredentialExpiring
		n.Subject = fmt.Sprintf("agent: credential %s expires on %s", m.Name, day)
		n.Body = fmt.Sprintf("Credential %s (%s) expires on %s. The integrations that use it (%s) are in warning until it is replaced.\n\n%s", m.Name, m.Kind, day, n.Integration, fix)
	}
	if _, err := st.AddNotification(context.WithoutCancel(ctx), n); err != nil {
		// Let the next check try again.
		credentials.MarkNotified(cfg.Agent.DataDir, m.Name, m.ExpiresAt, m.Notified)
	}
}
