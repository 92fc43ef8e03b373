package runner

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agentsync/agent/agent/engine"
	"github.com/agentsync/agent/agent/notify"
	"github.com/agentsync/agent/agent/store"
)

// TestRunTellsOfTheInterruptedRun: a run that takes its lock records the
// run a dead process left running as failed, and its contacts are told
// as for any failed run (then, the run succeeding, that it recovered).
func TestRunTellsOfTheInterruptedRun(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	users := filepath.Join(dir, "users.jsonl")
	if err := os.WriteFile(users, []byte(`{"email": "a@example.com"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, st := openDir(t, dir, fileIntegration("acme", users, `contacts = ["ops@example.com"]`))
	if err := st.StartRun(ctx, store.Run{ID: "r1", Integration: "acme", Trigger: engine.TriggerSchedule, StartedAt: time.Now().Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	r := &Runner{Config: cfg, Store: st}
	if rep, err := r.Run(ctx, "acme", engine.Options{}); err != nil || rep.Outcome != store.OutcomeSuccess {
		t.Fatalf("run: %+v, %v", rep, err)
	}
	if r1, _ := st.Run(ctx, "r1"); r1.Outcome != store.OutcomeFailed || !strings.HasPrefix(r1.Error, "interrupted: the agent stopped during this run") {
		t.Errorf("r1 = %+v", r1)
	}
	ns, err := st.Notifications(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	var events []string
	told := false
	for _, n := range ns {
		events = append(events, n.Event)
		told = told || n.Event == notify.EventRunFailed && strings.Contains(n.Body, "(run r1)") && strings.Contains(n.Body, "interrupted")
	}
	if !told || len(ns) != 2 {
		t.Errorf("inbox events %v; want r1's run_failed, then recovered", events)
	}
}
