package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentsync/agent/agent/engine"
	"github.com/agentsync/agent/internal/filelock"
)

// writeFleet writes a config of one file integration per name, in that
// order, each with users[i] users of its own, and [agent]
// max_parallel_runs = parallel; it returns the config's path.
func writeFleet(tb testing.TB, dir string, names []string, users []int, parallel int) string {
	tb.Helper()
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "[agent]\ndata_dir = \"data\"\nmax_parallel_runs = %d\n", parallel)
	for i, name := range names {
		path := filepath.Join(dir, name+".jsonl")
		f, err := os.Create(path)
		if err != nil {
			tb.Fatal(err)
		}
		w := bufio.NewWriter(f)
		for u := 1; u <= users[i]; u++ {
			fmt.Fprintf(w, `{"id": %d, "email": "user%d.%s@example.com", "first_name": "First%d", "last_name": "Last%d", "department": "Dept%d"}`+"\n", u, u, name, u, u, u%17)
		}
		if err := w.Flush(); err != nil {
			tb.Fatal(err)
		}
		if err := f.Close(); err != nil {
			tb.Fatal(err)
		}
		fmt.Fprintf(&cfg, `
[[integration]]
name = %q
vendor = "file"
  [integration.mapping]
  "user.username" = "email | lower"
  "user.email" = "email | lower"
  "user.employee_id" = "id"
  "user.first_name" = "first_name"
  "user.last_name" = "last_name"
  "user.department" = "department"
  [integration.file]
  path = %q
`, name, name+".jsonl")
	}
	p := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(p, []byte(cfg.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}

// TestRunNowParallelOneWholeLineEachInOrder: run-now runs every
// integration, several at once, and prints one whole line per
// integration in config order (or the order named), text and JSON.
func TestRunNowParallelOneWholeLineEachInOrder(t *testing.T) {
	names := []string{"zulu", "alpha", "mike", "bravo", "yankee", "charlie", "xray"}
	users := []int{900, 10, 500, 3, 700, 50, 1}
	dir := t.TempDir()
	s := &sandbox{t: t, dir: dir, cfg: writeFleet(t, dir, names, users, 3)}

	code, out, errs := s.agent("run-now")
	if code != exitOK {
		t.Fatalf("run-now: exit %d\n%s%s", code, out, errs)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(names) {
		t.Fatalf("run-now printed %d lines, want %d:\n%s", len(lines), len(names), out)
	}
	for i, name := range names {
		want := fmt.Sprintf("%d fetched, %d created,", users[i], users[i])
		if !strings.HasPrefix(lines[i], name+": success in ") || !strings.Contains(lines[i], want) {
			t.Errorf("line %d = %q; want %s's success with %q", i, lines[i], name, want)
		}
	}

	// Named, in an order of their own: that order.
	named := []string{"xray", "mike", "zulu", "alpha"}
	code, reps := s.runNow(named...)
	if code != exitOK || len(reps) != len(named) {
		t.Fatalf("run-now --json %v: exit %d, %d reports", named, code, len(reps))
	}
	for i, rep := range reps {
		if rep.Integration != named[i] || rep.Outcome != "success" || rep.Counts.Unchanged == 0 {
			t.Errorf("report %d: %s %s %+v; want %s, success, unchanged", i, rep.Integration, rep.Outcome, rep.Counts, named[i])
		}
	}
}

// TestRunNowParallelKeepsTheLock: an integration whose lock is held (a
// run of another process) is refused among the others running at once;
// the others run and the exit code is 1.
func TestRunNowParallelKeepsTheLock(t *testing.T) {
	names := []string{"a", "b", "c", "d", "e"}
	dir := t.TempDir()
	s := &sandbox{t: t, dir: dir, cfg: writeFleet(t, dir, names, []int{20, 20, 20, 20, 20}, 4)}
	l, err := filelock.Acquire(filepath.Join(dir, "data"), "c")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	code, out, _ := s.agent("run-now", "--json")
	if code != exitFailed {
		t.Fatalf("exit %d; want 1\n%s", code, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(names) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(names), out)
	}
	for i, line := range lines {
		var rep engine.Report
		if err := json.Unmarshal([]byte(line), &rep); err != nil {
			t.Fatalf("line %d: %q: %v", i, line, err)
		}
		want := "success"
		if names[i] == "c" {
			want = "skipped"
			if !strings.Contains(rep.Error, "already running") {
				t.Errorf("c: error %q; want 'already running'", rep.Error)
			}
		}
		if rep.Integration != names[i] || rep.Outcome != want {
			t.Errorf("line %d: %s %s; want %s %s", i, rep.Integration, rep.Outcome, names[i], want)
		}
	}
}

// TestRunNowCPUProfile: --cpuprofile writes a (gzipped) pprof profile,
// and neither the help nor the unknown-flag hint lists it.
func TestRunNowCPUProfile(t *testing.T) {
	dir := t.TempDir()
	s := &sandbox{t: t, dir: dir, cfg: writeFleet(t, dir, []string{"a", "b"}, []int{200, 200}, 2)}
	prof := filepath.Join(dir, "cpu.out")
	if code, out, errs := s.agent("run-now", "--cpuprofile", prof); code != exitOK {
		t.Fatalf("run-now --cpuprofile: exit %d\n%s%s", code, out, errs)
	}
	b, err := os.ReadFile(prof)
	if err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		t.Fatalf("profile: %d bytes, %v; want a gzipped pprof profile", len(b), err)
	}
	if code, out, _ := s.agent("run-now", "--help"); code != exitOK || strings.Contains(out, "cpuprofile") || !strings.Contains(out, "--verbose") {
		t.Errorf("run-now --help: exit %d, lists --cpuprofile or misses --verbose:\n%s", code, out)
	}
	if code, _, errs := s.agent("run-now", "--cpu"); code != exitUsage || strings.Contains(errs, "cpuprofile") {
		t.Errorf("run-now --cpu: exit %d, %q; want 2, not naming the hidden flag", code, errs)
	}
	if code, _, errs := s.agent("run-now", "--cpuprofile", filepath.Join(dir, "no", "such", "dir", "cpu.out")); code != exitFailed || !strings.Contains(errs, "--cpuprofile") {
		t.Errorf("run-now --cpuprofile into a missing folder: exit %d, %q; want 1 and the flag named", code, errs)
	}
}
