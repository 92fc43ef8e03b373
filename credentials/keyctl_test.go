//go:build linux

package credentials

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// keyctlUsable tells whether this process may use the kernel keyring.
func keyctlUsable() error {
	_, err := unix.KeyctlGetKeyringID(unix.KEY_SPEC_USER_KEYRING, true)
	return err
}

func TestKeyctlBackend(t *testing.T) {
	if err := keyctlUsable(); err != nil {
		msg := fmt.Sprintf("the kernel keyring is not usable here: keyctl(KEYCTL_GET_KEYRING_ID, @u): %v", err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	tool := requireTool(t, "keyctl", "keyutils")
	service := fmt.Sprintf("agentsync-test-%d", os.Getpid())
	t.Cleanup(func() {
		if id, err := unix.KeyctlSearch(unix.KEY_SPEC_USER_KEYRING, "keyring", service, 0); err == nil {
			unix.KeyctlInt(unix.KEYCTL_UNLINK, id, unix.KEY_SPEC_USER_KEYRING, 0, 0)
		}
	})
	st := Open(Options{Backend: "keyctl", DataDir: t.TempDir(), Service: service})
	exercise(t, st, "keyctl", func(t *testing.T, key string) {
		// What an admin types, in a session keyring of its own as a
		// systemd service has: the entry is there and readable by the user.
		script := fmt.Sprintf(`r=$(keyctl search @u keyring %s) && k=$(keyctl search "$r" user %s) && keyctl pipe "$k"`, service, key)
		out, err := exec.Command(tool, "session", "-", "sh", "-c", script).Output()
		if err != nil {
			t.Fatalf("keyctl in a new session: %v", err)
		}
		if !strings.Contains(string(out), `"kind"`) {
			t.Fatalf("keyctl read an entry that is not the agent's")
		}
	})
}
