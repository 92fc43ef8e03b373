package all_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/agentsync/agent/agent/config"
	"github.com/agentsync/agent/vendors"
	_ "github.com/agentsync/agent/vendors/all"
)

func TestEveryVendorIsRegistered(t *testing.T) {
	want := []string{"file", "github-org-members", "ingest", "ironclad-clickwrap", "okta", "rest", "slack", "smartsheet", "webex", "zoom"}
	if got := vendors.Names(); !slices.Equal(got, want) {
		t.Errorf("vendors %v, want %v", got, want)
	}
}

// TestCommentedExamplesValidate uncomments the integrations that
// config.example.toml keeps commented out and loads them: the keys and
// defaults it documents must be real.
func TestCommentedExamplesValidate(t *testing.T) {
	b, err := os.ReadFile("../../config.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	var cur []string
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case line == "# [[integration]]":
			cur = []string{"[[integration]]"}
		case cur != nil && strings.HasPrefix(line, "# "):
			cur = append(cur, line[2:])
		case cur != nil:
			blocks = append(blocks, strings.Join(cur, "\n"))
			cur = nil
		}
	}
	if len(blocks) < 2 {
		t.Fatalf("found %d commented integrations", len(blocks))
	}
	for _, block := range blocks {
		// Named beside config.example.toml: its relative paths (an
		// ingest block's [[schema]] file) resolve as they would there.
		cfg, err := config.Parse("../../example.toml", []byte(block+"\n"))
		if err != nil {
			t.Errorf("%v\nin:\n%s", err, block)
			continue
		}
		if in := cfg.Integrations[0]; !in.Launched() {
			t.Errorf("%s is in draft: missing %v", in.Name, in.Missing())
		}
	}
}
