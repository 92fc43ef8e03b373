// Package vendortest runs a vendor the way `agent run-now` does, for the
// vendors' tests: config text → config.Parse (so the vendor's defaults
// are merged exactly as in production) → runner.Runner → a store in a
// temporary folder, with an in-memory credential store and every log
// line captured; and Template, the one test of every template of the REST
// connector against the simulator profile of its vendor (template.go).
package vendortest

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/agentsync/agent/agent/config"
	"github.com/agentsync/agent/agent/engine"
	"github.com/agentsync/agent/agent/runner"
	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/credentials"
)

// Secrets is an in-memory credential store (vendors.SecretSource).
type Secrets map[string]credentials.Secret

// Get returns the named credential.
func (s Secrets) Get(_ context.Context, name string) (credentials.Secret, error) {
	sec, ok := s[name]
	if !ok {
		return credentials.Secret{}, fmt.Errorf("no credential named %q in the keyring", name)
	}
	return sec, nil
}

// secret is the credential "cred" of a Case's profile: the client of its token
// endpoint or its API key, with the secret or key replaced by wrong if set.
func (c Case) secret(wrong string) credentials.Secret {
	if te := c.Profile.Token; te != nil {
		return credentials.Secret{Kind: credentials.OAuth2Client, ClientID: te.ClientID, ClientSecret: cmp.Or(wrong, te.Secret)}
	}
	return credentials.Secret{Kind: credentials.APIKey, Token: cmp.Or(wrong, c.Profile.Key)}
}

// Env is one agent: a folder with config.toml and data/, an open store,
// the credentials, and the captured logs.
type Env struct {
	T       testing.TB
	Dir     string
	Store   *store.Store
	Secrets Secrets
	Logs    *Buffer
}

// New opens a store in a fresh temporary folder.
func New(t testing.TB, secrets Secrets) *Env {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(context.Background(), filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &Env{T: t, Dir: dir, Store: st, Secrets: secrets, Logs: &Buffer{}}
}

// Config writes text as the env's config.toml, with data_dir pointing at
// the env's store unless the text has an [agent] table, and loads it.
func (e *Env) Config(text string) *config.Config {
	e.T.Helper()
	if !strings.Contains(text, "[agent]") {
		text = "[agent]\ndata_dir = \"data\"\n\n" + text
	}
	p := filepath.Join(e.Dir, "config.toml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		e.T.Fatal(err)
	}
	cfg, err := config.Load(p)
	if err != nil {
		e.T.Fatalf("config:\n%v", err)
	}
	return cfg
}

// Run runs the named integration once, as run-now does, and returns its
// report (a run that could not start has its error in the report).
func (e *Env) Run(cfg *config.Config, name string) engine.Report {
	e.T.Helper()
	log := slog.New(slog.NewTextHandler(e.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r := &runner.Runner{Config: cfg, Store: e.Store, Logger: log, Secrets: e.Secrets, UserAgent: "agent/test"}
	rep, err := r.Run(context.Background(), name, engine.Options{Trigger: engine.TriggerManual, Logger: log})
	if err != nil && rep.Error == "" {
		rep.Error = err.Error()
	}
	return rep
}

// Records returns the integration's stored records of one kind by key.
func (e *Env) Records(integration string, kind store.Kind) map[string]store.Record {
	e.T.Helper()
	out := map[string]store.Record{}
	err := e.Store.Records(context.Background(), integration, kind, func(r store.Record) error {
		out[r.Key] = r
		return nil
	})
	if err != nil {
		e.T.Fatal(err)
	}
	return out
}

// Inactive counts the records of one kind that are not active.
func (e *Env) Inactive(integration string, kind store.Kind) int {
	n := 0
	for _, r := range e.Records(integration, kind) {
		if r.Status != store.Active {
			n++
		}
	}
	return n
}

// Buffer is a bytes.Buffer safe for concurrent writes (a log sink).
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Integration is the config text of one integration of a built-in vendor,
// named after it, with credential "cred", deactivation on (no guard), and
// rest as the lines of its [integration.rest] table.
func Integration(vendor, rest string) string {
	return fmt.Sprintf("[[integration]]\nname = %q\nvendor = %q\ncredential = \"cred\"\ndeactivate = true\nmax_deactivate_percent = 100\n  [integration.rest]\n%s\n", vendor, vendor, rest)
}
