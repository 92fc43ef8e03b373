package main

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/agentsync/agent/agent/config"
	"github.com/agentsync/agent/agent/engine"
	"github.com/agentsync/agent/agent/runner"
	"github.com/agentsync/agent/internal/plural"
)

// runOptions are how run-now runs its integrations.
type runOptions struct {
	dryRun   bool
	parallel int  // runs at once ([agent] max_parallel_runs); <= 0: config.DefaultMaxParallel
	progress bool // a progress line on stderr (a terminal)
	stderr   io.Writer
}

// runAll runs the named integrations, up to opt.parallel at once, each
// under its own lock (the runner's), as the service's scheduler does. A
// roster across applications (application_from) starts once the
// application catalogues among the names have run, since it resolves its
// applications through them. It
// hands each report to done in the order of names, from the calling
// goroutine, as soon as the runs before it have been handed: what done
// prints is whole and never interleaved. runAll returns when every run
// has been handed.
func runAll(ctx context.Context, r *runner.Runner, names []string, opt runOptions, done func(name string, rep engine.Report, err error)) {
	n := opt.parallel
	if n <= 0 {
		n = config.DefaultMaxParallel
	}
	var prog *progress
	if opt.progress {
		prog = &progress{w: opt.stderr, total: len(names), single: n == 1 || len(names) == 1, fetched: map[string]engine.Progress{}}
	}
	type result struct {
		i   int
		rep engine.Report
		err error
	}
	finished := make(chan result)
	sem := make(chan struct{}, n)
	var catalogues sync.WaitGroup
	first, then := waves(r.Config, names)
	go func() {
		for _, i := range append(first, then...) {
			name := names[i]
			if len(then) > 0 && i == then[0] {
				catalogues.Wait()
			}
			catalogue := isCatalogue(r.Config, name)
			if catalogue {
				catalogues.Add(1)
			}
			sem <- struct{}{}
			go func() {
				o := engine.Options{Trigger: engine.TriggerManual, DryRun: opt.dryRun}
				if prog != nil {
					o.Progress = prog.start(name)
				}
				rep, err := r.Run(ctx, name, o)
				if prog != nil {
					prog.end(name)
				}
				if catalogue {
					catalogues.Done()
				}
				<-sem
				finished <- result{i, rep, err}
			}()
		}
	}()
	got := make([]*result, len(names))
	next := 0
	for range names {
		res := <-finished
		got[res.i] = &res
		for ; next < len(names) && got[next] != nil; next++ {
			res := got[next]
			if prog == nil {
				done(names[next], res.rep, res.err)
				continue
			}
			prog.pause(func() { done(names[next], res.rep, res.err) })
		}
	}
}

// waves splits the names' indexes into those that start at once and the
// rosters across applications, which wait for the catalogues (when there
// is one among the names).
func waves(cfg *config.Config, names []string) (first, then []int) {
	hasCatalogue := false
	for _, name := range names {
		hasCatalogue = hasCatalogue || isCatalogue(cfg, name)
	}
	for i, name := range names {
		in, ok := cfg.Integration(name)
		if hasCatalogue && ok && in.ApplicationFrom != "" {
			then = append(then, i)
			continue
		}
		first = append(first, i)
	}
	return first, then
}

func isCatalogue(cfg *config.Config, name string) bool {
	in, ok := cfg.Integration(name)
	return ok && in.Mode == config.ModeApplications
}

// progress is run-now's one terminal line: with one run going on, its
// pages and users (rewritten per page); with several, how many run, how
// many are done and the users fetched by all.
type progress struct {
	w      io.Writer
	total  int
	single bool // one run at a time: the line is that run's

	mu      sync.Mutex
	fetched map[string]engine.Progress // per integration, running or done
	running []string                   // in the order they started
	done    int
	shown   bool
}

// start is a run's beginning; it returns the run's engine.Options.Progress.
func (p *progress) start(name string) func(engine.Progress) {
	p.mu.Lock()
	p.running = append(p.running, name)
	p.mu.Unlock()
	return func(pr engine.Progress) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.fetched[name] = pr
		p.draw()
	}
}

// end is a run's end: the line no longer shows it.
func (p *progress) end(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, n := range p.running {
		if n == name {
			p.running = append(p.running[:i], p.running[i+1:]...)
			break
		}
	}
	p.done++
	p.clear()
}

// pause clears the line and runs print with the line held: nothing is
// drawn until print has written. The next page draws the line again.
func (p *progress) pause(print func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
	print()
}

// draw rewrites the line; the caller holds mu.
func (p *progress) draw() {
	if len(p.running) == 0 {
		return
	}
	if p.single {
		name := p.running[0]
		pr := p.fetched[name]
		fmt.Fprintf(p.w, "\r\033[K%s: page %d, %s fetched", name, pr.Pages, plural.Count(pr.Fetched, "user", "users"))
		p.shown = true
		return
	}
	all := 0
	for _, pr := range p.fetched {
		all += pr.Fetched
	}
	fmt.Fprintf(p.w, "\r\033[K%d running, %d of %d done: %s fetched", len(p.running), p.done, p.total, plural.Count(all, "user", "users"))
	p.shown = true
}

// clear erases the line; the caller holds mu.
func (p *progress) clear() {
	if p.shown {
		fmt.Fprint(p.w, "\r\033[K")
		p.shown = false
	}
}
