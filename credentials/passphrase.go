package credentials

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/99designs/keyring"

	"github.com/agentsync/agent/internal/osdir"
	"github.com/agentsync/agent/internal/plural"
)

// Where the file backend's passphrase comes from, first found wins.
const (
	// SystemdCredential is the credential name the unit passes with
	// LoadCredentialEncrypted=agent-keyring-passphrase:PATH; the agent
	// reads $CREDENTIALS_DIRECTORY/agent-keyring-passphrase.
	SystemdCredential = "agent-keyring-passphrase"
	// KeyFile is the key file's name inside data_dir, created (0600) when
	// the file backend first stores an entry and no other source is set.
	KeyFile = "keyring.key"
)

// passSource is the file backend's passphrase and where it came from.
type passSource struct {
	from  string // for messages: never the value
	value string
}

// passphraseError is a passphrase that is missing or does not open the
// entries; its message says which source was used and the fix.
type passphraseError struct{ msg string }

func (e *passphraseError) Error() string { return e.msg }

// passphrase finds the file backend's passphrase: the environment variable
// named by passphrase_env, the systemd credential, or the key file. With
// create, and only while the keyring folder holds no entry, a missing key
// file is created.
func (s *Store) passphrase(create bool) (passSource, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pass.value != "" {
		return s.pass, nil
	}
	env := s.opt.PassphraseEnv
	if v := os.Getenv(env); v != "" {
		s.pass = passSource{from: "$" + env, value: v}
		return s.pass, nil
	}
	if dir := os.Getenv("CREDENTIALS_DIRECTORY"); dir != "" {
		p := filepath.Join(dir, SystemdCredential)
		v, err := readSecretFile(p, false)
		if err == nil {
			s.pass = passSource{from: "systemd credential " + SystemdCredential, value: v}
			return s.pass, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return passSource{}, &passphraseError{fmt.Sprintf("keyring file: systemd credential %s: %v", SystemdCredential, err)}
		}
	}
	kf := filepath.Join(s.opt.DataDir, KeyFile)
	v, err := readSecretFile(kf, true)
	switch {
	case err == nil:
		s.pass = passSource{from: "key file " + kf, value: v}
		return s.pass, nil
	case !errors.Is(err, fs.ErrNotExist):
		return passSource{}, &passphraseError{fmt.Sprintf("keyring file: key file: %v", err)}
	}
	if n := countEntries(s.opt.FileDir); !create || n > 0 {
		msg := fmt.Sprintf("keyring file: no passphrase: set $%s, pass the systemd credential %s, or restore the key file %s", env, SystemdCredential, kf)
		if n > 0 {
			msg += fmt.Sprintf(" (%s holds %s encrypted with it)", s.opt.FileDir, plural.Count(n, "entry", "entries"))
		}
		return passSource{}, &passphraseError{msg}
	}
	v, err = createKeyFile(kf)
	if err != nil {
		return passSource{}, &passphraseError{fmt.Sprintf("keyring file: creating the key file: %v", err)}
	}
	s.pass = passSource{from: "key file " + kf, value: v}
	return s.pass, nil
}

// passphraseFunc is the keyring library's FilePasswordFunc.
func (s *Store) passphraseFunc(string) (string, error) {
	p, err := s.passphrase(false)
	return p.value, err
}

// checkPassphrase makes sure the passphrase exists (creating the key file
// on first use) and opens the entries already stored, so one keyring never
// mixes two passphrases.
func (s *Store) checkPassphrase(ctx context.Context, ring keyring.Keyring, name string) error {
	p, err := s.passphrase(true)
	if err != nil {
		return err
	}
	var keys []string
	if err := s.call(ctx, "file", func() error { keys, err = ring.Keys(); return err }); err != nil {
		return s.wrap("file", "list", name, err)
	}
	for _, k := range keys {
		if k == name || strings.HasPrefix(k, ".") {
			continue
		}
		var item keyring.Item
		err := s.call(ctx, "file", func() error { item, err = ring.Get(k); return err })
		clear(item.Data)
		if err != nil {
			return &passphraseError{fmt.Sprintf("keyring file: the passphrase from %s does not open the entries in %s (%v); use the passphrase they were stored with", p.from, s.opt.FileDir, err)}
		}
		break
	}
	return nil
}

// readSecretFile reads a one-line secret file. With checkMode a file
// others may read is refused (Unix: its mode; Windows: its DACL).
func readSecretFile(path string, checkMode bool) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	defer clear(b)
	if checkMode {
		if err := osdir.CheckPrivate(path); err != nil {
			return "", err
		}
	}
	v := strings.TrimRight(string(b), "\r\n")
	if v == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	return v, nil
}

// createKeyFile writes a new random key, readable by its owner only.
func createKeyFile(path string) (string, error) {
	if err := osdir.MkdirPrivate(filepath.Dir(path)); err != nil {
		return "", err
	}
	raw := make([]byte, 32)
	rand.Read(raw)
	enc := make([]byte, base64.RawURLEncoding.EncodedLen(len(raw)), base64.RawURLEncoding.EncodedLen(len(raw))+1)
	base64.RawURLEncoding.Encode(enc, raw)
	clear(raw)
	defer clear(enc)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return readSecretFile(path, true) // another process won the race
	}
	if err != nil {
		return "", err
	}
	_, err = f.Write(append(enc, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return "", err
	}
	return string(enc), nil
}

// countEntries counts the file backend's entries in dir.
func countEntries(dir string) int {
	des, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	n := 0
	for _, d := range des {
		if !d.IsDir() && !strings.HasPrefix(d.Name(), ".") {
			n++
		}
	}
	return n
}
