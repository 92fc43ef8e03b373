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

// Peer is the plain-Python peer (../shared/bench/peer.py): the same job
// with the standard library, its state in one SQLite file.
type Peer struct {
	Python string // the interpreter, e.g. "python3"
	Script string
	DB     string
}

// Run syncs sim into the peer's database with pages of size and measures
// the process from outside.
func (p Peer) Run(ctx context.Context, sim *Sim, size int) (Result, error) {
	cfg := sim.Config()
	cmd := exec.CommandContext(ctx, p.Python, p.Script, sim.URL, p.DB, strconv.Itoa(size))
	cmd.Env = append(os.Environ(), "PEER_CLIENT_ID="+cfg.ClientID, "PEER_CLIENT_SECRET="+cfg.Secret)
	r, out, errs, err := measured(cmd)
	if err != nil {
		return r, fmt.Errorf("peer: %v: %s", err, errs)
	}
	r.Outcome = store.OutcomeSuccess
	var c struct{ Fetched, Created, Updated, Unchanged, Deactivated int }
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &c); err != nil {
		return r, fmt.Errorf("peer printed %q: %v", out, err)
	}
	r.Counts = store.Counts{Fetched: c.Fetched, Created: c.Created, Updated: c.Updated, Unchanged: c.Unchanged, Deactivated: c.Deactivated}
	r.StoreBytes = FilesSize(p.DB)
	return r, nil
}
