package main

import (
	"os"
	"strings"
	"testing"
)

// TestRunNowLogOnlyWithVerbose: run-now and deliver print their summary
// lines; the log's info lines (a notification stored, a delivery made)
// come on stderr only with --verbose, warnings and errors always.
func TestRunNowLogOnlyWithVerbose(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantLog  bool
		wantCode int
	}{
		{"run-now", []string{"run-now"}, false, exitFailed},
		{"run-now --json", []string{"run-now", "--json"}, false, exitFailed},
		{"run-now --verbose", []string{"run-now", "--verbose"}, true, exitFailed},
		{"run-now --json --verbose", []string{"run-now", "--json", "--verbose"}, true, exitFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSandbox(t)
			s.setLines(append(s.lines(), "{not json")) // the run fails: a notification is stored, and logged at info
			code, out, errs := s.agent(tt.args...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d\n%s%s", code, tt.wantCode, out, errs)
			}
			if got := strings.Contains(errs, "level=INFO") && strings.Contains(errs, "msg=notification"); got != tt.wantLog {
				t.Errorf("info log on stderr = %v, want %v:\n%s", got, tt.wantLog, errs)
			}
			if strings.Contains(out, "level=") {
				t.Errorf("stdout has log lines:\n%s", out)
			}
			if !strings.Contains(out, "ironclad-example") {
				t.Errorf("no summary on stdout:\n%s", out)
			}
		})
	}
}

// TestDeliverLogOnlyWithVerbose: the same for deliver, and for run-now's
// delivery after its run.
func TestDeliverLogOnlyWithVerbose(t *testing.T) {
	a := newTenantAgent(t, "")
	cfg, err := os.ReadFile(a.cfg)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(a.cfg, []byte(strings.Replace(string(cfg), `log_level = "error"`, `log_level = "info"`, 1)), 0o600)
	tests := []struct {
		name    string
		args    []string
		out     string
		wantLog bool
	}{
		{"run-now", []string{"run-now"}, "people -> oom: 10 sent, 0 queued", false},
		{"deliver", []string{"deliver", "--full"}, "people -> oom: 10 sent, 0 queued", false},
		{"deliver --verbose", []string{"deliver", "--full", "--verbose"}, "people -> oom: 10 sent, 0 queued", true},
		{"deliver --json", []string{"deliver", "--full", "--json"}, `"sent":10`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := a.cli(nil, tt.args...)
			if code != exitOK || !strings.Contains(out, tt.out) {
				t.Fatalf("exit %d, stdout %q; want 0 with %q\n%s", code, out, tt.out, errs)
			}
			if got := strings.Contains(errs, "level=INFO") && strings.Contains(errs, "msg=delivered"); got != tt.wantLog {
				t.Errorf("info log on stderr = %v, want %v:\n%s", got, tt.wantLog, errs)
			}
		})
	}
}
