//go:build unix

package service

import (
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestSIGHUPReloads(t *testing.T) {
	h := startDaemon(t, configText("daily 23:00"))
	h.write(configText("daily 05:30"))
	// No clock tick: the signal alone makes the daemon re-read the file.
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !h.d.NextRun("acme").Equal(time.Date(2025, 6, 2, 5, 30, 0, 0, time.UTC)) {
		if time.Now().After(deadline) {
			t.Fatalf("SIGHUP did not reload; log:\n%s", h.logs)
		}
		time.Sleep(time.Millisecond)
	}
	if !strings.Contains(h.logs.String(), "SIGHUP: re-reading the config") {
		t.Errorf("log:\n%s", h.logs)
	}
}
