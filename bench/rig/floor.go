package rig

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/agentsync/agent/agent/store"
)

// Floor is bench/floor built: the fetch and JSON decoding of every page,
// with no store (issue 15's floor).
type Floor struct {
	Bin string
}

// Run fetches every page of sim in pages of size and measures the process
// from outside. The result's counts hold only Fetched.
func (f Floor) Run(ctx context.Context, sim *Sim, size int) (Result, error) {
	cfg := sim.Config()
	cmd := exec.CommandContext(ctx, f.Bin, sim.URL, strconv.Itoa(size))
	cmd.Env = append(os.Environ(), "PEER_CLIENT_ID="+cfg.ClientID, "PEER_CLIENT_SECRET="+cfg.Secret)
	r, out, errs, err := measured(cmd)
	if err != nil {
		return r, fmt.Errorf("floor: %v: %s", err, errs)
	}
	r.Outcome = store.OutcomeSuccess
	var c struct{ Fetched int }
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &c); err != nil {
		return r, fmt.Errorf("floor printed %q: %v", out, err)
	}
	r.Counts.Fetched = c.Fetched
	return r, nil
}
