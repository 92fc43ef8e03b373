package httpd_test

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/agentsync/agent/agent/deliver"
	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/credentials"
	"github.com/agentsync/agent/internal/vendorsim"
	"github.com/agentsync/agent/internal/vendortest"
)

// The simulated vendor's OAuth2 client.
const (
	simClient = "sim-client"
	simSecret = "sim-SECRET-5e6f7a8b"
)

var simSecrets = vendortest.Secrets{"sim": {Kind: credentials.OAuth2Client, ClientID: simClient, ClientSecret: simSecret}}

// scrape GETs /metrics and parses it with the Prometheus text parser.
func (e *env) scrape() map[string]*dto.MetricFamily {
	e.t.Helper()
	code, h, body := e.get(http.MethodGet, "/metrics")
	if code != http.StatusOK {
		e.t.Fatalf("GET /metrics: %d %s", code, body)
	}
	if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		e.t.Fatalf("Content-Type %q", ct)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		e.t.Fatalf("the metrics page does not parse: %v\n%s", err, body)
	}
	return fams
}

// series finds the series of family name whose labels include want;
// ok is false when there is none.
func series(fams map[string]*dto.MetricFamily, name string, want map[string]string) (*dto.Metric, bool) {
	f, ok := fams[name]
	if !ok {
		return nil, false
	}
next:
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue next
			}
		}
		return m, true
	}
	return nil, false
}

func value(m *dto.Metric) float64 {
	switch {
	case m.GetCounter() != nil:
		return m.GetCounter().GetValue()
	case m.GetGauge() != nil:
		return m.GetGauge().GetValue()
	case m.GetHistogram() != nil:
		return float64(m.GetHistogram().GetSampleCount())
	}
	return math.NaN()
}

// TestMetricsAfterARun runs a file integration with a destination and a
// REST integration whose vendor answers 429 once, as the service does,
// and reads every series the issue asks for off the metrics page.
func TestMetricsAfterARun(t *testing.T) {
	sim := vendorsim.New(vendorsim.Config{Users: 4, Pagination: vendorsim.None, ClientID: simClient, Secret: simSecret, Fault: vendorsim.Fault429Once, FaultPage: 1})
	vendor := httptest.NewServer(sim)
	defer vendor.Close()
	host := strings.TrimPrefix(vendor.URL, "http://")
	e := newEnv(t, vendorsim.Config{Pagination: vendorsim.None}.TOML(vendor.URL, vendorsim.Integration{Name: "sim", Extra: `  http.backoff = "1ms"`}))

	if fams := e.scrape(); len(fams["agent_runs_total"].GetMetric()) != 0 {
		t.Fatalf("runs before any run: %v", fams["agent_runs_total"])
	}
	e.run("people")
	if rep := e.run("sim"); rep.Outcome != store.OutcomeSuccess {
		t.Fatalf("sim run: %s %s", rep.Outcome, rep.Error)
	}
	e.run("broken")
	fams := e.scrape()
	last, err := e.state.st.LastRun(context.Background(), "people", store.OutcomeSuccess)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"agent_runs_total", map[string]string{"integration": "people", "outcome": "success"}, 1},
		{"agent_runs_total", map[string]string{"integration": "sim", "outcome": "success"}, 1},
		{"agent_runs_total", map[string]string{"integration": "broken", "outcome": "failed"}, 1},
		{"agent_run_duration_seconds", map[string]string{"integration": "people", "outcome": "success"}, 1},
		{"agent_run_duration_seconds", map[string]string{"integration": "broken", "outcome": "failed"}, 1},
		{"agent_records_total", map[string]string{"integration": "people", "kind": "person", "operation": "created"}, 3},
		{"agent_records_total", map[string]string{"integration": "people", "kind": "person", "operation": "updated"}, 0},
		{"agent_records_total", map[string]string{"integration": "people", "kind": "person", "operation": "deactivated"}, 0},
		{"agent_records_total", map[string]string{"integration": "people", "kind": "person", "operation": "reactivated"}, 0},
		{"agent_records_total", map[string]string{"integration": "sim", "kind": "person", "operation": "created"}, 4},
		{"agent_last_success_timestamp_seconds", map[string]string{"integration": "people"}, float64(last.FinishedAt.UnixMilli()) / 1e3},
		{"agent_vendor_requests_total", map[string]string{"integration": "sim", "host": host}, 3}, // token, 429, users
		{"agent_vendor_retries_total", map[string]string{"integration": "sim", "host": host}, 1},
		{"agent_vendor_rate_limited_total", map[string]string{"integration": "sim", "host": host}, 1},
		{"agent_delivery_queued_records", map[string]string{"destination": "hook", "integration": "people"}, 3},
		{"agent_build_info", map[string]string{"version": "1.2.3-test"}, 1},
	}
	for _, tc := range tests {
		m, ok := series(fams, tc.name, tc.labels)
		if !ok {
			t.Errorf("no series %s%v", tc.name, tc.labels)
			continue
		}
		if got := value(m); math.Abs(got-tc.want) > 1e-3 {
			t.Errorf("%s%v = %v, want %v", tc.name, tc.labels, got, tc.want)
		}
	}
	if _, ok := series(fams, "agent_last_success_timestamp_seconds", map[string]string{"integration": "broken"}); ok {
		t.Error("broken has a last success")
	}
	if _, ok := series(fams, "agent_records_total", map[string]string{"integration": "broken"}); ok {
		t.Error("a failed run counted records")
	}
	if h := fams["agent_run_duration_seconds"].GetMetric()[0].GetHistogram(); len(h.GetBucket()) == 0 {
		t.Error("the run duration has no buckets")
	}
	if _, ok := fams["go_goroutines"]; !ok {
		t.Error("no go_goroutines: the Go collector is not registered")
	}

	// Bounded labels: no user, no URL, no query, anywhere.
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if v := l.GetValue(); strings.ContainsAny(v, "@?/") && l.GetName() != "goversion" {
					t.Errorf("%s has label %s=%q", name, l.GetName(), v)
				}
			}
		}
	}
}

