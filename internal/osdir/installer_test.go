package osdir

import (
	"os"
	"strings"
	"testing"
)

// TestInstallerUsesPrivateSDDL: the MSI creates %ProgramData%\agent with
// the ACL the agent gives data_dir, and installer/check.sh checks that
// row: all three say the same.
func TestInstallerUsesPrivateSDDL(t *testing.T) {
	for _, f := range []string{"../../installer/build.sh", "../../installer/check.sh"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), PrivateSDDL) {
			t.Errorf("%s does not give %%ProgramData%%\\agent PrivateSDDL %s", f, PrivateSDDL)
		}
	}
}
