//go:build unix

package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// TestReadOnlyStoreCommands runs status, runs, notifications, export and report,
// each in a process of its own, as a user who can read the store but not
// write it or its folder (agent.db 0444 in a 0555 data_dir). Root ignores
// those modes, so as root the commands run as nobody (uid 65534), which
// does not. They must work, change nothing and create nothing.
func TestReadOnlyStoreCommands(t *testing.T) {
	bin := agentBinary(t)
	s := newSandbox(t)
	if code, _ := s.runNow(); code != 0 {
		t.Fatalf("run-now: exit %d", code)
	}
	s.setLines(append(s.lines(), `{"id": broken`))
	if code, _ := s.runNow(); code != 1 {
		t.Fatalf("failing run-now: exit %d", code)
	}
	data := filepath.Join(s.dir, "data")
	db := filepath.Join(data, "agent.db")
	var attr *syscall.SysProcAttr
	if os.Geteuid() == 0 {
		attr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		// nobody must reach the binary, the config and the store.
		for _, d := range []string{filepath.Dir(bin), filepath.Dir(s.dir), s.dir} {
			if err := os.Chmod(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.Chmod(db, 0o444); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(data, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(data, 0o755) })
	files := func() []string {
		es, err := os.ReadDir(data)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range es {
			names = append(names, e.Name())
		}
		return names
	}
	filesBefore := files()
	dbBefore, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		args []string
		want string
	}{
		{[]string{"status", "--json"}, `"state":"failed"`},
		{[]string{"status"}, "ironclad-example"},
		{[]string{"runs", "--json"}, `"outcome":"success"`},
		{[]string{"notifications", "--json"}, `"event":"run_failed"`},
		{[]string{"export", "--integration", "ironclad-example", "--kind", "people", "--format", "jsonl"}, `"kind":"person"`},
		{[]string{"export", "--integration", "ironclad-example", "--kind", "saas_users", "--format", "csv"}, "application"},
		{[]string{"export", "--integration", "ironclad-example", "--kind", "applications", "--format", "csv"}, "first_seen,last_seen"},
		{[]string{"report", "saas", "--csv"}, "\nIronclad Clickwrap,,"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			cmd := exec.Command(bin, append([]string{"--config", s.cfg}, tt.args...)...)
			cmd.SysProcAttr = attr
			var out, errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errb
			err := cmd.Run()
			var ee *exec.ExitError
			if err != nil && !errors.As(err, &ee) {
				t.Fatal(err)
			}
			if code := cmd.ProcessState.ExitCode(); code != 0 || !strings.Contains(out.String(), tt.want) {
				t.Fatalf("exit %d, want 0 and %q in the output\nstdout: %.600s\nstderr: %s", code, tt.want, out.String(), errb.String())
			}
		})
	}
	if got := files(); !slices.Equal(got, filesBefore) {
		t.Errorf("data_dir holds %q, held %q", got, filesBefore)
	}
	if after, _ := os.ReadFile(db); !bytes.Equal(after, dbBefore) {
		t.Error("agent.db changed")
	}
}
