//go:build unix

package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/internal/vendorsim"
)

var crashUsers = flag.Int("crash-users", 50_000, "users of the crash test's large run")

// binary runs the built agent on a's config.
func (a *simAgent) binary(bin string, args ...string) *exec.Cmd {
	return exec.Command(bin, append([]string{"--config", a.cfg}, args...)...)
}

// binRunNow runs `run-now --json sim` in a process of its own, to the end.
func (a *simAgent) binRunNow(bin string) (int, string) {
	a.t.Helper()
	cmd := a.binary(bin, "run-now", "--json", "sim")
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		a.t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), out.String() + errb.String()
}

// binExport is `agent export` of the people by the binary (quick under
// -race too), normalized as export does it.
func (a *simAgent) binExport(bin string) []string {
	a.t.Helper()
	out, err := a.binary(bin, "export", "--integration", "sim", "--kind", "people", "--format", "jsonl").Output()
	if err != nil {
		a.t.Fatalf("export: %v", err)
	}
	return normalExport(string(out))
}

// TestKilledMidRunThenRerun kills the agent (SIGKILL) in the middle of a
// large run, twice: during the first sync, and during a churned resync
// that has deactivations to make. Each time the store must open and pass
// PRAGMA integrity_check, and a rerun must end with exactly the records
// of an agent that was never interrupted. While the doomed run holds the
// integration, a second process asking to run it is refused.
func TestKilledMidRunThenRerun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the agent and syncs a large source")
	}
	bin := agentBinary(t)
	n := *crashUsers
	if raceEnabled && n > 20_000 {
		n = 20_000 // the binary is not instrumented; the test's own reading of the store is, and slow
	}
	const size = 1000
	sc := vendorsim.Config{Users: n}
	in := vendorsim.Integration{PageSize: size}
	a, ref := newSimAgent(t, sc, in), newSimAgent(t, sc, in) // the crashed agent and the reference one

	phases := []struct {
		name  string
		churn func(*vendorsim.Config)
	}{
		{"first sync", func(c *vendorsim.Config) {}},
		{"churned resync", func(c *vendorsim.Config) {
			c.Generation, c.Churn = 1, vendorsim.Churn{Changed: 1, Removed: 1, Added: 1, Inactive: 1}
		}},
	}
	for i, ph := range phases {
		a.sim.Set(ph.churn)
		ref.sim.Set(ph.churn)
		pages := int64(a.sim.Config().Census().Listed / size)
		a.sim.ResetStats()
		// The doomed run is slowed down, so that the kill finds it going
		// even on a loaded machine.
		a.sim.Set(func(c *vendorsim.Config) { c.Latency = 20 * time.Millisecond })

		doomed := a.binary(bin, "run-now", "--json", "sim")
		var doomedOut strings.Builder
		doomed.Stdout, doomed.Stderr = &doomedOut, &doomedOut
		if err := doomed.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { doomed.Process.Kill() })
		ended := make(chan error, 1)
		go func() { ended <- doomed.Wait() }()
		waitPages := func(p int64) {
			for a.sim.PagesServed.Load() < p {
				select {
				case err := <-ended:
					t.Fatalf("%s: the run ended after %d of %d pages, before the kill: %v: %s", ph.name, a.sim.PagesServed.Load(), pages, err, doomedOut.String())
				case <-time.After(time.Millisecond):
				}
			}
		}
		waitPages(pages / 2)
		// A second process: the integration is running, so it is refused.
		if code, out := a.binRunNow(bin); code != exitFailed || !strings.Contains(out, "already running") {
			t.Errorf("%s: a second run-now while one runs: exit %d, %q; want 1 and 'already running'", ph.name, code, out)
		}
		waitPages(pages * 3 / 4)
		doomed.Process.Signal(syscall.SIGKILL)
		err := <-ended
		if ws, ok := doomed.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
			t.Fatalf("%s: the run was not killed mid-run: %v, served %d of %d pages, output %q", ph.name, err, a.sim.PagesServed.Load(), pages, doomedOut.String())
		}
		a.sim.Set(func(c *vendorsim.Config) { c.Latency = 0 })

		st, err := store.Open(context.Background(), filepath.Join(a.dir, "data"))
		if err != nil {
			t.Fatalf("%s: the store does not open after the kill: %v", ph.name, err)
		}
		if err := st.IntegrityCheck(context.Background()); err != nil {
			t.Fatalf("%s: after the kill: %v", ph.name, err)
		}
		if err := st.CheckActiveCounts(context.Background()); err != nil {
			t.Fatalf("%s: after the kill: %v", ph.name, err)
		}
		st.Close()

		code, out := a.binRunNow(bin)
		rep := parseReport(t, out, "")
		if code != exitOK || rep.Outcome != store.OutcomeSuccess {
			t.Fatalf("%s: the rerun: exit %d, %s", ph.name, code, out)
		}
		if code, out := ref.binRunNow(bin); code != exitOK {
			t.Fatalf("%s: the uninterrupted run: exit %d, %s", ph.name, code, out)
		}
		got, want := a.binExport(bin), ref.binExport(bin)
		if c := a.sim.Config().Census(); len(want) != c.Listed+c.Removed { // the removed stay, inactive
			t.Fatalf("%s: the reference holds %d people, want %d", ph.name, len(want), c.Listed+c.Removed)
		}
		if !slices.Equal(got, want) {
			for i := range min(len(got), len(want)) {
				if got[i] != want[i] {
					t.Fatalf("%s: after the rerun the records differ from an uninterrupted run's (%d vs %d); first difference:\n got %s\nwant %s", ph.name, len(got), len(want), got[i], want[i])
				}
			}
			t.Fatalf("%s: after the rerun %d records, an uninterrupted run %d", ph.name, len(got), len(want))
		}
		checkActiveCounts(t, a, ph.name+", after the rerun")
		_, runs, _ := a.cli(nil, "runs", "sim", "--json")
		if n := strings.Count(runs, "interrupted"); n != i+1 {
			t.Errorf("%s: %d runs recorded as interrupted, want %d: %s", ph.name, n, i+1, runs)
		}
	}
}

