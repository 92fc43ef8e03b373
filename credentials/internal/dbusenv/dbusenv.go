// Package dbusenv keeps the D-Bus library the keyring uses from spawning
// dbus-launch. github.com/99designs/keyring connects to the session bus
// when the program starts, and godbus, finding no bus address, runs
// dbus-launch: on a server with dbus-x11 installed every agent command
// would leave a stray dbus-daemon behind. This package's init runs before
// the keyring's (Go initializes packages in import-path order once their
// imports are ready, and this one imports only os), and points an empty
// DBUS_SESSION_BUS_ADDRESS at an address that fails at once; the
// credentials package's init, which runs after the keyring's, calls
// Restore.
package dbusenv

import (
	"os"
	"strconv"
)

const variable = "DBUS_SESSION_BUS_ADDRESS"

// Disabled reports whether init found no session bus and disabled the
// lookup.
var Disabled bool

func init() {
	if os.Getenv(variable) != "" {
		return
	}
	// Where godbus looks before it falls back to dbus-launch.
	dirs := []string{os.Getenv("XDG_RUNTIME_DIR"), "/run/user/" + strconv.Itoa(os.Getuid())}
	for _, d := range dirs {
		if d == "" {
			continue
		}
		for _, f := range []string{"/bus", "/dbus-session"} {
			if _, err := os.Stat(d + f); err == nil {
				return
			}
		}
	}
	// An address with no known transport: the connection fails at once.
	os.Setenv(variable, "disabled:")
	Disabled = true
}

// Restore undoes what init did, so child processes see the environment
// the agent was started with.
func Restore() {
	if Disabled {
		os.Unsetenv(variable)
	}
}
