package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// BenchmarkRunNow50: `run-now` of 50 file integrations of 2,000 users
// each (a first sync, on a fresh store each time), one at a time
// (max_parallel_runs = 1) and in parallel (the default, 4). It reports
// both wall times and their ratio (parallel/sequential):
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
	runNow := func(cfg string) time.Duration {
		b.StopTimer()
		if err := os.RemoveAll(filepath.Join(filepath.Dir(cfg), "data")); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		var out strings.Builder
		start := time.Now()
		code := run(context.Background(), []string{"--config", cfg, "run-now"}, strings.NewReader(""), &out, io.Discard)
		took := time.Since(start)
		if code != exitOK || strings.Count(out.String(), ": success in ") != integrations {
			b.Fatalf("run-now: exit %d\n%s", code, out.String())
		}
		return took
	}
	var seq, par time.Duration
	for b.Loop() {
		seq += runNow(cfgs[1])
		par += runNow(cfgs[4])
	}
	n := float64(b.N)
	b.ReportMetric(seq.Seconds()/n, "seq-s/op")
	b.ReportMetric(par.Seconds()/n, "par-s/op")
	b.ReportMetric(par.Seconds()/seq.Seconds(), "par/seq")
}
