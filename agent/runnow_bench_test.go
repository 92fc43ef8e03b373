package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"testing"
	"time"
)

// BenchmarkRunNow50: `run-now` of 50 file integrations of 2,000 users
// each (a first sync, on a fresh store each time), one at a time
// (max_parallel_runs = 1) and in parallel (the default, 4). It reports
// both wall times and their ratio (parallel/sequential), and for each
// the CPU time (user+sys, getrusage) and the cores in use (CPU/wall):
// parallel wall cannot go below parallel CPU / GOMAXPROCS whatever the
// locking, so "par/seq-min" is the ratio's floor on this machine. The
// runs carry the profiler label run-now=seq or par, to split a
// -cpuprofile with pprof -tagfocus (GC workers carry none):
//
//	go test -run '^$' -bench RunNow50 -benchtime 3x ./agent
func BenchmarkRunNow50(b *testing.B) {
	const integrations, users = 50, 2000
	names := make([]string, integrations)
	counts := make([]int, integrations)
	for i := range names {
		names[i], counts[i] = fmt.Sprintf("app%02d", i), users
	}
	cfgs := map[int]string{}
	for _, parallel := range []int{1, 4} {
		dir := filepath.Join(b.TempDir(), fmt.Sprint(parallel))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.Fatal(err)
		}
		cfgs[parallel] = writeFleet(b, dir, names, counts, parallel)
	}
	cpuOK := true
	runNow := func(label, cfg string) (wall, cpu time.Duration) {
		b.StopTimer()
		if err := os.RemoveAll(filepath.Join(filepath.Dir(cfg), "data")); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		var out strings.Builder
		cpu0, ok0 := cpuTime()
		start := time.Now()
		var code int
		pprof.Do(context.Background(), pprof.Labels("run-now", label), func(ctx context.Context) {
			code = run(ctx, []string{"--config", cfg, "run-now"}, strings.NewReader(""), &out, io.Discard)
		})
		wall = time.Since(start)
		cpu1, ok1 := cpuTime()
		cpuOK = cpuOK && ok0 && ok1
		if code != exitOK || strings.Count(out.String(), ": success in ") != integrations {
			b.Fatalf("run-now: exit %d\n%s", code, out.String())
		}
		return wall, cpu1 - cpu0
	}
	var seq, par, seqCPU, parCPU time.Duration
	for b.Loop() {
		w, c := runNow("seq", cfgs[1])
		seq, seqCPU = seq+w, seqCPU+c
		w, c = runNow("par", cfgs[4])
		par, parCPU = par+w, parCPU+c
	}
	n := float64(b.N)
	b.ReportMetric(seq.Seconds()/n, "seq-s/op")
	b.ReportMetric(par.Seconds()/n, "par-s/op")
	b.ReportMetric(par.Seconds()/seq.Seconds(), "par/seq")
	if cpuOK {
		b.ReportMetric(seqCPU.Seconds()/n, "seq-cpu-s/op")
		b.ReportMetric(parCPU.Seconds()/n, "par-cpu-s/op")
		b.ReportMetric(seqCPU.Seconds()/seq.Seconds(), "seq-cores")
		b.ReportMetric(parCPU.Seconds()/par.Seconds(), "par-cores")
		b.ReportMetric(parCPU.Seconds()/float64(runtime.GOMAXPROCS(0))/seq.Seconds(), "par/seq-min")
	}
}
