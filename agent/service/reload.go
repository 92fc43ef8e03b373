package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/agentsync/agent/agent/config"
)

// reloadConfig re-reads the config file and, when it is valid, runs on it
// from now on; an invalid edit is logged problem by problem
// (file:line:col), put in the inbox once, and the last good config keeps
// running. Unless force (SIGHUP, `agent service reload`), content already
// loaded or rejected is not read again.
func (d *Daemon) reloadConfig(ctx context.Context, force bool) {
	d.mu.Lock()
	cur := d.cur
	d.mu.Unlock()
	data, hash, err := readConfig(d.ConfigPath)
	if err != nil {
		d.log.Error("config reload: keeping the last good config", "error", err)
		return
	}
	if !force && (hash == cur.hash || hash == d.rejected) {
		return
	}
	cfg, err := config.Parse(d.ConfigPath, data)
	if err != nil {
		d.rejected = hash
		for _, problem := range strings.Split(err.Error(), "\n") {
			if problem != "" {
				d.log.Error("config edit rejected; keeping the last good config", "problem", problem)
			}
		}
		cur.runner.Notifier.ConfigRejected(ctx, hash[:16], err, cur.loadedAt)
		return
	}
	d.rejected = ""
	d.keepUntilRestart(cur.cfg, cfg)
	d.setLevel(cfg)
	gen := d.generation(cfg, hash)
	if err := d.sched.Apply(gen.runner); err != nil {
		d.log.Error("config reload failed; keeping the last good config", "error", err)
		d.generation(cur.cfg, cur.hash) // the mailer of the old config
		if err := d.sched.Apply(cur.runner); err != nil {
			d.log.Error("restoring the last good config failed", "error", err)
		}
		return
	}
	d.mu.Lock()
	d.cur = gen
	d.mu.Unlock()
	gen.runner.Notifier.ConfigAccepted(ctx)
	d.log.Info("config reloaded", "config", d.ConfigPath, "integrations", len(cfg.Integrations))
	d.logSchedule(cfg)
}

// keepUntilRestart keeps the settings a running service cannot switch
// (where its state and credentials are, how it logs, its pool) and says so.
func (d *Daemon) keepUntilRestart(old, cfg *config.Config) {
	if cfg.Agent.DataDir != old.Agent.DataDir {
		d.log.Warn("agent.data_dir changed: it applies when the service restarts", "data_dir", old.Agent.DataDir, "new", cfg.Agent.DataDir)
		cfg.Agent.DataDir = old.Agent.DataDir
	}
	if cfg.Keyring != old.Keyring {
		d.log.Warn("[keyring] changed: it applies when the service restarts")
	}
	if cfg.Agent.MaxParallelRuns != old.Agent.MaxParallelRuns {
		d.log.Warn("agent.max_parallel_runs changed: it applies when the service restarts", "max_parallel_runs", old.Agent.MaxParallelRuns)
	}
	if cfg.HTTP != old.HTTP {
		d.log.Warn("[http] changed: it applies when the service restarts", "listen", old.HTTP.Listen)
		cfg.HTTP = old.HTTP
	}
	if cfg.Agent.LogFormat != old.Agent.LogFormat {
		d.log.Warn("agent.log_format changed: it applies when the service restarts")
	}
}

func readConfig(path string) (data []byte, hash string, err error) {
	data, err = config.ReadFile(path)
	if err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(data)
	return data, hex.EncodeToString(sum[:]), nil
}

// fileState notices edits of the config file by its content, once they
// have settled: a new content is read again at the next poll before it
// counts (an editor may be halfway through writing it).
type fileState struct {
	hash    string
	pending bool
}

func (f *fileState) changed(path string) bool {
	_, hash, err := readConfig(path)
	if err != nil {
		return false
	}
	if hash != f.hash {
		f.hash, f.pending = hash, true
		return false
	}
	if f.pending {
		f.pending = false
		return true
	}
	return false
}

// ReloadRequest is the file in data_dir by which `agent service reload`
// asks the service to re-read its config; the service removes it when done.
const ReloadRequest = "reload.request"

func reloadRequested(dataDir string) bool {
	_, err := os.Stat(filepath.Join(dataDir, ReloadRequest))
	return err == nil
}

func removeReloadRequest(dataDir string) {
	os.Remove(filepath.Join(dataDir, ReloadRequest))
}

// RequestReload asks the running service to re-read its config and waits
// until it has, at most wait.
func RequestReload(dataDir string, wait time.Duration) error {
	path := filepath.Join(dataDir, ReloadRequest)
	if err := os.WriteFile(path, []byte(time.Now().UTC().Format(time.RFC3339)+"\n"), 0o640); err != nil {
		return fmt.Errorf("asking the service to reload: %w", err)
	}
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	os.Remove(path)
	return fmt.Errorf("the service did not re-read its config within %s: is it running? (agent service status)", wait)
}
