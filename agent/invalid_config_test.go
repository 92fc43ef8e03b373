package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentsync/agent/agent/notify"
	"github.com/agentsync/agent/agent/store"
)

// TestStatusDespiteInvalidConfig: while the config is invalid, status and
// notifications still exit 2 and print the problems first, then what the
// store holds, so the inbox's "config edit rejected" can be read.
func TestStatusDespiteInvalidConfig(t *testing.T) {
	s := newSandbox(t)
	if code, _ := s.runNow(); code != exitOK {
		t.Fatalf("run-now: exit %d", code)
	}
	good, err := os.ReadFile(s.cfg)
	if err != nil {
		t.Fatal(err)
	}
	// What the service does on a bad edit: the message goes to the inbox.
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(s.dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddNotification(ctx, store.Notification{Event: notify.EventConfigInvalid, Subject: "agent: config edit rejected",
		Body: "The service re-read config.toml and found problems", EmailStatus: store.EmailNone}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	s.write(s.cfg, strings.Replace(string(good), `schedule = "daily 23:00"`, `schedule = "daily 7pm"`, 1))

	tests := []struct {
		name      string
		args      []string
		stdout    []string
		stdoutNot string
	}{
		{"status", []string{"status"}, []string{"INTEGRATION       LAST RUN          OUTCOME  ERROR\nironclad-example  ", "  success  -\n", "[config_invalid] agent: config edit rejected", "agent notifications shows them whole"}, ""},
		{"status --json", []string{"status", "--json"}, []string{`"integration":"ironclad-example"`, `"state":"unknown"`, `"outcome":"success"`}, "config edit rejected"},
		{"notifications", []string{"notifications"}, []string{"[config_invalid] agent: config edit rejected", "found problems"}, ""},
		{"notifications --json", []string{"notifications", "--json"}, []string{`"event":"config_invalid"`}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := s.agent(tt.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want 2", code)
			}
			if !strings.HasPrefix(errs, s.cfg+":") || !strings.Contains(errs, `schedule "daily 7pm"`) ||
				!strings.Contains(errs, "is invalid (above); below is what the store in "+filepath.Join(s.dir, "data")+" holds") {
				t.Errorf("stderr does not begin with the config's problems, then say whose store follows:\n%s", errs)
			}
			for _, want := range tt.stdout {
				if !strings.Contains(out, want) {
					t.Errorf("stdout has no %q:\n%s", want, out)
				}
			}
			if tt.stdoutNot != "" && strings.Contains(out, tt.stdoutNot) {
				t.Errorf("stdout has %q:\n%s", tt.stdoutNot, out)
			}
		})
	}

	// A data_dir with no store: the problems, and that nothing can be read.
	s.write(s.cfg, strings.Replace(strings.Replace(string(good), `data_dir = "data"`, `data_dir = "elsewhere"`, 1), `schedule = "daily 23:00"`, `schedule = "daily 7pm"`, 1))
	code, out, errs := s.agent("status")
	if code != exitUsage || !strings.Contains(errs, `schedule "daily 7pm"`) || strings.Contains(out, "ironclad") {
		t.Errorf("empty data_dir: exit %d\n%s\n%s", code, out, errs)
	}
}
