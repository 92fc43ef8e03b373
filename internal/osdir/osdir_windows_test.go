package osdir

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/windows"

	"github.com/agentsync/agent/internal/wine"
)

// TestProgramDataIgnoresTheEnvironment: a service's environment once
// resolved %ProgramData% to C:\Users\Public.
func TestProgramDataIgnoresTheEnvironment(t *testing.T) {
	want, err := windows.KnownFolderPath(windows.FOLDERID_ProgramData, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("ProgramData", `C:\Users\Public`)
	t.Setenv("ALLUSERSPROFILE", `C:\Users\Public`)
	if got := ProgramData(); got != want {
		t.Fatalf("ProgramData() = %q; want the known folder %q", got, want)
	}
}

func TestPrivateSDDLParses(t *testing.T) {
	sd, err := windows.SecurityDescriptorFromString(PrivateSDDL)
	if err != nil {
		t.Fatal(err)
	}
	if got := sd.String(); got != PrivateSDDL {
		t.Fatalf("Windows reads %q as %q", PrivateSDDL, got)
	}
}

// wantPrivate checks dir's DACL: protected, granting only SYSTEM,
// Administrators and (not an administrator) the process's account.
func wantPrivate(t *testing.T, dir string) {
	t.Helper()
	_, trusted, err := privateSDDL()
	if err != nil {
		t.Fatal(err)
	}
	a, err := readACL(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !a.private(trusted...) {
		t.Fatalf("%s is not private: %+v (trusted %v)", dir, a, trusted)
	}
	for _, e := range a.aces {
		if e.kind == aceAllow && !slices.Contains(trusted, e.sid) {
			t.Fatalf("%s grants %s", dir, e.sid)
		}
	}
}

func TestMkdirPrivateWindows(t *testing.T) {
	if wine.Running() {
		t.Skip("Wine does not keep file ACLs " + wine.SkipReason)
	}
	base := t.TempDir()
	// New: created with the DACL.
	dir := filepath.Join(base, "new", "agent")
	if err := MkdirPrivate(dir); err != nil {
		t.Fatal(err)
	}
	wantPrivate(t, dir)

	// Existing and open to Users, with a file inside: tightened, and the
	// file loses what it inherited.
	open := filepath.Join(base, "open")
	os.Mkdir(open, 0o755)
	sd, _ := windows.SecurityDescriptorFromString("D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;OW)(A;OICI;FR;;;BU)")
	dacl, _, _ := sd.DACL()
	if err := windows.SetNamedSecurityInfo(open, windows.SE_FILE_OBJECT, windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil, dacl, nil); err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(open, "agent.db")
	os.WriteFile(f, []byte("x"), 0o600)
	if a, _ := readACL(f); !slices.Contains(a.readers(sidSystem, sidAdmins), sidUsers) {
		t.Fatalf("set-up: %s does not inherit Users: %+v", f, a)
	}
	if err := MkdirPrivate(open); err != nil {
		t.Fatal(err)
	}
	wantPrivate(t, open)
	if a, _ := readACL(f); slices.Contains(a.readers(sidSystem, sidAdmins), sidUsers) {
		t.Fatalf("%s still lets Users read: %+v", f, a)
	}
	// Private already: left as it is.
	if err := MkdirPrivate(open); err != nil {
		t.Fatal(err)
	}
}

func TestCheckPrivateWindows(t *testing.T) {
	if wine.Running() {
		t.Skip("Wine does not keep file ACLs " + wine.SkipReason)
	}
	dir := filepath.Join(t.TempDir(), "data")
	if err := MkdirPrivate(dir); err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(dir, "keyring.key")
	os.WriteFile(key, []byte("k\n"), 0o600)
	if err := CheckPrivate(key); err != nil {
		t.Fatalf("a key file in a private folder: %v", err)
	}
	sd, _ := windows.SecurityDescriptorFromString("D:(A;;FR;;;BU)")
	dacl, _, _ := sd.DACL()
	if err := windows.SetNamedSecurityInfo(key, windows.SE_FILE_OBJECT, windows.DACL_SECURITY_INFORMATION, nil, nil, dacl, nil); err != nil {
		t.Fatal(err)
	}
	err := CheckPrivate(key)
	if err == nil || !strings.Contains(err.Error(), key+" is readable by others") || !strings.Contains(err.Error(), sidUsers) || !strings.Contains(err.Error(), "icacls") {
		t.Fatalf("a key file Users may read: %v", err)
	}
}
