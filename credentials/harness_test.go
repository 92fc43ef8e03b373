//go:build linux

package credentials

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus"
)

// requireTool finds a program the test runs for real. Missing: in CI
// (CI=true) the test fails, elsewhere it is skipped with the install hint.
func requireTool(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	msg := name + " is not installed (apt-get install " + pkg + ")"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + "; CI must test against the real thing")
	}
	t.Skip(msg)
	return ""
}

// sessionBus starts a private D-Bus session bus and, with keyring, a
// gnome-keyring-daemon on it whose default "login" collection is created
// and unlocked with a throwaway password. It returns the environment a
// child process needs to use them; everything stops at the test's end.
func sessionBus(t *testing.T, keyring bool) []string {
	t.Helper()
	requireTool(t, "dbus-daemon", "dbus")
	if keyring {
		requireTool(t, "gnome-keyring-daemon", "gnome-keyring")
	}
	home, err := os.MkdirTemp("", "agent-bus-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(home) })
	run := filepath.Join(home, "run")
	os.Mkdir(run, 0o700)

	bus := exec.Command("dbus-daemon", "--session", "--nofork", "--print-address=1")
	bus.Stderr = os.Stderr
	out, err := bus.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := bus.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bus.Process.Kill(); bus.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("dbus-daemon printed no address: %v", err)
	}
	addr := strings.TrimSpace(line)
	env := append(os.Environ(), "DBUS_SESSION_BUS_ADDRESS="+addr, "HOME="+home,
		"XDG_DATA_HOME="+filepath.Join(home, "data"), "XDG_RUNTIME_DIR="+run, "XDG_CONFIG_HOME="+filepath.Join(home, "config"))
	if !keyring {
		return env
	}
	gk := exec.Command("gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets")
	gk.Env = env
	gk.Stdin = strings.NewReader("throwaway-keyring-password")
	var gkErr bytes.Buffer
	gk.Stdout, gk.Stderr = &gkErr, &gkErr
	if err := gk.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gk.Process.Kill(); gk.Wait() })

	conn, err := dbus.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.Auth(nil); err != nil {
		t.Fatal(err)
	}
	if err := conn.Hello(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		// NameHasOwner first: a call to the name itself would have D-Bus
		// start another, locked, gnome-keyring.
		var owned bool
		err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, secretsName).Store(&owned)
		if err == nil && owned {
			var coll dbus.ObjectPath
			err = conn.Object(secretsName, secretsPath).Call("org.freedesktop.Secret.Service.ReadAlias", dbus.FlagNoAutoStart, "default").Store(&coll)
			if err == nil && coll != "/" {
				return env
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("gnome-keyring-daemon did not serve a default collection: %v\n%s", err, gkErr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// inChild runs test name of this test binary in a child process with env
// (the keyring library looks for the session bus when the process
// starts, so a bus started by the test needs a fresh process).
func inChild(t *testing.T, name string, env []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^"+name+"$", "-test.v", "-test.count=1")
	cmd.Env = append(env, "AGENT_TEST_CHILD="+name)
	out, err := cmd.CombinedOutput()
	t.Logf("child %s:\n%s", name, out)
	if err != nil {
		t.Fatalf("child %s: %v", name, err)
	}
	if !bytes.Contains(out, []byte("--- PASS: "+name)) {
		t.Fatalf("child %s did not pass", name)
	}
}

// isChild reports whether this process is the child inChild started for
// the running test.
func isChild(t *testing.T) bool { return os.Getenv("AGENT_TEST_CHILD") == t.Name() }
