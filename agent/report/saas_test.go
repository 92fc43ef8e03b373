package report

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/agent/store/storetest"
)

// asOf is the fixture's report day: the idle cut-offs are 2026-03-01
// (30 days), 2026-01-30 (60) and 2025-12-31 (90); the spend window is
// (2025-03-31, 2026-03-31].
var asOf = time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)

// saasStore fills a store as four integrations would: an SSO catalogue,
// rosters (two integrations, spelling Slack differently), a finance
// system's invoices and a contract system's contracts.
func saasStore(t *testing.T) *store.Store {
	st := storetest.Open(t)
	t0 := time.Date(2026, 3, 30, 23, 0, 0, 0, time.UTC)
	app := func(name string) storetest.Rec {
		return storetest.Rec{Kind: store.Application, Key: strings.ToLower(name), Fields: map[string]string{"name": name}}
	}
	storetest.Sync(t, st, "sso", "r1", t0.Add(-24*time.Hour), []storetest.Rec{app("Slack"), app("Zoom"), app("Miro"), app("Notion")})
	storetest.Sync(t, st, "sso", "r2", t0, []storetest.Rec{app("Slack"), app("Zoom"), app("Miro")}) // Notion gone: inactive

	user := func(application, key, last string, inactive bool) storetest.Rec {
		return storetest.Rec{Kind: store.SaaSUser, Application: application, Key: key,
			Fields: map[string]string{"username": key, "last_activity": last}, Inactive: inactive}
	}
	storetest.Sync(t, st, "roster", "r3", t0, []storetest.Rec{
		user("Slack", "u1", "2026-03-01T00:00:00Z", false), // the 30-day cut-off's day: active in the last 30 days
		user("Slack", "u2", "2026-02-28T23:59:59Z", false), // idle 30
		user("Slack", "u3", "2026-01-30T08:00:00Z", false), // idle 30; the 60-day cut-off's day: not idle 60
		user("Slack", "u4", "2026-01-29T23:00:00Z", false), // idle 30, 60
		user("Slack", "u5", "", false),                     // never active: idle 30, 60, 90
		user("Slack", "u6", "2024-01-01T00:00:00Z", true),  // inactive: in no idle count
		user("Zoom", "z1", "2026-03-30T10:00:00Z", false),
		user("Zoom", "z2", "2026-03-31T23:00:00Z", false),
		user("Zoom", "z3", "2026-03-01T00:00:00Z", true),
		user("Figma", "f1", "2026-02-15T00:00:00Z", false), // not in the catalogue; idle 30
	})
	storetest.Sync(t, st, "okta", "r4", t0, []storetest.Rec{
		user("slack ", "u7", "2025-12-30T12:00:00Z", false), // Slack by another spelling; idle 30, 60, 90
	})

	inv := func(key, application, date, amount, currency string) storetest.Rec {
		return storetest.Rec{Kind: store.Invoice, Key: key, Fields: map[string]string{"invoice_id": key, "application": application,
			"invoice_date": date, "amount": amount, "currency": currency}}
	}
	storetest.Sync(t, st, "finance", "r5", t0, []storetest.Rec{
		inv("INV-1", "Slack", "2026-01-31T00:00:00Z", "1200.50", "EUR"),
		inv("INV-2", "Slack", "2026-03-31T00:00:00Z", "99.99", "EUR"),   // on as-of: in
		inv("INV-3", "Slack", "2025-03-31T00:00:00Z", "5000.00", "EUR"), // exactly 12 months before: out
		inv("INV-4", "Slack", "2025-04-01T00:00:00Z", "10.00", "USD"),   // the window's first day: in
		inv("INV-5", "Zoom", "2024-11-30T00:00:00Z", "300.00", "USD"),   // older than 12 months: out
		inv("INV-6", "Adobe Acrobat", "2026-02-01T00:00:00Z", "1234.56", "EUR"),
		inv("INV-7", "Adobe Acrobat", "2026-04-01T00:00:00Z", "999.00", "EUR"), // after as-of: out
		inv("INV-8", "SLACK", "2025-12-01T00:00:00Z", "0.01", "eur"),
		inv("INV-9", "Zoom", "2026-03-01T00:00:00Z", "1.234,56", "EUR"), // not a decimal: out, with a note
	})

	con := func(key, application, start, end, seats string) storetest.Rec {
		return storetest.Rec{Kind: store.Contract, Key: key, Fields: map[string]string{"contract_id": key, "application": application,
			"start": start, "end": end, "seats": seats}}
	}
	storetest.Sync(t, st, "contracts", "r6", t0, []storetest.Rec{
		con("C-1", "Slack", "2025-07-01T00:00:00Z", "2026-06-30T00:00:00Z", "5"),
		con("C-2", "Slack", "2026-04-01T00:00:00Z", "2027-03-31T00:00:00Z", "100"), // not yet started
		con("C-3", "Slack", "2024-01-01T00:00:00Z", "2026-03-30T00:00:00Z", "40"),  // ended the day before
		con("C-4", "Zoom", "", "", "10"),                                           // open-ended
		con("C-5", "Miro", "2026-01-01T00:00:00Z", "2026-12-31T00:00:00Z", ""),     // no seats
		con("C-6", "Slack", "2026-03-31T00:00:00Z", "2026-03-31T00:00:00Z", "2"),   // one day: as-of
		con("C-7", "figma", "", "", ""),                                            // Figma by another spelling
	})
	return st
}

