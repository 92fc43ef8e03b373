package credentials

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/danieljoos/wincred"
)

// TestWincredBackend: set, get, rotate and delete of each kind in the
// Credential Manager of the account running the test, under a service
// name of its own (target agentsync-test-PID:credential:NAME), checked
// with Credential Manager's own API; a delete leaves no entry behind.
func TestWincredBackend(t *testing.T) {
	service := fmt.Sprintf("agentsync-test-%d", os.Getpid())
	target := func(key string) string { return service + ":credential:" + key }
	st := Open(Options{Backend: "wincred", DataDir: t.TempDir(), Service: service})
	var keys []string
	exercise(t, st, "wincred", func(t *testing.T, key string) {
		keys = append(keys, key)
		c, err := wincred.GetGenericCredential(target(key))
		if err != nil {
			t.Fatalf("Credential Manager has no %s: %v", target(key), err)
		}
		if c.Persist != wincred.PersistLocalMachine && c.Persist != wincred.PersistEnterprise && c.Persist != wincred.PersistSession {
			t.Fatalf("%s: persist %v", target(key), c.Persist)
		}
	})
	if len(keys) != 3 {
		t.Fatalf("inspected %d entries; want 3", len(keys))
	}
	for _, key := range keys {
		if _, err := wincred.GetGenericCredential(target(key)); !errors.Is(err, wincred.ErrElementNotFound) {
			t.Errorf("%s outlived its delete: %v", target(key), err)
		}
	}
	// A delete right after a set (by name, whatever the listing says).
	ctx := context.Background()
	if _, err := st.Set(ctx, "by-name", Secret{Kind: APIKey, Token: "tok-wincred-Lc9"}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := st.Delete(ctx, "by-name"); err != nil {
		t.Fatal(err)
	}
	if _, err := wincred.GetGenericCredential(target("by-name")); !errors.Is(err, wincred.ErrElementNotFound) {
		t.Fatalf("%s outlived its delete: %v", target("by-name"), err)
	}
}
