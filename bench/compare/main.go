// Command compare benches the agent against the floor (bench/floor: fetch
// and decode every page, no store) and the plain-Python peer
// (../shared/bench/peer.py) on one loopback vendorsim: for each N, a first
// sync (all creates), a no-change resync and a resync with 1% changed, 1%
// removed and 1% added, 1% of the users inactive throughout
// (rig.Scenarios), the agent (the built binary, `run-now --json` on a
// vendor = "rest" integration with the peer's mapping, its credential in
// the file keyring), the floor and the peer taking turns; then the agent
// alone against a rate-limited simulator. Each is its own process,
// measured from outside (wall, user+sys CPU, peak RSS). It prints a table
// and writes it into bench/RESULTS.md between the bench markers:
//
//	go run ./bench/compare                      # N = 100,000 and 1,000,000
//	go run ./bench/compare -users 1000000 -page 1000
//	go run ./bench/compare -repeat 3            # the whole loop three times: median and worst
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

	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/bench/rig"
	"github.com/agentsync/agent/internal/vendorsim"
)

type options struct {
	users      []int
	page       int
	python     string
	peer       string
	bin        string
	floor      string
	repeat     int
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
	flag.StringVar(&o.floor, "floor", "", "a floor binary (default: go build ./bench/floor)")
	flag.IntVar(&o.repeat, "repeat", 1, "run the whole alternating loop this many times (fresh stores each time)")
	flag.IntVar(&o.rate, "rate", 20, "the rate-limited run: requests per second announced and enforced (0: skip)")
	flag.IntVar(&o.rateUsers, "rate-users", 10_000, "the rate-limited run: users")
	flag.IntVar(&o.ratePage, "rate-page", 100, "the rate-limited run: page size")
	flag.StringVar(&o.out, "out", "bench/RESULTS.md", "results file to update, relative to the module (\"\": none)")
	flag.BoolVar(&o.keep, "keep", false, "keep the work folder (stores, configs)")
	flag.Parse()
	if o.repeat < 1 {
		log.Fatal("-repeat: at least 1")
	}
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
	for _, b := range []struct {
		bin *string
		pkg string
	}{{&o.bin, "./agent"}, {&o.floor, "./bench/floor"}} {
		if *b.bin != "" {
			continue
		}
		*b.bin = filepath.Join(o.work, filepath.Base(b.pkg))
		build := exec.CommandContext(ctx, "go", "build", "-o", *b.bin, b.pkg)
		build.Dir, build.Stderr = o.root, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("go build %s: %w", b.pkg, err)
		}
	}
	return nil
}

// row is one sync of one N in one run of the loop, by all three.
type row struct {
	users, run               int
	scenario                 string
	load                     float64 // 1-minute load average when the slot began
	agent, floor, peer       rig.Result
	agentOK, floorOK, peerOK bool
	wantAgent, wantPeer      store.Counts
}

// rateResult is the rate-limited run.
type rateResult struct {
	rate, users, page int
	run               rig.Result
	stats             vendorsim.Stats
	ok                bool
}

type results struct {
	rows               []row
	loadStart, loadEnd string
	page               int
	rate               *rateResult
}

func (o *options) bench(ctx context.Context) (*results, error) {
	sim, err := rig.StartSim(vendorsim.Config{MaxPageSize: max(o.page, o.ratePage)})
	if err != nil {
		return nil, err
	}
	defer sim.Close()
	res := &results{loadStart: loadavg(), page: o.page}
	slot := 0
	for run := 1; run <= o.repeat; run++ {
		for _, n := range o.users {
			rows, err := o.syncs(ctx, sim, n, run, &slot)
			if err != nil {
				return nil, fmt.Errorf("N = %d, run %d: %w", n, run, err)
			}
			res.rows = append(res.rows, rows...)
		}
	}
	if o.rate > 0 {
		if res.rate, err = o.rateLimited(ctx, sim); err != nil {
			return nil, fmt.Errorf("rate-limited run: %w", err)
		}
	}
	res.loadEnd = loadavg()
	return res, nil
}

// syncs runs the scenarios for n users on fresh stores, the agent, the
// floor and the peer taking turns: the order rotates at every slot
// (agent, floor, peer; then floor, peer, agent; ...), so that a drift in
// the machine's load hits all three.
func (o *options) syncs(ctx context.Context, sim *rig.Sim, n, run int, slot *int) ([]row, error) {
	in := vendorsim.Integration{PageSize: o.page}
	dir := filepath.Join(o.work, fmt.Sprintf("agent-%d-%d", n, run))
	agent, err := rig.NewAgent(dir, sim, in)
	if err != nil {
		return nil, err
	}
	peer := rig.Peer{Python: o.python, Script: o.peer, DB: filepath.Join(o.work, fmt.Sprintf("peer-%d-%d.db", n, run))}
	if !o.keep {
		defer os.RemoveAll(dir)
		defer removeDB(peer.DB)
	}
	floor := rig.Floor{Bin: o.floor}
	rows := make([]row, len(rig.Scenarios))
	for i, sc := range rig.Scenarios {
		sim.Set(func(c *vendorsim.Config) { c.Users, c.RatePerSec, c.Fault = n, 0, ""; sc.Set(c) })
		cfg := sim.Config()
		r := &rows[i]
		r.users, r.run, r.scenario = n, run, sc.Name
		r.wantAgent, r.wantPeer = sc.Want(cfg, false), sc.Want(cfg, true)
		r.load = load1()
		log.Printf("N=%d run %d %s: load %s", n, run, sc.Name, loadavg())
		runners := []func() error{
			func() error {
				r.agent, err = agent.RunBinary(ctx, o.bin)
				r.agentOK = err == nil && r.agent.Counts == r.wantAgent
				log.Printf("N=%d %s: agent %s, CPU %s, %s peak RSS, %s (%s %s)", n, sc.Name, secs(r.agent.Wall), secs(r.agent.CPU), mb(r.agent.MaxRSS), countsText(r.agent.Counts), r.agent.Outcome, r.agent.Error)
				return err
			},
			func() error {
				r.floor, err = floor.Run(ctx, sim, o.page)
				r.floorOK = err == nil && r.floor.Counts.Fetched == r.wantAgent.Fetched
				log.Printf("N=%d %s: floor %s, CPU %s, %s peak RSS, fetched %d", n, sc.Name, secs(r.floor.Wall), secs(r.floor.CPU), mb(r.floor.MaxRSS), r.floor.Counts.Fetched)
				return err
			},
			func() error {
				r.peer, err = peer.Run(ctx, sim, o.page)
				r.peerOK = err == nil && r.peer.Counts == r.wantPeer
				log.Printf("N=%d %s: peer %s, CPU %s, %s peak RSS, %s", n, sc.Name, secs(r.peer.Wall), secs(r.peer.CPU), mb(r.peer.MaxRSS), countsText(r.peer.Counts))
				return err
			},
		}
		for k := range runners {
			if err := runners[(*slot+k)%len(runners)](); err != nil {
				return nil, err
			}
		}
		*slot++
	}
	return rows, nil
}

// removeDB removes an SQLite database with its -wal and -shm.
func removeDB(db string) {
	for _, p := range []string{db, db + "-wal", db + "-shm"} {
		os.Remove(p)
	}
}

// loadavg is the machine's load averages (1, 5, 15 minutes), as uptime
// prints them.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], ", ")
}

// load1 is the 1-minute load average (-1 when unknown).
func load1() float64 {
	s, _, _ := strings.Cut(loadavg(), ",")
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return -1
	}
	return v
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
