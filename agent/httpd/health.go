package httpd

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/agentsync/agent/agent/runner"
)

// readyTimeout bounds the store reads of one readiness check.
const readyTimeout = 5 * time.Second

// maxReason bounds one integration's part of the reason: a run's error
// may quote a long vendor answer.
const maxReason = 300

// health is the body of /healthz and /readyz.
type health struct {
	Status string `json:"status"`           // "ok", "ready" or "not ready"
	Reason string `json:"reason,omitempty"` // why not ready
}

// healthz: the process is up and answers.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, health{Status: "ok"})
}

// readyz: 200 when the config is loaded, the store opens and reads, and
// no launched integration is failed; else 503 with the reason.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	if reason := s.notReady(ctx); reason != "" {
		writeJSON(w, http.StatusServiceUnavailable, health{Status: "not ready", Reason: reason})
		return
	}
	writeJSON(w, http.StatusOK, health{Status: "ready"})
}

// notReady says why the agent is not ready, "" when it is.
func (s *Server) notReady(ctx context.Context) string {
	if s.o.State == nil {
		return "no config is loaded"
	}
	cfg := s.o.State.Config()
	if cfg == nil {
		return "no config is loaded"
	}
	st, err := s.o.State.Store(ctx)
	if err == nil {
		err = st.Ping(ctx)
	}
	if err != nil {
		return "the store does not open: " + err.Error()
	}
	now := s.o.Now()
	var failed []string
	for _, in := range cfg.Integrations {
		if !in.Launched() {
			continue
		}
		status, err := runner.StatusOf(ctx, st, cfg, in, now)
		if err != nil {
			return fmt.Sprintf("reading the state of integration %s: %v", in.Name, err)
		}
		if status.State != runner.StateFailed {
			continue
		}
		why := status.Reason
		if why == "" && status.LastRun != nil {
			why = status.LastRun.Error
		}
		if why == "" && status.LastRun != nil {
			why = "its last run was " + status.LastRun.Outcome
		}
		failed = append(failed, fmt.Sprintf("integration %s failed: %s", in.Name, clip(why, maxReason)))
	}
	return strings.Join(failed, "; ")
}

// clip shortens s to n runes, marking the cut.
func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}
