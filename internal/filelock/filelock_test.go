package filelock

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestAcquireExcludesSecondHolder(t *testing.T) {
	dir := t.TempDir()
	l, err := Acquire(dir, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Acquire(dir, "acme"); !errors.Is(err, ErrHeld) {
		t.Fatalf("second Acquire: got %v, want ErrHeld", err)
	}
	other, err := Acquire(dir, "other")
	if err != nil {
		t.Fatalf("another integration must not be blocked: %v", err)
	}
	other.Release()
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	l2, err := Acquire(dir, "acme")
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	l2.Release()
}

// TestHeldAcrossProcesses re-runs this test binary as a helper process that
// holds the lock until its stdin closes: the lock must hold between
// processes (run-now against the service) and die with its holder.
func TestHeldAcrossProcesses(t *testing.T) {
	if dir := os.Getenv("LOCK_HELPER_DIR"); dir != "" {
		l, err := Acquire(dir, "acme")
		if err != nil {
			os.Stdout.WriteString("ERR " + err.Error() + "\n")
			os.Exit(1)
		}
		os.Stdout.WriteString("HELD\n")
		buf := make([]byte, 1)
		os.Stdin.Read(buf)
		l.Release()
		os.Exit(0)
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHeldAcrossProcesses$")
	cmd.Env = append(os.Environ(), "LOCK_HELPER_DIR="+dir)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, _ := stdout.Read(buf)
	if !strings.HasPrefix(string(buf[:n]), "HELD") {
		t.Fatalf("helper said %q", buf[:n])
	}
	_, err := Acquire(dir, "acme")
	if !errors.Is(err, ErrHeld) {
		t.Fatalf("while another process holds it: got %v", err)
	}
	if !strings.Contains(err.Error(), "pid") {
		t.Errorf("error should name the holder's pid: %v", err)
	}
	// Kill the holder without letting it release: the kernel frees the lock.
	cmd.Process.Kill()
	cmd.Wait()
	stdin.Close()
	l, err := Acquire(dir, "acme")
	if err != nil {
		t.Fatalf("after the holder died: %v", err)
	}
	l.Release()
}
