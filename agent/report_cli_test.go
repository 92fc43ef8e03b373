package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/agent/store/storetest"
)

// The CLI of `agent report saas`: its forms, --as-of, and its usage
// errors. (The figures are agent/report's TestSaaSReport.)
func TestReportSaaSCommand(t *testing.T) {
	s := newSandbox(t)
	s.write(s.cfg, recordsConfig)
	s.write(filepath.Join(s.dir, "users.jsonl"), `{"email":"ada@example.com"}`+"\n")
	st, err := store.Open(context.Background(), filepath.Join(s.dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 1, 23, 0, 0, 0, time.UTC)
	storetest.Sync(t, st, "sso", "r1", t0, []storetest.Rec{{Kind: store.Application, Key: "slack", Fields: map[string]string{"name": "Slack"}}})
	storetest.Sync(t, st, "crm", "r2", t0, []storetest.Rec{
		{Kind: store.SaaSUser, Application: "slack", Key: "ada", Fields: map[string]string{"last_activity": "2026-03-01T09:00:00Z"}},
	})
	storetest.Sync(t, st, "finance", "r3", t0, []storetest.Rec{
		{Kind: store.Invoice, Key: "INV-1", Fields: map[string]string{"application": "Slack", "invoice_date": "2026-02-01T00:00:00Z", "amount": "12345.60", "currency": "EUR"}},
		{Kind: store.Invoice, Key: "INV-2", Fields: map[string]string{"application": "Slack", "invoice_date": "2026-02-01T00:00:00Z", "amount": "1.234,56", "currency": "EUR"}},
	})
	st.Close()

	// As of 2026-03-31 Ada (last active 2026-03-01, the 30-day cut-off's day) is not idle; as of 2026-04-01 she is.
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"report", "saas", "--csv", "--as-of", "2026-03-31"}, "application,catalogue_status,users_active,users_inactive,no_activity_30d,no_activity_60d,no_activity_90d,seats,unused_seats,spend_12m,next_contract_end\n" +
			"Slack,active,1,0,0,0,0,,,12345.60 EUR,\n"},
		{[]string{"report", "--as-of=2026-04-01", "saas", "--csv"}, "\nSlack,active,1,0,1,0,0,,,12345.60 EUR,\n"},
		{[]string{"report", "saas", "--json", "--as-of", "2026-03-31"}, `"spend_12m": {
      "EUR": "12345.60"
    },`},
		{[]string{"report", "saas", "--as-of", "2026-03-31"}, "SaaS applications as of 2026-03-31\n\nAPPLICATION  CATALOGUE  ACTIVE"},
	}
	for _, tc := range tests {
		code, out, errs := s.agent(tc.args...)
		if code != exitOK || !strings.Contains(out, tc.want) {
			t.Errorf("%v: exit %d, want 0 and %q in\n%s%s", tc.args, code, tc.want, out, errs)
		}
		if !strings.Contains(errs, `agent: report: invoice INV-2 of finance left out of spend: amount "1.234,56" is not a decimal amount`) {
			t.Errorf("%v: stderr lacks INV-2's note: %q", tc.args, errs)
		}
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"report"}, "agent: report: which report? agent report saas\n"},
		{[]string{"report", "spend"}, `agent: report: unknown report ["spend"] (reports: saas)` + "\n"},
		{[]string{"report", "saas", "--json", "--csv"}, "agent: report: --json or --csv, not both\n"},
		{[]string{"report", "saas", "--as-of", "31.03.2026"}, `agent: report: --as-of "31.03.2026": want a day as YYYY-MM-DD` + "\n"},
		{[]string{"report", "saas", "--asof", "2026-03-31"}, "agent: report: unknown flag --asof (did you mean --as-of?)\n"},
	} {
		if code, _, errs := s.agent(tc.args...); code != exitUsage || errs != tc.want {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, errs, tc.want)
		}
	}
	if code, out, _ := s.agent("report", "saas", "--help"); code != exitOK || !strings.Contains(out, "report saas [--json|--csv] [--as-of YYYY-MM-DD]") || !strings.Contains(out, "--as-of") {
		t.Errorf("report --help: exit %d\n%s", code, out)
	}
	if code, out, _ := s.agent("help"); code != exitOK || !strings.Contains(out, "report saas") {
		t.Errorf("help lacks report:\n%s", out)
	}
}
