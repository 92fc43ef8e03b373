package credentials

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/99designs/keyring"
)

// unlisting is a keyring whose listing is empty, as the keyring library's
// Credential Manager backend answers when the enumeration fails.
type unlisting struct{ keyring.Keyring }

func (unlisting) Keys() ([]string, error) { return nil, nil }

// TestIndexIsTheRecord: credentials.json says what is set. A keyring entry
// it does not list is never used (a run once succeeded with a secret that
// `status` said was not set), a delete removes the entry even when the
// keyring's listing misses it, and an entry filed under another backend
// is an error saying so.
func TestIndexIsTheRecord(t *testing.T) {
	ctx := context.Background()
	t.Setenv("AGENT_KEYRING_PASSPHRASE", "index-test-passphrase")
	open := func(dir string) *Store { return Open(Options{Backend: "file", DataDir: dir}) }
	sec := Secret{Kind: APIKey, Token: "tok-index-Jd8"}

	t.Run("an entry the index does not list", func(t *testing.T) {
		dir := t.TempDir()
		st := open(dir)
		if _, err := st.Set(ctx, "orphan", sec, time.Time{}); err != nil {
			t.Fatal(err)
		}
		// The keyring keeps the entry; the index forgets it (a delete
		// whose keyring half failed, an index restored from a backup).
		if err := updateIndex(dir, func(idx map[string]Meta) error { delete(idx, "orphan"); return nil }); err != nil {
			t.Fatal(err)
		}
		_, err := open(dir).Get(ctx, "orphan")
		if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), filepath.Join(dir, IndexFile)) || !strings.Contains(err.Error(), "agent credentials set orphan") {
			t.Fatalf("get of an entry the index does not list: %v; want ErrNotFound naming the index and the fix", err)
		}
		// Setting it again makes it usable; deleting it removes both.
		if _, err := st.Set(ctx, "orphan", sec, time.Time{}); err != nil {
			t.Fatal(err)
		}
		if got, err := open(dir).Get(ctx, "orphan"); err != nil || got != sec {
			t.Fatalf("get after setting it again: %v", err)
		}
	})

	t.Run("a delete the keyring's listing misses", func(t *testing.T) {
		dir := t.TempDir()
		st := open(dir)
		if _, err := st.Set(ctx, "listed-nowhere", sec, time.Time{}); err != nil {
			t.Fatal(err)
		}
		ring, _, err := st.open(false)
		if err != nil {
			t.Fatal(err)
		}
		st.ring = unlisting{ring}
		if err := st.Delete(ctx, "listed-nowhere"); err != nil {
			t.Fatalf("delete: %v", err)
		}
		if _, err := ring.Get("listed-nowhere"); !errors.Is(err, keyring.ErrKeyNotFound) {
			t.Fatalf("the keyring entry outlived the delete: %v", err)
		}
		if err := st.Delete(ctx, "listed-nowhere"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("second delete: %v; want ErrNotFound", err)
		}
	})

	t.Run("an entry filed under another backend", func(t *testing.T) {
		dir := t.TempDir()
		if _, err := open(dir).Set(ctx, "moved", sec, time.Time{}); err != nil {
			t.Fatal(err)
		}
		if err := updateIndex(dir, func(idx map[string]Meta) error {
			m := idx["moved"]
			m.Backend = "keyctl"
			idx["moved"] = m
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		_, err := open(dir).Get(ctx, "moved")
		if err == nil || !strings.Contains(err.Error(), "stored in keyring keyctl, but this agent uses keyring file") || !strings.Contains(err.Error(), "agent credentials set moved") {
			t.Fatalf("get of an entry filed under keyctl from a file store: %v", err)
		}
	})
}
