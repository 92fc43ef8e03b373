package credentials

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/windows"

	"github.com/agentsync/agent/internal/wine"
)

// TestKeyFileACL: on Windows the key file is checked by its DACL; one
// that lets Users read it is refused, naming the file and the fix.
func TestKeyFileACL(t *testing.T) {
	if wine.Running() {
		t.Skip("Wine does not keep file ACLs " + wine.SkipReason)
	}
	t.Setenv("CREDENTIALS_DIRECTORY", "")
	dir := t.TempDir()
	opt := Options{Backend: "file", DataDir: dir, PassphraseEnv: "AGENT_TEST_NO_SUCH_VARIABLE"}
	ctx := context.Background()
	if _, err := Open(opt).Set(ctx, "first", Secret{Kind: APIKey, Token: "t-1"}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	kf := filepath.Join(dir, KeyFile)
	if _, err := os.Stat(kf); err != nil {
		t.Fatalf("no key file: %v", err)
	}
	if _, err := Open(opt).Get(ctx, "first"); err != nil {
		t.Fatalf("a key file only its owner, SYSTEM and Administrators read: %v", err)
	}
	sd, err := windows.SecurityDescriptorFromString("D:(A;;FR;;;BU)")
	if err != nil {
		t.Fatal(err)
	}
	dacl, _, _ := sd.DACL()
	if err := windows.SetNamedSecurityInfo(kf, windows.SE_FILE_OBJECT, windows.DACL_SECURITY_INFORMATION, nil, nil, dacl, nil); err != nil {
		t.Fatal(err)
	}
	_, err = Open(opt).Get(ctx, "first")
	if err == nil || !strings.Contains(err.Error(), kf+" is readable by others") || !strings.Contains(err.Error(), "S-1-5-32-545") || !strings.Contains(err.Error(), "icacls") {
		t.Fatalf("a key file Users may read: %v; want it refused with the fix", err)
	}
}