// checkActiveCounts compares the store's kept counts of active records
// with a count of the records, every scope (store.CheckActiveCounts:
// SELECT count(*) ... WHERE status = 'active' per integration, kind and
// application).
func checkActiveCounts(t *testing.T, a *simAgent, when string) {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(a.dir, "data"))
	if err != nil {
		t.Fatalf("%s: the store does not open: %v", when, err)
	}
	defer st.Close()
	if err := st.IntegrityCheck(context.Background()); err != nil {
		t.Fatalf("%s: %v", when, err)
	}
	if err := st.CheckActiveCounts(context.Background()); err != nil {
		t.Fatalf("%s: %v", when, err)
	}
}

// TestKilledAnywhereKeepsActiveCounts kills the agent (SIGKILL) at random
// moments of runs that create, update, deactivate and reactivate
// (alternating churned and original user sets): in a page's transaction,
// between two, in the plan, in the commit or after it. Each time the
// store's counts of active records must equal a count of the records
// (they are written in the transactions that change a status), and the
// next run must use them: the last, clean run ends with the same check.
func TestKilledAnywhereKeepsActiveCounts(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the agent and kills it a dozen times")
	}
	bin := agentBinary(t)
	const n, size, kills = 5000, 100, 12
	a := newSimAgent(t, vendorsim.Config{Users: n}, vendorsim.Integration{PageSize: size})
	if code, out := a.binRunNow(bin); code != exitOK {
		t.Fatalf("first sync: exit %d, %s", code, out)
	}
	churn := vendorsim.Churn{Changed: 1, Removed: 2, Added: 2, Inactive: 2}
	a.sim.Set(func(c *vendorsim.Config) { c.Generation, c.Churn = 1, churn })
	start := time.Now()
	if code, out := a.binRunNow(bin); code != exitOK {
		t.Fatalf("a churned resync: exit %d, %s", code, out)
	}
	took := time.Since(start)
	seed := time.Now().UnixNano()
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	t.Logf("a clean resync takes %v; seed %d", took, seed)
	killed := 0
	for i := range kills {
		a.sim.Set(func(c *vendorsim.Config) { c.Generation = i % 2 })
		cmd := a.binary(bin, "run-now", "--json", "sim")
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// From a quarter of a clean resync's length to a little after
		// it: among the pages, the plan, the commit (TestKilledMidRunThenRerun
		// kills among the pages of a large run).
		time.Sleep(took/4 + time.Duration(rng.Int64N(int64(took))))
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			killed++
		} else if code := cmd.ProcessState.ExitCode(); code != exitOK {
			t.Fatalf("kill %d: the run ended by itself with exit %d: %s", i, code, out.String())
		}
		checkActiveCounts(t, a, fmt.Sprintf("kill %d (generation %d)", i, i%2))
	}
	t.Logf("%d of %d runs killed, the others ended first", killed, kills)
	if code, out := a.binRunNow(bin); code != exitOK {
		t.Fatalf("the clean run: exit %d, %s", code, out)
	}
	checkActiveCounts(t, a, "the clean run")
}

// TestDeliveredAfterAKill: the agent is killed after the run committed and
// before delivery finished (the tenant hangs); the service's next start
// delivers the queue.
func TestDeliveredAfterAKill(t *testing.T) {
	bin := agentBinary(t)
	a := newTenantAgent(t, "")
	a.tenant.SetLatency(time.Hour)
	cmd := exec.Command(bin, "--config", a.cfg, "run-now", "people")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, out, _ := a.cli(nil, "runs", "--json", "people")
		if strings.Contains(out, `"outcome":"success"`) {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the run did not commit: %s", out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if n := a.tenant.UserCount(); n != 0 {
		t.Fatalf("the tenant got %d users before the kill", n)
	}
	a.tenant.SetLatency(0)
	svc := exec.Command(bin, "--config", a.cfg, "run")
	var logs bytes.Buffer
	svc.Stderr = &logs
	if err := svc.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { svc.Process.Signal(syscall.SIGTERM); svc.Wait() }()
	for a.tenant.UserCount() != 10 {
		if time.Now().After(deadline.Add(30 * time.Second)) {
			t.Fatalf("the service did not deliver the queue; its log:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	a.tenantMatchesExport()
}
