// Command compare benches the agent against the plain-Python peer
// (../shared/bench/peer.py) on one loopback vendorsim: for each N, a first
// sync (all creates), a no-change resync and a resync with 1% changed, 1%
// removed and 1% added, the agent (the built binary, `run-now --json` on
// a vendor = "rest" integration with the peer's mapping, its credential in
// the file keyring) and the peer alternating; then the agent alone
// against a rate-limited simulator. It prints a table and writes it into
// bench/RESULTS.md between the bench markers:
//
//	go run ./bench/compare                      # N = 100,000 and 1,000,000
//	go run ./bench/compare -users 1000000 -page 1000
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/agentsync/agent/bench/rig"
	"github.com/agentsync/agent/internal/vendorsim"
)

type options struct {
	users      []int
	page       int
	python     string
	peer       string
	bin        string
	allocs     bool
	rate       int
	rateUsers  int
	ratePage   int
	out        string
	keep       bool
	root, work string
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("compare: ")
	var o options
	users := flag.String("users", "100000,1000000", "comma-separated numbers of users")
	flag.IntVar(&o.page, "page", 1000, "page size, agent and peer")
	flag.StringVar(&o.python, "python", "python3", "the peer's interpreter")
	flag.StringVar(&o.peer, "peer", "", "the peer script (default ../shared/bench/peer.py beside the module)")
	flag.StringVar(&o.bin, "bin", "", "an agent binary to bench (default: go build ./agent)")
	flag.BoolVar(&o.allocs, "allocs", true, "also run each sync in-process to count allocations per user")
	flag.IntVar(&o.rate, "rate", 20, "the rate-limited run: requests per second announced and enforced (0: skip)")
	flag.IntVar(&o.rateUsers, "rate-users", 10_000, "the rate-limited run: users")
	flag.IntVar(&o.ratePage, "rate-page", 100, "the rate-limited run: page size")
	flag.StringVar(&o.out, "out", "bench/RESULTS.md", "results file to update, relative to the module (\"\": none)")
	flag.BoolVar(&o.keep, "keep", false, "keep the work folder (stores, configs)")
	flag.Parse()
	for _, s := range strings.Split(*users, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			log.Fatalf("-users: %q is not a number of users", s)
		}
		o.users = append(o.users, n)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := o.setup(ctx); err != nil {
		log.Fatal(err)
	}
	if !o.keep {
		defer os.RemoveAll(o.work)
	}
	res, err := o.bench(ctx)
	if err != nil {
		log.Print(err)
		if !o.keep {
			os.RemoveAll(o.work)
		}
		os.Exit(1)
	}
	text := res.markdown(o)
	fmt.Print(text)
	if o.out != "" {
		path := filepath.Join(o.root, o.out)
		if err := updateResults(path, text); err != nil {
			log.Fatal(err)
		}
		log.Printf("wrote %s", path)
	}
}

// setup finds the module and the peer, makes the work folder and builds
// the agent.
func (o *options) setup(ctx context.Context) error {
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil || strings.TrimSpace(string(gomod)) == "" || strings.TrimSpace(string(gomod)) == os.DevNull {
		return fmt.Errorf("run me inside the agent module (go env GOMOD: %v)", err)
	}
	o.root = filepath.Dir(strings.TrimSpace(string(gomod)))
	if o.peer == "" {
		o.peer = filepath.Join(o.root, "..", "shared", "bench", "peer.py")
	}
	if _, err := os.Stat(o.peer); err != nil {
		return fmt.Errorf("the peer: %w (set -peer)", err)
	}
	if o.work, err = os.MkdirTemp("", "agent-bench-"); err != nil {
		return err
	}
	if o.bin == "" {
		o.bin = filepath.Join(o.work, "agent")
		build := exec.CommandContext(ctx, "go", "build", "-o", o.bin, "./agent")
		build.Dir, build.Stderr = o.root, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("go build ./agent: %w", err)
		}
	}
	return nil
}

// row is one sync of one N, by both.
type row struct {
	users               int
	scenario            string
	agent, peer, inProc rig.Result
	agentOK, peerOK     bool
	expected            vendorsim.Census
}

// rateResult is the rate-limited run.
type rateResult struct {
	rate, users, page int
	run               rig.Result
	stats             vendorsim.Stats
	ok                bool
}

type results struct {
	rows []row
	rate *rateResult
}