func ptr(n int64) *int64 { return &n }

func TestSaaSReport(t *testing.T) {
	st := saasStore(t)
	rep, err := BuildSaaS(context.Background(), st, asOf)
	if err != nil {
		t.Fatal(err)
	}
	want := []SaaSRow{
		// Only in invoices: INV-6 1234.56 EUR (INV-7 is after as-of).
		{Application: "Adobe Acrobat", Spend: []Spend{{"EUR", "1234.56"}}},
		// Not in the catalogue; "Figma" sorts before "figma". f1 last active 2026-02-15: idle 30 only.
		{Application: "Figma", UsersActive: 1, Idle: [3]int{1, 0, 0}},
		// In the catalogue, no users; C-5 has no seats; its end is the next.
		{Application: "Miro", Catalogue: "active", NextContractEnd: "2026-12-31T00:00:00Z"},
		// In the catalogue, gone from its last run.
		{Application: "Notion", Catalogue: "inactive"},
		// Users: u1-u5 and u7 active (6), u6 inactive (1).
		// Idle 30 (before 2026-03-01): u2, u3, u4, u5, u7 = 5; idle 60 (before 2026-01-30): u4, u5, u7 = 3;
		// idle 90 (before 2025-12-31): u5, u7 = 2.
		// Seats: C-1 5 + C-6 2 = 7 (C-2 not started, C-3 ended); unused 7 - 6 active = 1.
		// Spend: EUR 1200.50 + 99.99 + 0.01 = 1300.50; USD 10.00 (INV-3 is 12 months old to the day: out).
		// Next end: C-6's, on as-of (C-1's 2026-06-30 is later, C-3's past).
		{Application: "Slack", Catalogue: "active", UsersActive: 6, UsersInactive: 1, Idle: [3]int{5, 3, 2},
			Seats: ptr(7), UnusedSeats: ptr(1), Spend: []Spend{{"EUR", "1300.50"}, {"USD", "10.00"}},
			NextContractEnd: "2026-03-31T00:00:00Z"},
		// z1, z2 active, z3 inactive; seats C-4 10 (open-ended) - 2 = 8 unused;
		// spend none: INV-5 too old, INV-9 not a decimal.
		{Application: "Zoom", Catalogue: "active", UsersActive: 2, UsersInactive: 1, Seats: ptr(10), UnusedSeats: ptr(8)},
	}
	if !reflect.DeepEqual(rep.Rows, want) {
		t.Errorf("rows:\n%s\nwant:\n%s", dump(rep.Rows), dump(want))
	}
	if len(rep.Notes) != 1 || !strings.Contains(rep.Notes[0], "INV-9") {
		t.Errorf("notes = %q; want INV-9's amount", rep.Notes)
	}

	var js, cv, tx bytes.Buffer
	if err := rep.JSON(&js); err != nil {
		t.Fatal(err)
	}
	if err := rep.CSV(&cv); err != nil {
		t.Fatal(err)
	}
	if err := rep.Text(&tx); err != nil {
		t.Fatal(err)
	}
	wantCSV := `application,catalogue_status,users_active,users_inactive,no_activity_30d,no_activity_60d,no_activity_90d,seats,unused_seats,spend_12m,next_contract_end
Adobe Acrobat,,0,0,0,0,0,,,1234.56 EUR,
Figma,,1,0,1,0,0,,,,
Miro,active,0,0,0,0,0,,,,2026-12-31T00:00:00Z
Notion,inactive,0,0,0,0,0,,,,
Slack,active,6,1,5,3,2,7,1,1300.50 EUR; 10.00 USD,2026-03-31T00:00:00Z
Zoom,active,2,1,0,0,0,10,8,,
`
	if cv.String() != wantCSV {
		t.Errorf("--csv:\n%s\nwant:\n%s", cv.String(), wantCSV)
	}
	wantJSONSlack := `  {
    "application": "Slack",
    "catalogue_status": "active",
    "users_active": 6,
    "users_inactive": 1,
    "no_activity_30d": 5,
    "no_activity_60d": 3,
    "no_activity_90d": 2,
    "seats": 7,
    "unused_seats": 1,
    "spend_12m": {
      "EUR": "1300.50",
      "USD": "10.00"
    },
    "next_contract_end": "2026-03-31T00:00:00Z"
  },`
	wantJSONFigma := `  {
    "application": "Figma",
    "catalogue_status": "",
    "users_active": 1,
    "users_inactive": 0,
    "no_activity_30d": 1,
    "no_activity_60d": 0,
    "no_activity_90d": 0,
    "seats": null,
    "unused_seats": null,
    "spend_12m": {},
    "next_contract_end": ""
  },`
	for _, w := range []string{wantJSONSlack, wantJSONFigma} {
		if !strings.Contains(js.String(), w) {
			t.Errorf("--json lacks\n%s\nin\n%s", w, js.String())
		}
	}
	if !strings.HasPrefix(js.String(), "[\n") || !strings.HasSuffix(js.String(), "]\n") {
		t.Errorf("--json is not one array:\n%s", js.String())
	}
	wantText := `SaaS applications as of 2026-03-31

APPLICATION    CATALOGUE  ACTIVE  INACTIVE  IDLE 30D  IDLE 60D  IDLE 90D  SEATS  UNUSED  SPEND 12M               NEXT END
Adobe Acrobat  -          0       0         0         0         0         -      -       1234.56 EUR             -
Figma          -          1       0         1         0         0         -      -       -                       -
Miro           active     0       0         0         0         0         -      -       -                       2026-12-31
Notion         inactive   0       0         0         0         0         -      -       -                       -
Slack          active     6       1         5         3         2         7      1       1300.50 EUR; 10.00 USD  2026-03-31
Zoom           active     2       1         0         0         0         10     8       -                       -
`
	if tx.String() != wantText {
		t.Errorf("text:\n%s\nwant:\n%s", tx.String(), wantText)
	}
}

// An empty store makes an empty report: [] in JSON, the header in CSV.
func TestSaaSReportEmpty(t *testing.T) {
	rep, err := BuildSaaS(context.Background(), storetest.Open(t), asOf)
	if err != nil {
		t.Fatal(err)
	}
	var js, cv bytes.Buffer
	rep.JSON(&js)
	rep.CSV(&cv)
	if js.String() != "[]\n" || cv.String() != strings.Join(Columns, ",")+"\n" {
		t.Errorf("json %q, csv %q", js.String(), cv.String())
	}
}

// dump is rows as CSV, for a failure's message.
func dump(rows []SaaSRow) string {
	var b strings.Builder
	(&SaaS{Rows: rows}).CSV(&b)
	return b.String()
}
