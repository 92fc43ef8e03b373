package credentials

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/99designs/keyring"

	"github.com/agentsync/agent/credentials/internal/dbusenv"
	"github.com/agentsync/agent/internal/osdir"
)

func init() {
	// The keyring library has looked for the session bus by now.
	dbusenv.Restore()
}

// ServiceName is the service every backend files the agent's entries
// under (see the package documentation for the key scheme).
const ServiceName = "agentsync"

// Backends are the [keyring] backend values.
var Backends = []string{"auto", "secret-service", "keyctl", "wincred", "keychain", "pass", "file"}

// Options says which keyring to use; the agent fills it from the config's
// [agent] data_dir and [keyring] table.
type Options struct {
	Backend       string // one of Backends; "" = auto
	DataDir       string // the index, the socket and the file backend's key file live here
	FileDir       string // file backend: its folder; "" = DataDir/keyring
	PassphraseEnv string // file backend: the variable holding the passphrase; "" = AGENT_KEYRING_PASSPHRASE
	Service       string // "" = ServiceName; tests use their own
	// Timeout bounds one keyring operation: a Secret Service waiting for
	// an unlock prompt nobody can answer fails instead of hanging. 0 = 30s.
	Timeout time.Duration
}

// ErrNotFound means the keyring has no entry for the credential.
var ErrNotFound = errors.New("not found")

// Store is the keyring-backed credential store. It opens the keyring on
// first use, so opening a Store never fails and costs nothing when no
// credential is needed. It is safe for concurrent use.
type Store struct {
	opt     Options
	mu      sync.Mutex
	ring    keyring.Keyring
	backend string
	pass    passSource // file backend
	now     func() time.Time
}

// Open returns the store Options describe.
func Open(opt Options) *Store {
	if opt.Backend == "" {
		opt.Backend = "auto"
	}
	if opt.Service == "" {
		opt.Service = ServiceName
	}
	if opt.PassphraseEnv == "" {
		opt.PassphraseEnv = "AGENT_KEYRING_PASSPHRASE"
	}
	if opt.FileDir == "" {
		opt.FileDir = filepath.Join(opt.DataDir, "keyring")
	}
	if opt.Timeout <= 0 {
		opt.Timeout = 30 * time.Second
	}
	return &Store{opt: opt, now: time.Now}
}

// Options returns the store's options with defaults filled in.
func (s *Store) Options() Options { return s.opt }

// Close releases the store. Secrets cached by the keyring library (the
// file backend's passphrase) go with it.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ring, s.pass = nil, passSource{}
	return nil
}

// Backend resolves the configured backend ("auto" becomes the one in use)
// and checks that it can be used here.
func (s *Store) Backend() (string, error) {
	_, b, err := s.open(false)
	return b, err
}

// List returns the metadata of every stored credential from the index,
// without reading a secret.
func (s *Store) List() ([]Meta, error) { return ReadIndex(s.opt.DataDir) }

// secretFields is a Secret as JSON, in a keyring entry and on the
// channel. It converts to and from Secret (same fields).
type secretFields struct {
	Kind         Kind   `json:"kind"`
	ClientID     string `json:"client_id,omitempty"`
	ClientSecret string `json:"client_secret,omitempty"`
	Token        string `json:"token,omitempty"`
	Username     string `json:"username,omitempty"`
	Password     string `json:"password,omitempty"`
}

