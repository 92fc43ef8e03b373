package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/agentsync/agent/agent/store"
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

func perSec(n int, d time.Duration) string {
	return strconv.FormatFloat(float64(n)/d.Seconds(), 'f', 0, 64)
}

func mib(b int64) string {
	if b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f MB", float64(b)/(1<<20))
}

// markdown is the generated part of RESULTS.md.
func (res *results) markdown(o options) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Measured %s at %s on %s.\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"), revision(o.root), machine())
	fmt.Fprintf(&b, "Command: `go run ./bench/compare -users %s -page %d` (rate-limited run: %d users, pages of %d, %d requests/s).\n\n",
		joinInts(o.users), o.page, o.rateUsers, o.ratePage, o.rate)
	b.WriteString("| users | sync | agent | peer | agent/peer | agent users/s | peer users/s | agent peak RSS | peer peak RSS | agent store | peer store | allocs/user | bytes/user | counts |\n")
	b.WriteString("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n")
	for _, r := range res.rows {
		allocs, bytes := "–", "–"
		if r.inProc.Wall > 0 {
			allocs = fmt.Sprintf("%.1f", float64(r.inProc.Allocs)/float64(r.expected.Listed))
			bytes = fmt.Sprintf("%.0f", float64(r.inProc.AllocBytes)/float64(r.expected.Listed))
		}
		check := "as expected"
		if !r.agentOK || !r.peerOK {
			check = fmt.Sprintf("**agent: %s; peer: %s**", countsText(r.agent.Counts), countsText(r.peer.Counts))
		}
		fmt.Fprintf(&b, "| %d | %s | %.2f s | %.2f s | **%.2f** | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			r.users, r.scenario, r.agent.Wall.Seconds(), r.peer.Wall.Seconds(), ratio(r.agent.Wall, r.peer.Wall),
			perSec(r.expected.Listed, r.agent.Wall), perSec(r.expected.Listed, r.peer.Wall),
			mib(r.agent.MaxRSS), mib(r.peer.MaxRSS), mib(r.agent.StoreBytes), mib(r.peer.StoreBytes), allocs, bytes, check)
	}
	b.WriteString("\nTimes are each process's wall time, start to exit (token, every page, the store, the report). Peak RSS is the child's rusage maxrss. ")
	b.WriteString("Store: the SQLite file with its WAL after the sync. Allocations: the same sync run in-process on its own store (runtime/metrics; the loopback simulator's share, about one allocation per page, included).\n")
	if r := res.rate; r != nil {
		fmt.Fprintf(&b, "\nRate-limited run (agent only: the peer does not handle 429): %d users in pages of %d, %d requests/s announced (X-RateLimit-*, RateLimit-*) and enforced per clock second. "+
			"%d pages in %d clock seconds (windows) of fetching: **%.1f requests/s, %.0f%% of the allowed rate**, **%d answered 429**; outcome %s, %s.\n",
			r.users, r.page, r.rate, r.stats.PagesServed, r.stats.Last.Unix()-r.stats.First.Unix()+1, r.achieved(), 100*r.achieved()/float64(r.rate),
			r.stats.Throttled, r.run.Outcome, countsText(r.run.Counts))
	}
	b.WriteString("\n" + res.targets())
	return b.String()
}

// targets checks issue 7's bars at the largest N measured.
func (res *results) targets() string {
	if len(res.rows) == 0 {
		return ""
	}
	top := res.rows[len(res.rows)-1].users
	var b strings.Builder
	fmt.Fprintf(&b, "Targets (issue 7) at %d users:\n\n| target | measured | |\n| --- | --- | --- |\n", top)
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "**not met**"
	}
	bars := map[string]float64{"first sync": 1.0, "no-change resync": 0.5, "1% churn resync": 1.0}
	var peak, low, high int64
	for _, r := range res.rows {
		peak = max(peak, r.agent.MaxRSS)
		if r.users == top {
			high = max(high, r.agent.MaxRSS)
			if bar, ok := bars[r.scenario]; ok {
				q := ratio(r.agent.Wall, r.peer.Wall)
				fmt.Fprintf(&b, "| %s: agent/peer ≤ %.1f | %.2f | %s |\n", r.scenario, bar, q, verdict(q <= bar))
			}
		}
		if r.users == res.rows[0].users {
			low = max(low, r.agent.MaxRSS)
		}
	}
	fmt.Fprintf(&b, "| peak RSS ≤ 100 MB | %s | %s |\n", mib(peak), verdict(peak <= 100<<20))
	if top != res.rows[0].users && low > 0 {
		f := float64(high) / float64(low)
		fmt.Fprintf(&b, "| peak RSS flat in N | %s at %d, %s at %d (×%.2f for ×%d users) | %s |\n",
			mib(low), res.rows[0].users, mib(high), top, f, top/res.rows[0].users, verdict(f <= 1.5))
	}
	if r := res.rate; r != nil {
		pct := 100 * r.achieved() / float64(r.rate)
		fmt.Fprintf(&b, "| rate-limited: ≥ 90%% of the allowed rate, a handful of 429s at most, completes | %.0f%%, %d × 429, %s | %s |\n",
			pct, r.stats.Throttled, r.run.Outcome, verdict(pct >= 90 && r.stats.Throttled <= 5 && r.run.Outcome == store.OutcomeSuccess && r.ok))
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
