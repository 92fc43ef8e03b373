package config

import (
	"path/filepath"
	"testing"

	"golang.org/x/sys/windows"
)

// TestDefaultsIgnoreTheEnvironment: %ProgramData% comes from the Known
// Folders API; a service's environment once resolved it to
// C:\Users\Public.
func TestDefaultsIgnoreTheEnvironment(t *testing.T) {
	pd, err := windows.KnownFolderPath(windows.FOLDERID_ProgramData, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("ProgramData", `C:\Users\Public`)
	t.Setenv("AGENT_CONFIG", "")
	if got, want := DefaultDataDir(), filepath.Join(pd, "agent"); got != want {
		t.Errorf("DefaultDataDir() = %q; want %q", got, want)
	}
	if got, want := DefaultPath(), filepath.Join(pd, "agent", "config.toml"); got != want {
		t.Errorf("DefaultPath() = %q; want %q", got, want)
	}
}
