package runner

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/agentsync/agent/agent/config"
	"github.com/agentsync/agent/agent/store"
)

// openDir parses src as dir's config.toml and opens the store in dir,
// closed when t ends.
func openDir(t *testing.T, dir, src string) (*config.Config, *store.Store) {
	t.Helper()
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
