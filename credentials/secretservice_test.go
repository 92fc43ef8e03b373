//go:build linux

package credentials

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus"
)

// The Secret Service tests run gnome-keyring-daemon on a private session
// bus, in a child process (see inChild).

func TestSecretServiceBackend(t *testing.T) {
	if !isChild(t) {
		inChild(t, t.Name(), sessionBus(t, true))
		return
	}
	tool := requireTool(t, "secret-tool", "libsecret-tools")
	st := Open(Options{Backend: "secret-service", DataDir: t.TempDir()})
	exercise(t, st, "secret-service", func(t *testing.T, key string) {
		out, err := exec.Command(tool, "search", "--all", "profile", key).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "label = "+key) {
			t.Fatalf("secret-tool search --all profile %s: %v\n%s", key, err, out)
		}
	})
	// auto picks the Secret Service when one answers.
	if b, err := Open(Options{DataDir: t.TempDir()}).Backend(); err != nil || b != "secret-service" {
		t.Fatalf("auto = %q, %v; want secret-service", b, err)
	}

	// A locked collection: a clear error at once, not a wait for an
	// unlock prompt that nobody can answer.
	ctx := context.Background()
	if _, err := st.Set(ctx, "before-lock", Secret{Kind: APIKey, Token: "t-before-lock"}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	conn, err := dbus.SessionBus()
	if err != nil {
		t.Fatal(err)
	}
	var coll dbus.ObjectPath
	if err := conn.Object(secretsName, secretsPath).Call("org.freedesktop.Secret.Service.ReadAlias", 0, "default").Store(&coll); err != nil {
		t.Fatal(err)
	}
	var locked []dbus.ObjectPath
	var prompt dbus.ObjectPath
	if err := conn.Object(secretsName, secretsPath).Call("org.freedesktop.Secret.Service.Lock", 0, []dbus.ObjectPath{coll}).Store(&locked, &prompt); err != nil {
		t.Fatalf("locking the collection: %v", err)
	}
	start := time.Now()
	_, err = st.Get(ctx, "before-lock")
	if err == nil || !strings.Contains(err.Error(), "locked") || !strings.Contains(err.Error(), "secret-service") || !strings.Contains(err.Error(), `backend = "file"`) {
		t.Fatalf("get from a locked collection: %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("get from a locked collection took %s", time.Since(start))
	}
	t.Logf("locked: %v", err)
}

func TestSecretServiceAbsent(t *testing.T) {
	if !isChild(t) {
		inChild(t, t.Name(), sessionBus(t, false))
		return
	}
	// A session bus without a Secret Service: auto falls back to the file
	// backend, and asking for secret-service explicitly says what is wrong.
	if b, err := Open(Options{DataDir: t.TempDir()}).Backend(); err != nil || b != "file" {
		t.Fatalf("auto = %q, %v; want file", b, err)
	}
	_, err := Open(Options{Backend: "secret-service", DataDir: t.TempDir()}).Get(context.Background(), "x")
	if err == nil || !strings.Contains(err.Error(), "no Secret Service runs on the session bus") {
		t.Fatalf("get: %v", err)
	}
	t.Logf("absent: %v", err)
}
