//go:build unix

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	builtPath string
	buildErr  error
)

// agentBinary builds the agent once per test binary, for tests that need
// real processes (locks between processes, signals).
func agentBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "agent-bin-")
		if err != nil {
			buildErr = err
			return
		}
		removeAfterTests = append(removeAfterTests, dir)
		builtPath = filepath.Join(dir, "agent")
		out, err := exec.Command("go", "build", "-o", builtPath, ".").CombinedOutput()
		if err != nil {
			buildErr = err
			t.Logf("go build: %s", out)
		}
	})
	if buildErr != nil {
		t.Fatalf("building the agent: %v", buildErr)
	}
	return builtPath
}

// TestRunNowRefusedWhileAnotherProcessRuns: the first run-now blocks on a
// FIFO export that nobody writes yet, so it holds the lock; the second,
// another process, must say "already running" and exit 1. Then the first
// finishes normally once the FIFO gets its users.
func TestRunNowRefusedWhileAnotherProcessRuns(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("FIFOs are a Unix thing")
	}
	bin := agentBinary(t)
	s := newSandbox(t)
	users, err := os.ReadFile(s.users)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(s.users)
	if err := syscall.Mkfifo(s.users, 0o600); err != nil {
		t.Fatal(err)
	}
	first := exec.Command(bin, "--config", s.cfg, "run-now", "ironclad-example")
	var firstOut strings.Builder
	first.Stdout, first.Stderr = &firstOut, &firstOut
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	defer first.Process.Kill()

	// Wait until the first holds the lock (its pid is written in the lock file).
	lockFile := filepath.Join(s.dir, "data", "locks", "ironclad-example.lock")
	deadline := time.Now().Add(20 * time.Second)
	for {
		if b, _ := os.ReadFile(lockFile); len(strings.TrimSpace(string(b))) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the first run never took the lock: %s", firstOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	second := exec.Command(bin, "--config", s.cfg, "run-now", "ironclad-example")
	out, err := second.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), "already running") {
		t.Fatalf("second run-now: %v, %q; want exit 1 and 'already running'", err, out)
	}

	fifo, err := os.OpenFile(s.users, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fifo.Write(users)
	fifo.Close()
	if err := first.Wait(); err != nil {
		t.Fatalf("first run-now: %v\n%s", err, firstOut.String())
	}
	if !strings.Contains(firstOut.String(), "ironclad-example: success") {
		t.Errorf("first run-now said %q", firstOut.String())
	}
}
