package rig_test

import (
	"context"
	"flag"
	"fmt"
	"runtime/pprof"
	"testing"

	"github.com/agentsync/agent/bench/rig"
	"github.com/agentsync/agent/internal/vendorsim"
)

var users = flag.Int("users", 100_000, "users the benchmarks sync")

// BenchmarkSync runs the bench's syncs (rig.Scenarios) in-process, the
// way run-now does, against a loopback vendorsim with pages of 1,000;
// each timed sync follows the earlier scenarios on a fresh store (the last,
// rig.AfterChurn, a no-change resync with 1% of the store inactive):
//
//	go test -run '^$' -bench Sync -benchtime 1x ./bench/rig [-args -users 1000000]
//	go test -run '^$' -bench Sync/nochange -benchtime 1x -cpuprofile cpu.out ./bench/rig
//	go tool pprof -top -cum -tagfocus scenario=nochange cpu.out
func BenchmarkSync(b *testing.B) {
	n := *users
	sim, err := rig.StartSim(vendorsim.Config{Users: n})
	if err != nil {
		b.Fatal(err)
	}
	defer sim.Close()
	ctx := context.Background()
	scenarios := append(rig.Scenarios[:len(rig.Scenarios):len(rig.Scenarios)], rig.AfterChurn)
	for i, sc := range scenarios {
		b.Run(sc.Key, func(b *testing.B) {
			var allocs, bytes, fetched int64
			b.StopTimer()
			for k := 0; k < b.N; k++ {
				a, err := rig.NewAgent(fmt.Sprintf("%s/%d", b.TempDir(), k), sim, vendorsim.Integration{})
				if err != nil {
					b.Fatal(err)
				}
				for _, prev := range scenarios[:i+1] {
					sim.Set(func(c *vendorsim.Config) { prev.Set(c) })
					timed := prev.Name == sc.Name
					if timed {
						b.StartTimer()
					}
					var r rig.Result
					var err error
					// Labelled, so that a profile can single a scenario out:
					// go tool pprof -tagfocus scenario=nochange cpu.out
					pprof.Do(ctx, pprof.Labels("scenario", prev.Key), func(ctx context.Context) { r, err = a.RunInProcess(ctx) })
					if timed {
						b.StopTimer()
						allocs, bytes, fetched = allocs+r.Allocs, bytes+r.AllocBytes, fetched+int64(r.Counts.Fetched)
					}
					if err != nil || !prev.Check(sim.Config(), false, r.Counts) {
						b.Fatalf("%s: %v %s %s %+v", prev.Name, err, r.Outcome, r.Error, r.Counts)
					}
				}
			}
			b.ReportMetric(float64(fetched)/b.Elapsed().Seconds(), "users/s")
			b.ReportMetric(float64(allocs)/float64(fetched), "allocs/user")
			b.ReportMetric(float64(bytes)/float64(fetched), "B/user")
		})
	}
}
