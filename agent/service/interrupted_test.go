package service

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/agentsync/agent/agent/notify"
	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/internal/filelock"
)

// TestStartFailsInterruptedRuns: a run left "running" by a process that
// died is recorded as failed when the service starts, and its contacts
// are told, without waiting for the integration's next run; a run whose
// lock another live process holds (`agent run-now`) is left alone.
func TestStartFailsInterruptedRuns(t *testing.T) {
	tests := []struct {
		name string
		held bool // another process runs it now
	}{
		{"left by a dead process", false},
		{"going on in another process", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			started := time.Now().Add(-time.Hour).UTC()
			h := startDaemonAfter(t, configText("manual", `[smtp]`, `host = "127.0.0.1"`, `port = 1`, `security = "none"`, `from = "agent@example.com"`), func(dataDir string) {
				st, err := store.Open(ctx, dataDir)
				if err != nil {
					t.Fatal(err)
				}
				defer st.Close()
				if err := st.StartRun(ctx, store.Run{ID: "r1", Integration: "acme", Trigger: "schedule", StartedAt: started}); err != nil {
					t.Fatal(err)
				}
				if tc.held {
					l, err := filelock.Acquire(dataDir, "acme")
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { l.Release() })
				}
			})
			r1, err := h.st.Run(ctx, "r1")
			if err != nil {
				t.Fatal(err)
			}
			ns := h.messages()
			if tc.held {
				if r1.Outcome != store.OutcomeRunning || len(ns) != 0 {
					t.Errorf("a live run was touched: %+v; inbox %+v", r1, ns)
				}
				return
			}
			if r1.Outcome != store.OutcomeFailed || !strings.HasPrefix(r1.Error, "interrupted: the agent stopped during this run") || r1.FinishedAt.IsZero() {
				t.Errorf("run = %+v, want failed as interrupted", r1)
			}
			if len(ns) != 1 || ns[0].Event != notify.EventRunFailed || ns[0].Integration != "acme" ||
				!strings.Contains(ns[0].Body, "(run r1)") || !strings.Contains(ns[0].Body, "interrupted: the agent stopped during this run") ||
				ns[0].EmailStatus != store.EmailPending || len(ns[0].Recipients) != 1 {
				t.Errorf("inbox: %+v; want one run_failed message for r1, its e-mail queued (an SMTP host that refuses keeps it pending)", ns)
			}
		})
	}
}
