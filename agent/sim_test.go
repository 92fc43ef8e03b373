package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/agentsync/agent/agent/engine"
	"github.com/agentsync/agent/internal/vendorsim"
)

// simAgent is an agent whose one integration, "sim", reads a vendorsim
// on loopback with an oauth2_client credential kept in the file keyring
// (its key file in data_dir: no passphrase in the environment, so tests
// can run in parallel). The CLI runs in-process unless a test starts the
// built binary on cfg.
type simAgent struct {
	t   testing.TB
	sim *vendorsim.Sim
	url string
	dir string
	cfg string
}

// noPassphrase names an environment variable nobody sets: the file
// keyring falls back to its key file.
const noPassphrase = "AGENT_TEST_UNSET_KEYRING_PASSPHRASE"

// configHead opens the configs of the CLI tests: data in ./data, a quiet
// log, and the file keyring on its key file.
const configHead = "[agent]\ndata_dir = \"data\"\nlog_level = \"error\"\n\n[keyring]\nbackend = \"file\"\npassphrase_env = \"" + noPassphrase + "\"\n"

func newSimAgent(t testing.TB, sc vendorsim.Config, in vendorsim.Integration) *simAgent {
	t.Helper()
	sim := vendorsim.New(sc)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	a := &simAgent{t: t, sim: sim, url: srv.URL, dir: t.TempDir()}
	a.cfg = filepath.Join(a.dir, "config.toml")
	a.writeConfig(in)
	if code, _, errs := a.cli(strings.NewReader(sim.Config().Secret+"\n"), "credentials", "set", "sim", "--kind", "oauth2_client",
		"--client-id", sim.Config().ClientID, "--secret-stdin"); code != exitOK {
		t.Fatalf("credentials set: exit %d: %s", code, errs)
	}
	return a
}

// writeConfig (re)writes the config with the integration in.
func (a *simAgent) writeConfig(in vendorsim.Integration) {
	a.t.Helper()
	text := configHead + "\n" + a.sim.Config().TOML(a.url, in)
	if err := os.WriteFile(a.cfg, []byte(text), 0o600); err != nil {
		a.t.Fatal(err)
	}
}

// cli runs the CLI in-process.
func (a *simAgent) cli(stdin *strings.Reader, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	code := run(context.Background(), append([]string{"--config", a.cfg}, args...), stdin, &out, &errb)
	return code, out.String(), errb.String()
}

// runNow runs `run-now --json sim` and returns its exit code and report.
func (a *simAgent) runNow() (int, engine.Report) {
	a.t.Helper()
	code, out, errs := a.cli(nil, "run-now", "--json", "sim")
	return code, parseReport(a.t, out, errs)
}

func parseReport(t testing.TB, out, errs string) engine.Report {
	t.Helper()
	var rep engine.Report
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &rep); err != nil {
		t.Fatalf("run-now --json printed %q (%v); stderr: %s", out, err, errs)
	}
	return rep
}

// export returns `agent export` of the people as sorted JSONL lines,
// without the times that differ between two equal runs.
func (a *simAgent) export() []string {
	a.t.Helper()
	code, out, errs := a.cli(nil, "export", "--integration", "sim", "--kind", "people", "--format", "jsonl")
	if code != exitOK {
		a.t.Fatalf("export: exit %d: %s", code, errs)
	}
	return normalExport(out)
}

// normalExport sorts export lines and blanks deactivated_at.
func normalExport(jsonl string) []string {
	lines := strings.Split(strings.TrimSpace(jsonl), "\n")
	if len(lines) == 1 && lines[0] == "" {
		return nil
	}
	for i, l := range lines {
		if j := strings.Index(l, `"deactivated_at":"`); j >= 0 {
			k := strings.IndexByte(l[j+len(`"deactivated_at":"`):], '"')
			lines[i] = l[:j] + `"deactivated_at":"-"` + l[j+len(`"deactivated_at":"`)+k+1:]
		}
	}
	slices.Sort(lines)
	return lines
}

// census counts exported people and the inactive ones.
func census(lines []string) (people, inactive int) {
	for _, l := range lines {
		if strings.Contains(l, `"status":"inactive"`) {
			inactive++
		}
	}
	return len(lines), inactive
}
