package credentials

import (
	"regexp"
	"strings"
	"testing"
)

// TestPipeSDDL checks the Windows pipe's security descriptor: a protected
// DACL whose only grants are SYSTEM and Administrators, and no network.
func TestPipeSDDL(t *testing.T) {
	m := regexp.MustCompile(`^D:P((?:\([^()]*\))+)$`).FindStringSubmatch(PipeSDDL)
	if m == nil {
		t.Fatalf("PipeSDDL %q is not a protected DACL", PipeSDDL)
	}
	allow, deny := map[string]string{}, map[string]string{}
	for _, ace := range regexp.MustCompile(`\(([^()]*)\)`).FindAllStringSubmatch(m[1], -1) {
		f := strings.Split(ace[1], ";")
		if len(f) != 6 || f[1] != "" || f[3] != "" || f[4] != "" {
			t.Fatalf("ACE %q: want type;;rights;;;SID", ace[1])
		}
		switch f[0] {
		case "A":
			allow[f[5]] = f[2]
		case "D":
			deny[f[5]] = f[2]
		default:
			t.Fatalf("ACE %q: unexpected type", ace[1])
		}
	}
	if len(allow) != 2 || allow["SY"] != "GA" || allow["BA"] != "GA" {
		t.Fatalf("grants %v; want exactly SYSTEM and Administrators", allow)
	}
	if deny["NU"] != "GA" {
		t.Fatalf("denies %v; want network logons denied", deny)
	}
	if strings.Index(PipeSDDL, "(D;") > strings.Index(PipeSDDL, "(A;") {
		t.Fatal("deny ACEs must come first")
	}
}
