package config

import "testing"

func TestMaxParallelRuns(t *testing.T) {
	cfg, err := Parse("config.toml", []byte("[agent]\nmax_parallel_runs = 8\n"))
	if err != nil || cfg.Agent.MaxParallelRuns != 8 {
		t.Fatalf("max_parallel_runs = 8: %+v, %v", cfg, err)
	}
	_, err = Parse("config.toml", []byte("[agent]\nmax_parallel_runs = 0\n"))
	if want := "config.toml:2:1: agent.max_parallel_runs 0 must be between 1 and 64"; err == nil || err.Error() != want {
		t.Fatalf("max_parallel_runs = 0: %v, want %s", err, want)
	}
}