func (o *options) bench(ctx context.Context) (*results, error) {
	sim, err := rig.StartSim(vendorsim.Config{MaxPageSize: max(o.page, o.ratePage)})
	if err != nil {
		return nil, err
	}
	defer sim.Close()
	res := &results{}
	for _, n := range o.users {
		rows, err := o.syncs(ctx, sim, n)
		if err != nil {
			return nil, fmt.Errorf("N = %d: %w", n, err)
		}
		res.rows = append(res.rows, rows...)
	}
	if o.rate > 0 {
		if res.rate, err = o.rateLimited(ctx, sim); err != nil {
			return nil, fmt.Errorf("rate-limited run: %w", err)
		}
	}
	return res, nil
}

// syncs runs the scenarios for n users: agent and peer alternating (the
// agent first, then the peer first, ...), then the in-process runs.
func (o *options) syncs(ctx context.Context, sim *rig.Sim, n int) ([]row, error) {
	in := vendorsim.Integration{PageSize: o.page}
	agent, err := rig.NewAgent(filepath.Join(o.work, fmt.Sprintf("agent-%d", n)), sim, in)
	if err != nil {
		return nil, err
	}
	peer := rig.Peer{Python: o.python, Script: o.peer, DB: filepath.Join(o.work, fmt.Sprintf("peer-%d.db", n))}
	rows := make([]row, len(rig.Scenarios))
	for i, sc := range rig.Scenarios {
		sim.Set(func(c *vendorsim.Config) { c.Users, c.RatePerSec, c.Fault = n, 0, ""; sc.Set(c) })
		r := &rows[i]
		r.users, r.scenario, r.expected = n, sc.Name, sim.Config().Census()
		runAgent := func() error {
			r.agent, err = agent.RunBinary(ctx, o.bin)
			r.agentOK = err == nil && sc.Check(r.expected, r.agent.Counts)
			log.Printf("N=%d %s: agent %s, %s peak RSS, %s (%s %s)", n, sc.Name, secs(r.agent.Wall), mb(r.agent.MaxRSS), countsText(r.agent.Counts), r.agent.Outcome, r.agent.Error)
			return err
		}
		runPeer := func() error {
			r.peer, err = peer.Run(ctx, sim, o.page)
			r.peerOK = err == nil && sc.Check(r.expected, r.peer.Counts)
			log.Printf("N=%d %s: peer %s, %s peak RSS, %s", n, sc.Name, secs(r.peer.Wall), mb(r.peer.MaxRSS), countsText(r.peer.Counts))
			return err
		}
		first, second := runAgent, runPeer
		if i%2 == 1 {
			first, second = runPeer, runAgent
		}
		if err := first(); err != nil {
			return nil, err
		}
		if err := second(); err != nil {
			return nil, err
		}
	}
	if !o.allocs {
		return rows, nil
	}
	inProc, err := rig.NewAgent(filepath.Join(o.work, fmt.Sprintf("inproc-%d", n)), sim, in)
	if err != nil {
		return nil, err
	}
	for i, sc := range rig.Scenarios {
		sim.Set(func(c *vendorsim.Config) { c.Users = n; sc.Set(c) })
		r, err := inProc.RunInProcess(ctx)
		if err != nil {
			return nil, err
		}
		rows[i].inProc = r
		log.Printf("N=%d %s: in-process %s, %.1f allocations a user", n, sc.Name, secs(r.Wall), float64(r.Allocs)/float64(n))
	}
	return rows, nil
}

// rateLimited runs the agent alone against the announced, enforced limit.
func (o *options) rateLimited(ctx context.Context, sim *rig.Sim) (*rateResult, error) {
	sim.Set(func(c *vendorsim.Config) {
		c.Users, c.RatePerSec, c.Generation, c.Churn, c.Fault = o.rateUsers, o.rate, 0, vendorsim.Churn{}, ""
	})
	a, err := rig.NewAgent(filepath.Join(o.work, "rate"), sim, vendorsim.Integration{PageSize: o.ratePage})
	if err != nil {
		return nil, err
	}
	sim.ResetStats()
	r := &rateResult{rate: o.rate, users: o.rateUsers, page: o.ratePage}
	if r.run, err = a.RunBinary(ctx, o.bin); err != nil {
		return nil, err
	}
	r.stats = sim.Stats()
	r.ok = r.run.Counts.Created == o.rateUsers
	log.Printf("rate-limited: %d pages in %s, %d refused with 429", r.stats.PagesServed, secs(r.run.Wall), r.stats.Throttled)
	return r, nil
}

// achieved is the request rate the run kept up while it fetched: the pages
// served per window of the limit (a second of the clock) it made requests
// in, from the first to the last. A perfect client fills every window.
func (r *rateResult) achieved() float64 {
	windows := r.stats.Last.Unix() - r.stats.First.Unix() + 1
	return float64(r.stats.PagesServed) / float64(windows)
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

func mb(b int64) string { return fmt.Sprintf("%.0f MB", float64(b)/1e6) }
