// Package rig is the bench's apparatus: a vendorsim served on loopback,
// agents set up to read it (a data_dir, a config with the peer's mapping,
// an oauth2_client credential in the file keyring), and three ways to run
// a sync and measure it: the built agent binary, measured from outside
// (wall time, peak RSS); the same runner in-process, measured from inside
// (allocations); and the plain-Python peer (peer.go). bench/compare and
// the Go benchmarks of this package use it.
package rig

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/metrics"
	"strings"
	"time"

	"github.com/agentsync/agent/agent/config"
	"github.com/agentsync/agent/agent/engine"
	"github.com/agentsync/agent/agent/runner"
	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/credentials"
	_ "github.com/agentsync/agent/destinations/all" // configs may name destinations
	"github.com/agentsync/agent/internal/vendorsim"
	_ "github.com/agentsync/agent/vendors/all" // the in-process runs need the vendors
)

// The file keyring's passphrase: the environment variable the configs
// name, and its value (set in this process and given to the binaries).
const (
	PassphraseEnv = "BENCH_KEYRING_PASSPHRASE"
	passphrase    = "bench-keyring-passphrase"
)

// Sim is a vendorsim on an http.Server on 127.0.0.1.
type Sim struct {
	*vendorsim.Sim
	URL string
	srv *http.Server
}

