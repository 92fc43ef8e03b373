package credentials

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// entrySize is the size of the entry Set would write for sec.
func entrySize(t *testing.T, sec Secret) int {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Second)
	b, err := json.Marshal(entry{V: 1, secretFields: secretFields(sec), Created: now, Rotated: now})
	if err != nil {
		t.Fatal(err)
	}
	return len(b)
}

func TestCheckEntrySize(t *testing.T) {
	long := Secret{Kind: APIKey, Token: strings.Repeat("k", 10<<10)}
	for _, c := range []struct {
		name, backend string
		size          int
		want          string // "" = accepted
	}{
		{"wincred at its limit", "wincred", 2560, ""},
		{"wincred one over", "wincred", 2561, "entry is 2561 bytes"},
		{"wincred, a 10 KiB API key", "wincred", entrySize(t, long), "holds at most 2560"},
		{"keyctl, a 10 KiB API key", "keyctl", entrySize(t, long), ""},
		{"keyctl over its payload", "keyctl", 40000, "holds at most 32767"},
		{"file has no limit", "file", 1 << 20, ""},
		{"secret-service has no limit", "secret-service", 1 << 20, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := checkEntrySize("long-key", c.backend, c.size)
			if c.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, s := range []string{`credential "long-key"`, "keyring " + c.backend, c.want} {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
		})
	}
}

// TestSetRefusesOversizedEntry: a secret larger than the backend holds is
// refused by Set before anything is written: no entry, no index line, no
// key file.
func TestSetRefusesOversizedEntry(t *testing.T) {
	old := maxEntry["file"]
	maxEntry["file"] = 2560 // the file backend standing in for wincred
	t.Cleanup(func() {
		if old == 0 {
			delete(maxEntry, "file")
		} else {
			maxEntry["file"] = old
		}
	})
	dir := t.TempDir()
	t.Setenv("CREDENTIALS_DIRECTORY", "")
	st := Open(Options{Backend: "file", DataDir: dir, PassphraseEnv: "AGENT_TEST_NO_SUCH_VARIABLE"})
	ctx := context.Background()
	big := Secret{Kind: APIKey, Token: strings.Repeat("k", 10<<10)}
	_, err := st.Set(ctx, "big", big, time.Time{})
	if err == nil || !strings.Contains(err.Error(), "too large for keyring file") || strings.Contains(err.Error(), big.Token[:64]) {
		t.Fatalf("Set a 10 KiB key: %v; want too large, without the secret", err)
	}
	if n := countEntries(filepath.Join(dir, "keyring")); n != 0 {
		t.Errorf("%d entries written", n)
	}
	if ms, err := st.List(); err != nil || len(ms) != 0 {
		t.Errorf("index %v, %v; want empty", ms, err)
	}
	if _, err := os.Stat(filepath.Join(dir, KeyFile)); !os.IsNotExist(err) {
		t.Errorf("a key file was created for a refused secret: %v", err)
	}
	// A secret that fits is stored.
	if _, err := st.Set(ctx, "small", Secret{Kind: APIKey, Token: strings.Repeat("k", 1000)}, time.Time{}); err != nil {
		t.Fatal(err)
	}
}
