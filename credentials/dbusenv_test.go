//go:build linux

package credentials

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/agentsync/agent/credentials/internal/dbusenv"
)

// TestNoDBusLaunch starts a fresh process with no session bus and a
// dbus-launch on PATH that leaves a mark: the keyring library must not run it.
func TestNoDBusLaunch(t *testing.T) {
	if os.Getenv("AGENT_TEST_CHILD") == t.Name() {
		if !dbusenv.Disabled || os.Getenv("DBUS_SESSION_BUS_ADDRESS") != "" {
			t.Fatalf("disabled %v, DBUS_SESSION_BUS_ADDRESS %q after init", dbusenv.Disabled, os.Getenv("DBUS_SESSION_BUS_ADDRESS"))
		}
		return
	}
	if _, err := os.Stat("/run/user/" + strconv.Itoa(os.Getuid()) + "/bus"); err == nil {
		t.Skip("this machine has a session bus at /run/user/UID/bus")
	}
	bin, mark := t.TempDir(), filepath.Join(t.TempDir(), "launched")
	os.WriteFile(filepath.Join(bin, "dbus-launch"), []byte("#!/bin/sh\ntouch "+mark+"\nexit 1\n"), 0o755)
	var env []string
	for _, e := range os.Environ() {
		if !hasPrefix(e, "DBUS_SESSION_BUS_ADDRESS=", "XDG_RUNTIME_DIR=", "PATH=", "AGENT_TEST_CHILD=") {
			env = append(env, e)
		}
	}
	env = append(env, "PATH="+bin+":/usr/bin:/bin", "XDG_RUNTIME_DIR="+t.TempDir(), "AGENT_TEST_CHILD="+t.Name())
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1")
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if _, err := os.Stat(mark); err == nil {
		t.Fatal("dbus-launch was run")
	}
}

func hasPrefix(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
