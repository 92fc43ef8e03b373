//go:build unix

package credentials

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFileBackend(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("AGENT_TEST_PASSPHRASE", "a passphrase for the test")
	st := Open(Options{Backend: "file", DataDir: dir, PassphraseEnv: "AGENT_TEST_PASSPHRASE"})
	exercise(t, st, "file", func(t *testing.T, key string) {
		p := filepath.Join(dir, "keyring", key)
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("entry %s: %v, mode %v; want 0600", p, err, fi.Mode())
		}
		b, _ := os.ReadFile(p)
		for _, s := range secretsFor("one") {
			for _, v := range append(s.values(), s.ClientID, s.Username) {
				if v != "" && strings.Contains(string(b), v) {
					t.Fatalf("the entry file holds a secret in clear")
				}
			}
		}
	})
	fi, err := os.Stat(filepath.Join(dir, "keyring"))
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("keyring folder: %v, mode %v; want 0700", err, fi.Mode())
	}
	if _, err := os.Stat(filepath.Join(dir, KeyFile)); !os.IsNotExist(err) {
		t.Fatalf("a key file was created although the passphrase came from the environment")
	}
	fi, err = os.Stat(filepath.Join(dir, IndexFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("index: %v, mode %v; want 0600", err, fi.Mode())
	}
}

func TestFileBackendPassphraseSources(t *testing.T) {
	ctx := context.Background()
	sec := Secret{Kind: APIKey, Token: "tok-source-test-Qw8"}

	t.Run("key file created on first use", func(t *testing.T) {
		dir := t.TempDir()
		t.Setenv("AGENT_KEYRING_PASSPHRASE", "")
		t.Setenv("CREDENTIALS_DIRECTORY", "")
		st := Open(Options{Backend: "file", DataDir: dir})
		if _, err := st.Get(ctx, "x"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("get from an empty keyring: %v", err)
		}
		if _, err := os.Stat(filepath.Join(dir, KeyFile)); !os.IsNotExist(err) {
			t.Fatal("reading created the key file")
		}
		if _, err := st.Set(ctx, "x", sec, time.Time{}); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(filepath.Join(dir, KeyFile))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("key file: %v, mode %v; want 0600", err, fi.Mode())
		}
		// A second process (a fresh store) reads it with the key file.
		if got, err := Open(Options{Backend: "file", DataDir: dir}).Get(ctx, "x"); err != nil || got != sec {
			t.Fatalf("get with the key file: %v", err)
		}
		// Without the key file the entries cannot be opened, and no new
		// key file is made over them.
		kf, _ := os.ReadFile(filepath.Join(dir, KeyFile))
		os.Remove(filepath.Join(dir, KeyFile))
		_, err = Open(Options{Backend: "file", DataDir: dir}).Set(ctx, "y", sec, time.Time{})
		if err == nil || !strings.Contains(err.Error(), "no passphrase") || !strings.Contains(err.Error(), "AGENT_KEYRING_PASSPHRASE") {
			t.Fatalf("set without a passphrase over existing entries: %v", err)
		}
		if _, err := os.Stat(filepath.Join(dir, KeyFile)); !os.IsNotExist(err) {
			t.Fatal("a new key file was created over existing entries")
		}
		// A key file others can read is refused.
		os.WriteFile(filepath.Join(dir, KeyFile), kf, 0o644)
		os.Chmod(filepath.Join(dir, KeyFile), 0o644)
		if _, err := Open(Options{Backend: "file", DataDir: dir}).Get(ctx, "x"); err == nil || !strings.Contains(err.Error(), "readable by others") {
			t.Fatalf("get with a 0644 key file: %v", err)
		}
	})

	t.Run("systemd credential", func(t *testing.T) {
		dir, creds := t.TempDir(), t.TempDir()
		os.WriteFile(filepath.Join(creds, SystemdCredential), []byte("from-systemd-Pz2\n"), 0o400)
		t.Setenv("AGENT_KEYRING_PASSPHRASE", "")
		t.Setenv("CREDENTIALS_DIRECTORY", creds)
		if _, err := Open(Options{Backend: "file", DataDir: dir}).Set(ctx, "x", sec, time.Time{}); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(dir, KeyFile)); !os.IsNotExist(err) {
			t.Fatal("a key file was created although systemd passed the passphrase")
		}
		// The same passphrase from the environment opens it.
		t.Setenv("CREDENTIALS_DIRECTORY", "")
		t.Setenv("AGENT_KEYRING_PASSPHRASE", "from-systemd-Pz2")
		if got, err := Open(Options{Backend: "file", DataDir: dir}).Get(ctx, "x"); err != nil || got != sec {
			t.Fatalf("get with the passphrase from the environment: %v", err)
		}
	})

	t.Run("wrong passphrase", func(t *testing.T) {
		dir := t.TempDir()
		t.Setenv("CREDENTIALS_DIRECTORY", "")
		t.Setenv("AGENT_KEYRING_PASSPHRASE", "right-passphrase")
		if _, err := Open(Options{Backend: "file", DataDir: dir}).Set(ctx, "x", sec, time.Time{}); err != nil {
			t.Fatal(err)
		}
		t.Setenv("AGENT_KEYRING_PASSPHRASE", "wrong-passphrase")
		_, err := Open(Options{Backend: "file", DataDir: dir}).Get(ctx, "x")
		if err == nil || !strings.Contains(err.Error(), `credential "x"`) || !strings.Contains(err.Error(), "$AGENT_KEYRING_PASSPHRASE") {
			t.Fatalf("get with a wrong passphrase: %v", err)
		}
		_, err = Open(Options{Backend: "file", DataDir: dir}).Set(ctx, "y", sec, time.Time{})
		if err == nil || !strings.Contains(err.Error(), "does not open the entries") {
			t.Fatalf("set with a wrong passphrase: %v", err)
		}
		for _, s := range []string{"right-passphrase", "wrong-passphrase"} {
			if strings.Contains(err.Error(), s) {
				t.Fatal("an error carries the passphrase")
			}
		}
	})
}
