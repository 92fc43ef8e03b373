package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/bench/rig"
)

// The markers of the generated part of RESULTS.md; the rest of the file
// (analysis, plans) is kept as written.
const (
	beginMark = "<!-- bench/compare: begin (generated; edit outside the markers) -->"
	endMark   = "<!-- bench/compare: end -->"
)

func countsText(c store.Counts) string {
	return fmt.Sprintf("fetched %d, created %d, updated %d, unchanged %d, deactivated %d", c.Fetched, c.Created, c.Updated, c.Unchanged, c.Deactivated)
}

func ratio(a, b time.Duration) float64 { return a.Seconds() / b.Seconds() }

func mib(b int64) string {
	if b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20))
}

func storeRatio(r row) float64 { return float64(r.agent.StoreBytes) / float64(r.peer.StoreBytes) }

// markdown is the generated part of RESULTS.md.
func (res *results) markdown(o options) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Measured %s at %s on %s. Load average (1, 5, 15 min) at the start: %s; at the end: %s.\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), revision(o.root), machine(), res.loadStart, res.loadEnd)
	fmt.Fprintf(&b, "Command: `go run ./bench/compare -users %s -page %d -repeat %d` (rate-limited run: %d users, pages of %d, %d requests/s).\n\n",
		joinInts(o.users), o.page, o.repeat, o.rateUsers, o.ratePage, o.rate)
	b.WriteString("| users | run | sync | load | agent | floor | peer | agent/floor | agent/peer | agent CPU | floor CPU | peer CPU | agent CPU/peer CPU | agent peak RSS | peer peak RSS | agent store | peer store | store ratio | counts |\n")
	b.WriteString("| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n")
	for _, r := range res.rows {
		check := "as expected"
		if !r.agentOK || !r.floorOK || !r.peerOK {
			check = fmt.Sprintf("**agent: %s; floor: fetched %d; peer: %s**", countsText(r.agent.Counts), r.floor.Counts.Fetched, countsText(r.peer.Counts))
		}
		fmt.Fprintf(&b, "| %d | %d | %s | %.2f | %.2f s | %.2f s | %.2f s | **%.2f** | %.2f | %.2f s | %.2f s | %.2f s | **%.2f** | %s | %s | %s | %s | **%.2f** | %s |\n",
			r.users, r.run, r.scenario, r.load, r.agent.Wall.Seconds(), r.floor.Wall.Seconds(), r.peer.Wall.Seconds(),
			ratio(r.agent.Wall, r.floor.Wall), ratio(r.agent.Wall, r.peer.Wall),
			r.agent.CPU.Seconds(), r.floor.CPU.Seconds(), r.peer.CPU.Seconds(), ratio(r.agent.CPU, r.peer.CPU),
			mib(r.agent.MaxRSS), mib(r.peer.MaxRSS), mib(r.agent.StoreBytes), mib(r.peer.StoreBytes), storeRatio(r), check)
	}
	b.WriteString("\nEvery sync runs on a source with 1% of the users inactive (vendorsim generation 1, `Churn.Inactive` 1%): the agent's active rule stores them inactive from the first sync on, so the no-change resync runs on a store with 1% inactive; the peer has no active rule and stores them active. ")
	b.WriteString("The floor (`bench/floor`) is the same fetch with no store: the token, then one page after the other (not pipelined: fetch, decode, next), each body decoded by `encoding/json` into a `map[string]any` and dropped; it has no store, so each scenario's floor is the same work, run in that scenario's slot. ")
	b.WriteString("In each slot the three take turns, the order rotating from slot to slot (agent, floor, peer; floor, peer, agent; peer, agent, floor). ")
	b.WriteString("Times are each process's wall time, start to exit (token, every page, the store, the report). CPU is the child's user + system time (rusage); the simulator runs in the bench's process and is in nobody's CPU. Peak RSS is the child's rusage maxrss. ")
	b.WriteString("Store: the SQLite file with its WAL after the sync. Load: the 1-minute load average when the slot began. ")
	b.WriteString("Counts are checked against the simulator's census (the peer deactivates every removed user; the agent does not count the ones it already held inactive).\n")
	if r := res.rate; r != nil {
		fmt.Fprintf(&b, "\nRate-limited run (agent only: the peer does not handle 429): %d users in pages of %d, %d requests/s announced (X-RateLimit-*, RateLimit-*) and enforced per clock second. "+
			"%d pages in %d clock seconds (windows) of fetching: **%.1f requests/s, %.0f%% of the allowed rate**, **%d answered 429**; outcome %s, %s.\n",
			r.users, r.page, r.rate, r.stats.PagesServed, r.stats.Last.Unix()-r.stats.First.Unix()+1, r.achieved(), 100*r.achieved()/float64(r.rate),
			r.stats.Throttled, r.run.Outcome, countsText(r.run.Counts))
	}
	b.WriteString("\n" + res.targets())
	return b.String()
}

// target is one of issue 15's bars: a value per run of the loop (lower is
// better), met when every run's is at most the bar.
type target struct {
	name   string
	bar    float64
	values []float64
	format func(float64) string
}

