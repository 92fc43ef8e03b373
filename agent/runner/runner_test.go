package runner

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentsync/agent/agent/config"
	"github.com/agentsync/agent/agent/store"
)

// openDir parses a config.toml in dir of tables, with data_dir = dir, and
// opens the store there, closed when t ends.
func openDir(t *testing.T, dir string, tables ...string) (*config.Config, *store.Store) {
	t.Helper()
	src := fmt.Sprintf("[agent]\ndata_dir = %q\n%s", dir, strings.Join(tables, ""))
	cfg, err := config.Parse(filepath.Join(dir, "config.toml"), []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return cfg, st
}

// fileIntegration is a manual [[integration]] of the file vendor that
// reads the users file; extra lines go into it as written.
func fileIntegration(name, users string, extra ...string) string {
	return fmt.Sprintf("[[integration]]\nname = %q\nvendor = \"file\"\n%s\nschedule = \"manual\"\n  [integration.mapping]\n  \"user.email\" = \"email\"\n  [integration.file]\n  path = %q\n",
		name, strings.Join(extra, "\n"), users)
}