// StartSim serves a simulator of cfg until Close.
func StartSim(cfg vendorsim.Config) (*Sim, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Sim{Sim: vendorsim.New(cfg), URL: "http://" + ln.Addr().String()}
	s.srv = &http.Server{Handler: s.Sim, ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(ln)
	return s, nil
}

// Close stops serving.
func (s *Sim) Close() error { return s.srv.Close() }

// Agent is one agent's folder: config.toml and data/, integration "sim".
type Agent struct {
	Dir    string
	Config string
}

// NewAgent sets up an agent in dir (created) that reads sim with in:
// the config, and the credential stored in the file keyring.
func NewAgent(dir string, sim *Sim, in vendorsim.Integration) (*Agent, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	a := &Agent{Dir: dir, Config: filepath.Join(dir, "config.toml")}
	cfg := sim.Config()
	text := fmt.Sprintf("[agent]\ndata_dir = \"data\"\nlog_level = \"warn\"\n\n[keyring]\nbackend = \"file\"\npassphrase_env = %q\n\n%s",
		PassphraseEnv, cfg.TOML(sim.URL, in))
	if err := os.WriteFile(a.Config, []byte(text), 0o600); err != nil {
		return nil, err
	}
	os.Setenv(PassphraseEnv, passphrase)
	return a, a.SetCredential("sim", credentials.Secret{Kind: credentials.OAuth2Client, ClientID: cfg.ClientID, ClientSecret: cfg.Secret})
}

// SetCredential stores a credential in the agent's file keyring.
func (a *Agent) SetCredential(name string, sec credentials.Secret) error {
	c, err := config.Load(a.Config)
	if err != nil {
		return err
	}
	creds := credentials.Open(credentialOptions(c))
	defer creds.Close()
	_, err = creds.Set(context.Background(), name, sec, time.Time{})
	return err
}

func credentialOptions(c *config.Config) credentials.Options {
	return credentials.Options{Backend: c.Keyring.Backend, DataDir: c.Agent.DataDir, FileDir: c.Keyring.FileDir, PassphraseEnv: c.Keyring.PassphraseEnv}
}

// Result is one measured sync.
type Result struct {
	Wall       time.Duration
	CPU        time.Duration // user + system time of the process, from its rusage (0 in-process)
	MaxRSS     int64         // bytes, peak resident set of the process (0 in-process)
	Allocs     int64         // heap objects allocated (in-process runs only)
	AllocBytes int64
	StoreBytes int64 // the database with its WAL, after the run
	Counts     store.Counts
	Outcome    string
	Error      string
}

// RunBinary runs `bin --config CONFIG run-now --json sim` and measures it
// from outside.
func (a *Agent) RunBinary(ctx context.Context, bin string) (Result, error) {
	cmd := exec.CommandContext(ctx, bin, "--config", a.Config, "run-now", "--json", "sim")
	cmd.Env = append(os.Environ(), PassphraseEnv+"="+passphrase)
	r, out, errs, err := measured(cmd)
	var rep engine.Report
	if jerr := json.Unmarshal([]byte(strings.TrimSpace(out)), &rep); jerr != nil {
		return r, fmt.Errorf("agent run-now: %v: %s%s", errors.Join(err, jerr), out, errs)
	}
	r.Counts, r.Outcome, r.Error = rep.Counts, rep.Outcome, rep.Error
	r.StoreBytes = FilesSize(filepath.Join(a.Dir, "data", store.FileName))
	return r, nil
}

// Measure runs `bin --config CONFIG args...` and measures it from outside:
// wall time, CPU time and peak RSS.
func (a *Agent) Measure(ctx context.Context, bin string, args ...string) (r Result, stdout, stderr string, err error) {
	cmd := exec.CommandContext(ctx, bin, append([]string{"--config", a.Config}, args...)...)
	cmd.Env = append(os.Environ(), PassphraseEnv+"="+passphrase)
	return measured(cmd)
}

// measured runs cmd and measures it from outside: wall time, CPU time
// (user + system) and peak RSS.
func measured(cmd *exec.Cmd) (r Result, stdout, stderr string, err error) {
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err = cmd.Run()
	r.Wall = time.Since(start)
	if cmd.ProcessState != nil {
		r.MaxRSS = maxRSS(cmd.ProcessState)
		r.CPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	return r, out.String(), errb.String(), err
}

// RunInProcess runs the integration the way run-now does, in this
// process, and counts the heap allocations it makes (the simulator's,
// if it runs here too, are included: about one per page of users).
func (a *Agent) RunInProcess(ctx context.Context) (Result, error) {
	cfg, err := config.Load(a.Config)
	if err != nil {
		return Result{}, err
	}
	samples := []metrics.Sample{{Name: "/gc/heap/allocs:objects"}, {Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(samples)
	objs, bytes := samples[0].Value.Uint64(), samples[1].Value.Uint64()
	start := time.Now()
	st, err := store.Open(ctx, cfg.Agent.DataDir)
	if err != nil {
		return Result{}, err
	}
	defer st.Close()
	creds := credentials.Open(credentialOptions(cfg))
	defer creds.Close()
	rn := &runner.Runner{Config: cfg, Store: st, Secrets: creds, UserAgent: "agent/bench"}
	rep, err := rn.Run(ctx, "sim", engine.Options{Trigger: engine.TriggerManual})
	r := Result{Wall: time.Since(start), Counts: rep.Counts, Outcome: rep.Outcome, Error: rep.Error}
	metrics.Read(samples)
	r.Allocs, r.AllocBytes = int64(samples[0].Value.Uint64()-objs), int64(samples[1].Value.Uint64()-bytes)
	r.StoreBytes = FilesSize(st.Path())
	return r, err
}

// FilesSize is the size of an SQLite database with its -wal and -shm.
func FilesSize(db string) int64 {
	var n int64
	for _, p := range []string{db, db + "-wal", db + "-shm"} {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// Scenario is one sync of the bench: the simulator's generation for it,
// and the counts a correct sync reports.
type Scenario struct {
	Key  string // a short name: first, nochange, churn
	Name string
	Set  func(*vendorsim.Config)
	// Want is what a correct sync of the configured simulator reports,
	// by the agent, or by the peer (which has no active rule: it stores
	// every listed user as active, so it deactivates every removed one).
	Want func(c vendorsim.Config, peer bool) store.Counts
}

// Check reports whether counts are what a correct sync reports.
func (s Scenario) Check(c vendorsim.Config, peer bool, counts store.Counts) bool {
	return counts == s.Want(c, peer)
}

// onePercentInactive is the source of every scenario (issue 15: "no-change
// ≤ 1.25× floor, with 1% of the store inactive"): generation 1 lists the
// users of generation 0, 1% of them with status "inactive", which the
// agent's active rule (status, inactive_values = ["inactive"]) stores as
// inactive from the first sync on.
var onePercentInactive = vendorsim.Churn{Inactive: 1}

// Scenarios are the bench's three syncs, in order, on one store: a first
// sync (all creates, 1% of them inactive), a no-change resync (of a store
// with 1% inactive), a resync with 1% changed, 1% removed and 1% added (1%
// of the added inactive too).
var Scenarios = []Scenario{
	{"first", "first sync", func(c *vendorsim.Config) { c.Generation, c.Churn = 1, onePercentInactive },
		func(c vendorsim.Config, _ bool) store.Counts {
			n := c.Census()
			return store.Counts{Fetched: n.Listed, Created: n.Listed}
		}},
	{"nochange", "no-change resync", func(c *vendorsim.Config) { c.Generation, c.Churn = 1, onePercentInactive },
		func(c vendorsim.Config, _ bool) store.Counts {
			n := c.Census()
			return store.Counts{Fetched: n.Listed, Unchanged: n.Listed}
		}},
	{"churn", "1% churn resync", func(c *vendorsim.Config) {
		c.Generation, c.Churn = 1, vendorsim.Churn{Changed: 1, Removed: 1, Added: 1, Inactive: onePercentInactive.Inactive}
	}, func(c vendorsim.Config, peer bool) store.Counts {
		n := c.Census()
		deactivated := n.Removed
		if !peer {
			// The agent stored the inactive ones inactive: removing them
			// deactivates nobody. They are the inactive users of the
			// generation without removals, less the listed inactive ones.
			all := c
			all.Churn.Removed = 0
			deactivated -= all.Census().Inactive - n.Inactive
		}
		return store.Counts{Fetched: n.Listed, Created: n.Added, Updated: n.Changed, Deactivated: deactivated,
			Unchanged: n.Listed - n.Added - n.Changed}
	}},
}

// AfterChurn is a no-change resync that follows the churn: the store holds
// the 1% the churn removed, now inactive, and the source lists everyone
// else unchanged. BenchmarkSync runs it after Scenarios (bench/compare
// does not: the peer has no such case in its table).
var AfterChurn = Scenario{"afterchurn", "no-change resync, 1% of the store inactive", Scenarios[2].Set,
	func(c vendorsim.Config, _ bool) store.Counts {
		n := c.Census()
		return store.Counts{Fetched: n.Listed, Unchanged: n.Listed}
	}}
