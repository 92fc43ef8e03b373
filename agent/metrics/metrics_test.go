package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/agentsync/agent/agent/config"
	"github.com/agentsync/agent/agent/engine"
	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/vendors/web"
)

// noSource has no config: the store collector sends nothing.
type noSource struct{}

func (noSource) Config() *config.Config                      { return nil }
func (noSource) Store(context.Context) (*store.Store, error) { return nil, errors.New("no store") }

// gathered is name{labels} → value, labels sorted by name as the
// registry gives them: `agent_runs_total{integration="a",outcome="success"}`.
func gathered(t *testing.T, m *Metrics) map[string]float64 {
	t.Helper()
	fams, err := m.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range fams {
		if !strings.HasPrefix(f.GetName(), Namespace+"_") {
			continue
		}
		for _, s := range f.GetMetric() {
			var ls []string
			for _, l := range s.GetLabel() {
				ls = append(ls, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			out[f.GetName()+"{"+strings.Join(ls, ",")+"}"] = valueOf(s)
		}
	}
	return out
}

func valueOf(s *dto.Metric) float64 {
	switch {
	case s.GetCounter() != nil:
		return s.GetCounter().GetValue()
	case s.GetHistogram() != nil:
		return float64(s.GetHistogram().GetSampleCount())
	}
	return s.GetGauge().GetValue()
}

func TestRunFinished(t *testing.T) {
	start := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	rep := func(name, outcome string, c store.Counts, saas *store.Counts) engine.Report {
		return engine.Report{Integration: name, Outcome: outcome, StartedAt: start, FinishedAt: start.Add(90 * time.Second), Counts: c, SaaSCounts: saas}
	}
	dry := rep("a", store.OutcomeSuccess, store.Counts{Created: 5}, nil)
	dry.DryRun = true
	tests := []struct {
		name string
		reps []engine.Report
		want map[string]float64 // series that must be there
		not  []string           // prefixes of series that must not
	}{
		{"success counts the records of both kinds", []engine.Report{
			rep("a", store.OutcomeSuccess, store.Counts{Created: 2, Updated: 1, Unchanged: 9}, &store.Counts{Deactivated: 1, Reactivated: 4}),
		}, map[string]float64{
			`agent_runs_total{integration="a",outcome="success"}`:                           1,
			`agent_run_duration_seconds{integration="a",outcome="success"}`:                 1,
			`agent_records_total{integration="a",kind="person",operation="created"}`:        2,
			`agent_records_total{integration="a",kind="person",operation="updated"}`:        1,
			`agent_records_total{integration="a",kind="person",operation="deactivated"}`:    0,
			`agent_records_total{integration="a",kind="saas_user",operation="deactivated"}`: 1,
			`agent_records_total{integration="a",kind="saas_user",operation="reactivated"}`: 4,
		}, nil},
		{"an invoices run counts invoices", []engine.Report{func() engine.Report {
			r := rep("ap", store.OutcomeSuccess, store.Counts{Created: 3}, nil)
			r.Kind = store.Invoice
			return r
		}()}, map[string]float64{
			`agent_records_total{integration="ap",kind="invoice",operation="created"}`: 3,
		}, []string{`agent_records_total{integration="ap",kind="person"`}},
		{"a failure counts no records", []engine.Report{rep("a", store.OutcomeFailed, store.Counts{Created: 2}, nil)},
			map[string]float64{`agent_runs_total{integration="a",outcome="failed"}`: 1, `agent_run_duration_seconds{integration="a",outcome="failed"}`: 1},
			[]string{"agent_records_total"}},
		{"a skipped run has no duration", []engine.Report{rep("a", store.OutcomeSkipped, store.Counts{}, nil)},
			map[string]float64{`agent_runs_total{integration="a",outcome="skipped"}`: 1},
			[]string{"agent_run_duration_seconds", "agent_records_total"}},
		{"a dry run is not counted", []engine.Report{dry}, nil, []string{"agent_runs_total", "agent_records_total", "agent_run_duration_seconds"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := New("test", noSource{}, nil)
			for _, r := range tc.reps {
				m.RunFinished(r)
			}
			got := gathered(t, m)
			for k, v := range tc.want {
				if g, ok := got[k]; !ok || g != v {
					t.Errorf("%s = %v (present %v), want %v", k, g, ok, v)
				}
			}
			for k := range got {
				for _, p := range tc.not {
					if strings.HasPrefix(k, p) {
						t.Errorf("unexpected %s", k)
					}
				}
			}
		})
	}
}

func TestVendorHTTP(t *testing.T) {
	m := New("test", noSource{}, nil)
	obs := m.VendorHTTP("okta")
	for _, ev := range []string{web.EventRequest, web.EventRequest, web.EventRateLimited, web.EventRetry, "unknown"} {
		obs(ev, "acme.okta.com")
	}
	got := gathered(t, m)
	for k, v := range map[string]float64{
		`agent_vendor_requests_total{host="acme.okta.com",integration="okta"}`:     2,
		`agent_vendor_rate_limited_total{host="acme.okta.com",integration="okta"}`: 1,
		`agent_vendor_retries_total{host="acme.okta.com",integration="okta"}`:      1,
	} {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
}

func TestHostsAreBounded(t *testing.T) {
	m := New("test", noSource{}, nil)
	obs := m.VendorHTTP("x")
	for i := range maxHosts + 10 {
		obs(web.EventRequest, fmt.Sprintf("h%d.example.com", i))
	}
	obs(web.EventRequest, "h0.example.com") // a host already seen keeps its series
	got := gathered(t, m)
	n := 0
	for k := range got {
		if strings.HasPrefix(k, "agent_vendor_requests_total") {
			n++
		}
	}
	if n != maxHosts+1 {
		t.Errorf("%d series, want %d (the bound and %q)", n, maxHosts+1, OtherHost)
	}
	if v := got[`agent_vendor_requests_total{host="other",integration="x"}`]; v != 10 {
		t.Errorf("other = %v, want 10", v)
	}
	if v := got[`agent_vendor_requests_total{host="h0.example.com",integration="x"}`]; v != 2 {
		t.Errorf("h0 = %v, want 2", v)
	}
}

func TestNilMetricsRecordsNothing(t *testing.T) {
	var m *Metrics
	m.RunFinished(engine.Report{Integration: "a", Outcome: store.OutcomeSuccess})
	if m.VendorHTTP("a") != nil {
		t.Error("VendorHTTP of a nil *Metrics is not nil")
	}
}

// A store that does not open leaves its series out, logs why, and the
// rest is served.
func TestScrapeWithoutAStore(t *testing.T) {
	var logs strings.Builder
	src := &fixed{cfg: &config.Config{Integrations: []*config.Integration{{Name: "a"}}}, err: errors.New("store: agent.db: permission denied")}
	m := New("9.9", src, slogTo(&logs))
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `agent_build_info{goversion=`) {
		t.Fatalf("GET /metrics: %d\n%s", rec.Code, rec.Body)
	}
	if !strings.Contains(logs.String(), "permission denied") {
		t.Errorf("the log does not say why: %s", logs.String())
	}
}

type fixed struct {
	cfg *config.Config
	err error
}

func (f *fixed) Config() *config.Config { return f.cfg }
func (f *fixed) Store(context.Context) (*store.Store, error) {
	return nil, f.err
}

func slogTo(w *strings.Builder) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }
