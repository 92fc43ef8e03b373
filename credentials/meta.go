package credentials

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"time"

	"github.com/agentsync/agent/internal/filelock"
)

// Meta is what is known about a credential without reading its secret. The
// store keeps it in data_dir/credentials.json (the index), so `agent
// credentials list`, `agent validate` and `agent status` never touch the
// keyring.
type Meta struct {
	Name      string    `json:"name"`
	Kind      Kind      `json:"kind"`
	Backend   string    `json:"backend"` // the keyring backend that holds the secret
	Created   time.Time `json:"created"`
	Rotated   time.Time `json:"rotated"`             // = Created until the secret is set again
	ExpiresAt time.Time `json:"expires_at,omitzero"` // zero: no known expiry
	// Notified is the expiry state ("expiring" or "expired") the agent last
	// notified about; setting the credential again clears it.
	Notified string `json:"notified,omitempty"`
}

// ExpiryWarning is how long before its expiry a credential puts its
// integrations in warning.
const ExpiryWarning = 90 * 24 * time.Hour

// Expiry states of a credential.
const (
	ExpiryOK       = "ok"
	ExpiryExpiring = "expiring" // within ExpiryWarning
	ExpiryExpired  = "expired"
)

// Expiry tells whether the credential has expired or expires within
// ExpiryWarning at now.
func (m Meta) Expiry(now time.Time) string {
	switch {
	case m.ExpiresAt.IsZero():
		return ExpiryOK
	case !now.Before(m.ExpiresAt):
		return ExpiryExpired
	case m.ExpiresAt.Sub(now) <= ExpiryWarning:
		return ExpiryExpiring
	}
	return ExpiryOK
}

// IndexFile is the index's name inside data_dir.
const IndexFile = "credentials.json"

// validName is the shape of credential names: they become keyring keys and
// file names.
var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// CheckName reports a name that cannot be a credential's.
func CheckName(name string) error {
	if !validName.MatchString(name) {
		return errorf("credential name %q must start with a letter or digit and hold only letters, digits, '.', '_' and '-' (at most 128)", name)
	}
	return nil
}

type indexDoc struct {
	Version     int    `json:"version"`
	Credentials []Meta `json:"credentials"`
}

// ReadIndex returns the metadata of every credential stored under dataDir,
// sorted by name; none when nothing was ever stored.
func ReadIndex(dataDir string) ([]Meta, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, IndexFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("credentials index: %w", err)
	}
	var doc indexDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("credentials index %s: %w", filepath.Join(dataDir, IndexFile), err)
	}
	sort.Slice(doc.Credentials, func(i, j int) bool { return doc.Credentials[i].Name < doc.Credentials[j].Name })
	return doc.Credentials, nil
}

// Lookup returns the metadata of name from the index under dataDir.
func Lookup(dataDir, name string) (Meta, bool, error) {
	all, err := ReadIndex(dataDir)
	if err != nil {
		return Meta{}, false, err
	}
	for _, m := range all {
		if m.Name == name {
			return m, true, nil
		}
	}
	return Meta{}, false, nil
}

// MarkNotified records that the expiry state of credential name (whose
// expiry is expiresAt) was notified. It reports false, changing nothing,
// when that state was already recorded, the credential is gone or was set
// again with another expiry: the caller then does not notify.
func MarkNotified(dataDir, name string, expiresAt time.Time, state string) (bool, error) {
	changed := false
	err := updateIndex(dataDir, func(idx map[string]Meta) error {
		m, ok := idx[name]
		if !ok || !m.ExpiresAt.Equal(expiresAt) || m.Notified == state {
			return nil
		}
		m.Notified, changed = state, true
		idx[name] = m
		return nil
	})
	return changed && err == nil, err
}

// indexLock is the run-lock name guarding the index; integration names
// cannot start with a dot, so it shares no lock file with them.
const indexLock = ".credentials"

// updateIndex applies f to the index under a cross-process lock and
// writes it back atomically (0600).
func updateIndex(dataDir string, f func(map[string]Meta) error) error {
	l, err := acquire(dataDir)
	if err != nil {
		return err
	}
	defer l.Release()
	all, err := ReadIndex(dataDir)
	if err != nil {
		return err
	}
	idx := make(map[string]Meta, len(all))
	for _, m := range all {
		idx[m.Name] = m
	}
	if err := f(idx); err != nil {
		return err
	}
	doc := indexDoc{Version: 1, Credentials: make([]Meta, 0, len(idx))}
	for _, m := range idx {
		doc.Credentials = append(doc.Credentials, m)
	}
	sort.Slice(doc.Credentials, func(i, j int) bool { return doc.Credentials[i].Name < doc.Credentials[j].Name })
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dataDir, IndexFile), append(b, '\n'))
}

func acquire(dataDir string) (*filelock.Lock, error) {
	deadline := time.Now().Add(15 * time.Second)
	for {
		l, err := filelock.Acquire(dataDir, indexLock)
		if err == nil {
			return l, nil
		}
		if !errors.Is(err, filelock.ErrHeld) || time.Now().After(deadline) {
			return nil, fmt.Errorf("credentials index: %w", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// writeFileAtomic replaces path with data, mode 0600.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