// TestMetricsOfTheQueueFollowDelivery: the queue depth is read at scrape
// time; a run that changed nothing adds nothing; a delivery empties it.
func TestMetricsOfTheQueueFollowDelivery(t *testing.T) {
	e := newEnv(t, "")
	queued := func() float64 {
		t.Helper()
		m, ok := series(e.scrape(), "agent_delivery_queued_records", map[string]string{"destination": "hook", "integration": "people"})
		if !ok {
			t.Fatal("no agent_delivery_queued_records for hook")
		}
		return value(m)
	}
	if n := queued(); n != 0 {
		t.Errorf("queued before any run: %v", n)
	}
	e.run("people")
	if n := queued(); n != 3 {
		t.Errorf("queued after the first run: %v, want 3 (the snapshot)", n)
	}
	write(t, filepath.Join(e.dir, "people.jsonl"), `{"email":"ann@example.com"}`+"\n"+`{"email":"bob@example.com"}`+"\n"+`{"email":"cy@example.com"}`+"\n"+`{"email":"dee@example.com"}`+"\n")
	e.run("people")
	e.run("people") // nothing changed
	if n := queued(); n != 4 {
		t.Errorf("queued after a run that added one: %v, want 4", n)
	}

	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	defer hook.Close()
	e.state.cfg.Destinations[0].URL = hook.URL
	dl := &deliver.Deliverer{Config: e.state.cfg, Store: e.state.st}
	res, err := dl.Integration(context.Background(), "people", false)
	if err != nil || res["hook"].Err != nil || res["hook"].Sent != 4 {
		t.Fatalf("delivery: %+v, %v", res, err)
	}
	if n := queued(); n != 0 {
		t.Errorf("queued after the delivery: %v, want 0", n)
	}
}