func (t target) line() string {
	v := slices.Clone(t.values)
	slices.Sort(v)
	med, worst := v[len(v)/2], v[len(v)-1]
	if len(v)%2 == 0 {
		med = (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	met := 0
	for _, x := range v {
		if x <= t.bar {
			met++
		}
	}
	verdict := "met"
	if met < len(v) {
		verdict = "**missed**"
	}
	return fmt.Sprintf("| %s | %s | %s | %s, in %d of %d runs |\n", t.name, t.format(med), t.format(worst), verdict, met, len(v))
}

// targets checks issue 15's bars at the largest N measured, in every run.
func (res *results) targets() string {
	if len(res.rows) == 0 {
		return ""
	}
	low, top := res.rows[0].users, res.rows[0].users
	runs := 0
	for _, r := range res.rows {
		low, top, runs = min(low, r.users), max(top, r.users), max(runs, r.run)
	}
	x := func(v float64) string { return fmt.Sprintf("×%.2f", v) }
	walls := map[string]*target{
		"first sync":       {name: "first sync: agent/floor ≤ 2.0", bar: 2.0, format: x},
		"no-change resync": {name: "no-change resync (1% inactive): agent/floor ≤ 1.25", bar: 1.25, format: x},
		"1% churn resync":  {name: "1% churn resync: agent/floor ≤ 2.0", bar: 2.0, format: x},
	}
	cpu := &target{name: "agent CPU ≤ peer CPU, every sync (the highest agent CPU/peer CPU of a run)", bar: 1.0, format: x}
	rss := &target{name: "agent peak RSS ≤ 64 MB (10⁶ bytes; the highest of a run, every N)", bar: 64, format: func(v float64) string { return fmt.Sprintf("%.1f MB", v) }}
	flat := &target{name: fmt.Sprintf("agent peak RSS flat from %d to %d users (×1.5 at most)", low, top), bar: 1.5, format: x}
	size := &target{name: "agent store ≤ 1.5× the peer's (the highest ratio of a run)", bar: 1.5, format: x}
	for run := 1; run <= runs; run++ {
		var maxCPU, maxSize float64
		var peakAll, peakLow, peakTop int64
		for _, r := range res.rows {
			if r.run != run {
				continue
			}
			peakAll = max(peakAll, r.agent.MaxRSS)
			if r.users == low {
				peakLow = max(peakLow, r.agent.MaxRSS)
			}
			if r.users != top {
				continue
			}
			peakTop = max(peakTop, r.agent.MaxRSS)
			if t := walls[r.scenario]; t != nil {
				t.values = append(t.values, ratio(r.agent.Wall, r.floor.Wall))
			}
			maxCPU, maxSize = max(maxCPU, ratio(r.agent.CPU, r.peer.CPU)), max(maxSize, storeRatio(r))
		}
		cpu.values, size.values = append(cpu.values, maxCPU), append(size.values, maxSize)
		rss.values = append(rss.values, float64(peakAll)/1e6)
		if peakLow > 0 {
			flat.values = append(flat.values, float64(peakTop)/float64(peakLow))
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Targets (issue 15) at %d users, pages of %d, over %d run(s) of the whole loop:\n\n| target | median | worst | |\n| --- | ---: | ---: | --- |\n", top, res.page, runs)
	for _, sc := range rig.Scenarios {
		if t := walls[sc.Name]; t != nil && len(t.values) > 0 {
			b.WriteString(t.line())
		}
	}
	b.WriteString(cpu.line())
	b.WriteString(rss.line())
	if low != top && len(flat.values) > 0 {
		b.WriteString(flat.line())
	}
	b.WriteString(size.line())
	if r := res.rate; r != nil {
		pct := 100 * r.achieved() / float64(r.rate)
		ok := pct >= 90 && r.stats.Throttled <= 5 && r.run.Outcome == store.OutcomeSuccess && r.ok
		verdict := "met"
		if !ok {
			verdict = "**missed**"
		}
		fmt.Fprintf(&b, "| rate-limited (issue 7): ≥ 90%% of the allowed rate, a handful of 429s at most, completes | %.0f%%, %d × 429, %s | | %s |\n",
			pct, r.stats.Throttled, r.run.Outcome, verdict)
	}
	return b.String()
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}

// revision names the commit the agent was built from, and says when the
// working tree differs from it.
func revision(root string) string {
	out, err := exec.Command("git", "-C", root, "describe", "--always", "--dirty=+uncommitted changes").Output()
	if err != nil {
		return "an unknown revision"
	}
	return "commit " + strings.TrimSpace(string(out))
}

// machine describes where the bench ran.
func machine() string {
	cpu, mem := "unknown CPU", "unknown memory"
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "MemTotal:"); ok {
				if kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB"))); err == nil {
					mem = fmt.Sprintf("%.1f GiB RAM", float64(kb)/(1<<20))
				}
			}
		}
	}
	py := "python3"
	if out, err := exec.Command("python3", "--version").Output(); err == nil {
		py = strings.TrimSpace(string(out))
	}
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	return fmt.Sprintf("%d CPUs (nproc), %s, %s, %s/%s %s, %s, %s", runtime.NumCPU(), cpu, mem,
		runtime.GOOS, runtime.GOARCH, strings.TrimSpace(string(kernel)), runtime.Version(), py)
}

// updateResults puts text between the markers of the results file,
// creating it (with the markers) when needed.
func updateResults(path, text string) error {
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	s := string(old)
	i, j := strings.Index(s, beginMark), strings.Index(s, endMark)
	block := beginMark + "\n" + text + endMark
	switch {
	case i >= 0 && j > i:
		s = s[:i] + block + s[j+len(endMark):]
	default:
		s = "# Bench results\n\n" + block + "\n" + s
	}
	return os.WriteFile(path, []byte(s), 0o644)
}