// entry is what the keyring holds for one credential: the secret and a
// copy of its metadata.
type entry struct {
	V int `json:"v"`
	secretFields
	Created   time.Time `json:"created"`
	Rotated   time.Time `json:"rotated"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

// Set stores (or rotates) credential name. expiresAt may be zero (no known
// expiry); setting a credential again replaces its expiry.
func (s *Store) Set(ctx context.Context, name string, sec Secret, expiresAt time.Time) (Meta, error) {
	if err := CheckName(name); err != nil {
		return Meta{}, err
	}
	if err := sec.check(); err != nil {
		return Meta{}, fmt.Errorf("credential %q: %w", name, err)
	}
	ring, backend, err := s.open(true)
	if err != nil {
		return Meta{}, fmt.Errorf("credential %q: %w", name, err)
	}
	now := s.now().UTC().Truncate(time.Second)
	m := Meta{Name: name, Kind: sec.Kind, Backend: backend, Created: now, Rotated: now, ExpiresAt: expiresAt.UTC()}
	old, existed, err := Lookup(s.opt.DataDir, name)
	if err != nil {
		return Meta{}, err
	}
	if existed && !old.Created.IsZero() {
		m.Created = old.Created
	}
	data, err := json.Marshal(entry{V: 1, secretFields: secretFields(sec), Created: m.Created, Rotated: m.Rotated, ExpiresAt: m.ExpiresAt})
	if err != nil {
		return Meta{}, err
	}
	defer clear(data)
	if err := checkEntrySize(name, backend, len(data)); err != nil {
		return Meta{}, err
	}
	if backend == "file" {
		if err := s.checkPassphrase(ctx, ring, name); err != nil {
			return Meta{}, err
		}
	}
	item := keyring.Item{Key: s.key(backend, name), Data: data, Label: s.key(backend, name), Description: "agent credential (" + string(sec.Kind) + ")"}
	if err := s.call(ctx, backend, func() error { return ring.Set(item) }); err != nil {
		return Meta{}, s.wrap(backend, "store", name, err)
	}
	if err := updateIndex(s.opt.DataDir, func(idx map[string]Meta) error { idx[name] = m; return nil }); err != nil {
		// Not listed, the entry would never be read (see Get): a new one
		// goes again; a rotated one keeps its index entry.
		if !existed {
			s.call(ctx, backend, func() error { return ring.Remove(item.Key) })
			return Meta{}, fmt.Errorf("credential %q: not stored: %w", name, err)
		}
		return Meta{}, fmt.Errorf("credential %q: stored in keyring %s, but %w", name, backend, err)
	}
	return m, nil
}

// Get reads credential name from the keyring. The index is the record of
// what is set: a credential it does not list is not found, whatever the
// keyring holds (an entry a failed delete or an older agent left), so a
// run never uses a secret that `agent credentials list` and `agent status`
// say is not set; one the index files under another backend is an error
// saying so.
func (s *Store) Get(ctx context.Context, name string) (Secret, error) {
	ring, backend, err := s.open(false)
	if err != nil {
		return Secret{}, fmt.Errorf("credential %q: %w", name, err)
	}
	m, ok, err := Lookup(s.opt.DataDir, name)
	if err != nil {
		return Secret{}, fmt.Errorf("credential %q: %w", name, err)
	}
	if !ok {
		return Secret{}, fmt.Errorf("credential %q: %w: %s does not list it (keyring %s); set it with: agent credentials set %s", name, ErrNotFound, filepath.Join(s.opt.DataDir, IndexFile), backend, name)
	}
	if m.Backend != "" && m.Backend != backend {
		return Secret{}, fmt.Errorf("credential %q was stored in keyring %s, but this agent uses keyring %s ([keyring] backend): set it again with: agent credentials set %s", name, m.Backend, backend, name)
	}
	var item keyring.Item
	err = s.call(ctx, backend, func() error {
		var err error
		item, err = ring.Get(s.key(backend, name))
		return err
	})
	if err != nil {
		return Secret{}, s.wrap(backend, "read", name, err)
	}
	defer clear(item.Data)
	var e entry
	// The decoder's error could quote a byte of the entry: say only that
	// it is not ours.
	if json.Unmarshal(item.Data, &e) != nil || e.V != 1 {
		return Secret{}, fmt.Errorf("credential %q: the entry in keyring %s is not in the agent's format; set it again with: agent credentials set %s", name, backend, name)
	}
	sec := Secret(e.secretFields)
	if err := sec.check(); err != nil {
		return Secret{}, fmt.Errorf("credential %q in keyring %s: %w", name, backend, err)
	}
	return sec, nil
}

// Delete removes credential name from the keyring and the index. It wraps
// ErrNotFound when neither had it.
func (s *Store) Delete(ctx context.Context, name string) error {
	ring, backend, err := s.open(false)
	if err != nil {
		return fmt.Errorf("credential %q: %w", name, err)
	}
	// Removed by name, never only when a listing shows it: the keyring
	// library's listing swallows errors (Credential Manager's lists
	// nothing when its enumeration fails), and the entry stayed behind.
	// The listing only tells whether the Secret Service, which removes a
	// missing key without a word, had one.
	key, inRing := s.key(backend, name), false
	err = s.call(ctx, backend, func() error {
		keys, _ := ring.Keys()
		listed := slices.Contains(keys, key)
		if err := ring.Remove(key); err != nil {
			return err
		}
		inRing = listed || backend != "secret-service"
		return nil
	})
	if errors.Is(err, keyring.ErrKeyNotFound) || errors.Is(err, os.ErrNotExist) {
		inRing, err = false, nil
	}
	if err != nil {
		return s.wrap(backend, "delete", name, err)
	}
	inIndex := false
	if err := updateIndex(s.opt.DataDir, func(idx map[string]Meta) error {
		_, inIndex = idx[name]
		delete(idx, name)
		return nil
	}); err != nil {
		return err
	}
	if !inRing && !inIndex {
		return fmt.Errorf("credential %q: %w in keyring %s", name, ErrNotFound, backend)
	}
	return nil
}

// key is the keyring key of credential name. The Secret Service has no
// per-application namespace in the keyring library (entries live in the
// shared default collection), so the service name prefixes the key there.
func (s *Store) key(backend, name string) string {
	if backend == "secret-service" {
		return s.opt.Service + "/" + name
	}
	return name
}

// open resolves the backend and opens it once. Failures are not cached:
// the next call tries again (a keyring unlocked meanwhile just works).
func (s *Store) open(forWrite bool) (keyring.Keyring, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ring != nil {
		if s.backend == "secret-service" {
			if err := secretServiceReady(); err != nil {
				return nil, s.backend, err
			}
		}
		return s.ring, s.backend, nil
	}
	backend, err := s.resolve()
	if err != nil {
		return nil, backend, err
	}
	noCoreDumps()
	cfg := keyring.Config{
		AllowedBackends: []keyring.BackendType{keyring.BackendType(backend)},
		ServiceName:     s.opt.Service,
		KeyCtlScope:     "user",
		KeyCtlPerm:      keyctlPerm,
		PassPrefix:      s.opt.Service,
		// Credential Manager target: agentsync:credential:NAME.
		WinCredPrefix: s.opt.Service,
	}
	switch backend {
	case "wincred":
		cfg.ServiceName = "credential"
	case "secret-service":
		coll, err := secretServiceCollection()
		if err != nil {
			return nil, backend, err
		}
		cfg.LibSecretCollectionName = coll
	case "file":
		if err := osdir.MkdirPrivate(s.opt.FileDir); err != nil {
			return nil, backend, fmt.Errorf("keyring file: %w", err)
		}
		if err := os.Chmod(s.opt.FileDir, 0o700); err != nil {
			return nil, backend, fmt.Errorf("keyring file: %w", err)
		}
		cfg.FileDir = s.opt.FileDir
		cfg.FilePasswordFunc = s.passphraseFunc
	}
	ring, err := keyring.Open(cfg)
	if err != nil {
		return nil, backend, s.wrap(backend, "open", "", err)
	}
	s.ring, s.backend = ring, backend
	return ring, backend, nil
}

// resolve turns the configured backend into the one to use.
func (s *Store) resolve() (string, error) {
	b := s.opt.Backend
	if b == "auto" {
		return autoBackend(), nil
	}
	if !slices.Contains(Backends, b) {
		return b, fmt.Errorf("keyring: unknown backend %q (want one of %v)", b, Backends)
	}
	if !available(b) {
		return b, unavailable(b)
	}
	if b == "secret-service" {
		if err := secretServiceReady(); err != nil {
			return b, err
		}
	}
	return b, nil
}

// available reports whether the keyring library offers backend here.
func available(backend string) bool {
	return slices.Contains(keyring.AvailableBackends(), keyring.BackendType(backend))
}

// autoBackend is backend = "auto": Credential Manager on Windows, the
// Keychain on macOS, the Secret Service where a session bus has one
// running, else the encrypted file backend.
func autoBackend() string {
	for _, b := range autoOrder {
		if !available(b) {
			continue
		}
		if b == "secret-service" && secretServiceReady() != nil {
			continue
		}
		return b
	}
	return "file"
}

// call runs one keyring operation, bounded by the store's timeout.
func (s *Store) call(ctx context.Context, backend string, f func() error) error {
	ctx, cancel := context.WithTimeout(ctx, s.opt.Timeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("no answer within %s (%w); %s", s.opt.Timeout, ctx.Err(), fix(backend))
	}
}

// wrap turns a keyring library error into one that names the credential,
// the backend and the fix.
func (s *Store) wrap(backend, op, name string, err error) error {
	what := "keyring " + backend
	if name != "" {
		what = fmt.Sprintf("credential %q: keyring %s", name, backend)
	}
	if errors.Is(err, keyring.ErrKeyNotFound) {
		return fmt.Errorf("credential %q: %w in keyring %s; set it with: agent credentials set %s", name, ErrNotFound, backend, name)
	}
	var pe *passphraseError
	if errors.As(err, &pe) {
		if name == "" {
			return err
		}
		return fmt.Errorf("credential %q: %w", name, err)
	}
	if backend == "file" && op == "read" {
		s.mu.Lock()
		from := s.pass.from
		s.mu.Unlock()
		return fmt.Errorf("%s: cannot decrypt the entry with the passphrase from %s (%v): use the passphrase it was stored with, or set it again", what, from, err)
	}
	return fmt.Errorf("%s: %s: %v; %s", what, op, err, fix(backend))
}

// fix is the advice appended to a backend's errors.
func fix(backend string) string {
	switch backend {
	case "secret-service":
		return `the Secret Service (gnome-keyring, KeePassXC...) must run unlocked in this user's desktop session; a service or a headless server should use [keyring] backend = "file"`
	case "keyctl":
		return `the kernel keyring must be open to this process (containers and seccomp profiles often block keyctl); else use [keyring] backend = "file"`
	case "wincred":
		return "Windows Credential Manager refused; run from an elevated prompt, or let the running agent service store it"
	case "keychain":
		return "unlock the login keychain of this user"
	case "pass":
		return "pass must be installed and initialised for this user (pass init GPG-ID) with a usable gpg-agent"
	case "file":
		return "check the folder's permissions and the passphrase ([keyring] passphrase_env)"
	}
	return `use [keyring] backend = "auto"`
}

// unavailable is the error for a backend this build or machine lacks.
func unavailable(backend string) error {
	switch backend {
	case "secret-service":
		return fmt.Errorf(`keyring secret-service: no D-Bus session bus answered (DBUS_SESSION_BUS_ADDRESS): run in a desktop session, or use [keyring] backend = "file" for a service or a headless server`)
	case "keychain":
		return fmt.Errorf(`keyring keychain: not available in this build (the macOS Keychain needs a cgo build on macOS); use [keyring] backend = "file"`)
	}
	return fmt.Errorf(`keyring %s: not available on this system; use [keyring] backend = "auto" or "file"`, backend)
}

// errorf builds an error without wrapping.
func errorf(format string, a ...any) error { return fmt.Errorf(format, a...) }

// keyctlPerm gives the possessor and the owning user (view, read, write,
// search, link, setattr) on new kernel keys, nobody else: the service,
// which runs in a session keyring of its own, reads what the CLI stored
// as the same user.
const keyctlPerm = 0x3f<<24 | 0x3f<<16
