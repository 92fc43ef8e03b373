package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentsync/agent/agent/engine"
	"github.com/agentsync/agent/agent/store"
)

// kindsSite is a config of file integrations over files the test writes,
// in one temp folder.
type kindsSite struct {
	t   *testing.T
	cfg string
	dir string
}

func newKindsSite(t *testing.T, config string) *kindsSite {
	t.Helper()
	cfg := writeConfig(t, config)
	return &kindsSite{t: t, cfg: cfg, dir: filepath.Dir(cfg)}
}

func (s *kindsSite) file(name string, lines ...string) {
	s.t.Helper()
	if err := os.WriteFile(filepath.Join(s.dir, name), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		s.t.Fatal(err)
	}
}

// run runs run-now --json on one integration and returns its report.
func (s *kindsSite) run(name string) engine.Report {
	s.t.Helper()
	code, out, errs := cli(s.cfg, "run-now", "--json", name)
	var rep engine.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		s.t.Fatalf("run-now %s: exit %d: %s%s", name, code, out, errs)
	}
	if rep.Outcome != store.OutcomeSuccess || code != exitOK {
		s.t.Fatalf("run-now %s: exit %d: %+v %s", name, code, rep, errs)
	}
	return rep
}

// records returns the integration's stored records of a kind by key
// ("application/key" for SaaS users).
func (s *kindsSite) records(name string, kind store.Kind) map[string]store.Record {
	s.t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(s.dir, "data"))
	if err != nil {
		s.t.Fatal(err)
	}
	defer st.Close()
	// Whatever the runs did, the kept counts of active records still
	// match the records (contracts ending, accounts moving, rosters).
	if err := st.CheckActiveCounts(context.Background()); err != nil {
		s.t.Error(err)
	}
	out := map[string]store.Record{}
	err = st.Records(context.Background(), name, kind, func(r store.Record) error {
		k := r.Key
		if kind == store.SaaSUser {
			k = r.Application + "/" + k
		}
		out[k] = r
		return nil
	})
	if err != nil {
		s.t.Fatal(err)
	}
	return out
}

func (s *kindsSite) exec(query string, args ...any) {
	s.t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(s.dir, "data", "agent.db"))
	if err != nil {
		s.t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(query, args...); err != nil {
		s.t.Fatal(err)
	}
}

func wantCounts(t *testing.T, what string, got store.Counts, want store.Counts) {
	t.Helper()
	if got != want {
		t.Errorf("%s: counts %+v, want %+v", what, got, want)
	}
}

func wantStatus(t *testing.T, recs map[string]store.Record, want map[string]string) {
	t.Helper()
	for k, st := range want {
		r, ok := recs[k]
		switch {
		case !ok && st != "":
			t.Errorf("%s: not stored", k)
		case ok && st == "":
			t.Errorf("%s: stored, want none", k)
		case ok && r.Status != st:
			t.Errorf("%s: status %s, want %s", k, r.Status, st)
		case ok && (st == store.Inactive) != !r.DeactivatedAt.IsZero():
			t.Errorf("%s: %s with deactivated_at %v", k, st, r.DeactivatedAt)
		}
	}
}

const ssoApps = `
[[integration]]
name = "sso-apps"
vendor = "file"
mode = "applications"
deactivate = true
max_deactivate_percent = 50
  [integration.mapping]
  "application.name" = "ssoAppName"
  "application.display_name" = "ssoAppDisplayName"
  "application.app_id" = "ssoAppId"
  "application.instance_id" = "appInstanceId"
  "application.created" = "ssoAppAdditional.createdAt"
  "application.guests_allowed" = "appInstanceAdditional.hasGuestAccounts"
  [integration.file]
  path = "apps.jsonl"
`

var appLines = []string{
	`{"ssoAppName": "Slack", "ssoAppDisplayName": "Slack - Business Communication", "ssoAppId": "a1", "ssoAppAdditional": {"createdAt": "2020-03-05T15:56:53.889Z"}, "appInstanceId": "inst-slack", "appInstanceAdditional": {"hasGuestAccounts": true}}`,
	`{"ssoAppName": "StratoKey (NetSuite)", "ssoAppDisplayName": "StratoKey (NetSuite)", "ssoAppId": "a2", "ssoAppAdditional": null, "appInstanceId": "inst-strato", "appInstanceAdditional": null}`,
	`{"ssoAppName": "Zoom", "ssoAppDisplayName": "Zoom", "appInstanceId": "inst-zoom"}`,
}

func TestApplicationsDiscovery(t *testing.T) {
	s := newKindsSite(t, ssoApps)
	s.file("apps.jsonl", appLines...)
	rep := s.run("sso-apps")
	wantCounts(t, "first run", rep.Counts, store.Counts{Fetched: 3, Created: 3})
	if rep.SaaSCounts != nil {
		t.Errorf("saas_counts %+v in applications mode", rep.SaaSCounts)
	}
	recs := s.records("sso-apps", store.Application)
	slack := recs["inst-slack"].Fields
	if slack["name"] != "Slack" || slack["created"] != "2020-03-05T15:56:53Z" || slack["guests_allowed"] != "true" || slack["app_id"] != "a1" {
		t.Errorf("Slack: %v", slack)
	}

	rep = s.run("sso-apps")
	wantCounts(t, "unchanged rerun", rep.Counts, store.Counts{Fetched: 3, Unchanged: 3})

	s.file("apps.jsonl", appLines[0], appLines[2])
	rep = s.run("sso-apps")
	wantCounts(t, "one dropped", rep.Counts, store.Counts{Fetched: 2, Unchanged: 2, Deactivated: 1})
	wantStatus(t, s.records("sso-apps", store.Application), map[string]string{"inst-slack": store.Active, "inst-strato": store.Inactive, "inst-zoom": store.Active})

	s.file("apps.jsonl", appLines...)
	rep = s.run("sso-apps")
	wantCounts(t, "listed again", rep.Counts, store.Counts{Fetched: 3, Unchanged: 3, Reactivated: 1})
	wantStatus(t, s.records("sso-apps", store.Application), map[string]string{"inst-strato": store.Active})

	// A bad created date keeps the application (and its stored date).
	s.file("apps.jsonl", appLines[0], strings.Replace(appLines[1], `"ssoAppAdditional": null`, `"ssoAppAdditional": {"createdAt": "yesterday"}`, 1), appLines[2])
	rep = s.run("sso-apps")
	wantCounts(t, "a bad date", rep.Counts, store.Counts{Fetched: 3, Unchanged: 3})
	wantStatus(t, s.records("sso-apps", store.Application), map[string]string{"inst-strato": store.Active})
}

const rosterConfig = ssoApps + `
[[integration]]
name = "sso-roster"
vendor = "file"
mode = "users+saas_users"
application_from = "appInstanceId"
deactivate = true
max_deactivate_percent = 100
  [integration.mapping]
  "user.username" = "uniqueId"
  "user.email" = "email"
  "user.first_name" = "firstName"
  "user.last_name" = "lastName"
  "saas_user.last_activity" = "lastActivity"
  [integration.active]
  field = "deactivatedAt"
  inactive_when_set = true
  [integration.file]
  path = "roster.jsonl"
  usage_path = "usage.jsonl"
`

// A roster across two application instances: one the catalogue names
// (inst-slack → Slack), one it does not (its id stays its name).
var rosterLines = []string{
	`{"uniqueId": "u1", "email": "ada@example.com", "firstName": "Ada", "lastName": "Lovelace", "activatedAt": "2020-01-01T00:00:00Z", "appInstanceId": "inst-slack"}`,
	`{"uniqueId": "u1", "email": "ada@example.com", "firstName": "Ada", "lastName": "Lovelace", "activatedAt": "2020-01-01T00:00:00Z", "appInstanceId": "inst-other"}`,
	`{"uniqueId": "u2", "email": "bob@example.com", "firstName": "Bob", "lastName": "Builder", "activatedAt": "2020-01-01T00:00:00Z", "appInstanceId": "inst-slack"}`,
	`{"uniqueId": "u3", "email": "cy@example.com", "firstName": "Cy", "lastName": "Young", "activatedAt": "2020-01-01T00:00:00Z", "deactivatedAt": "2020-03-15T15:56:53.889Z", "appInstanceId": "inst-other"}`,
}

func TestRosterAcrossApplications(t *testing.T) {
	s := newKindsSite(t, rosterConfig)
	s.file("apps.jsonl", appLines...)
	s.file("usage.jsonl",
		`{"uniqueId": "u1", "occurredAt": "2024-05-01T10:00:00Z", "notes": "login", "appInstanceId": "inst-slack"}`,
		`{"uniqueId": "u1", "occurredAt": "2024-05-03T10:00:00Z", "notes": "login", "appInstanceId": "inst-slack"}`,
		`{"uniqueId": "u1", "occurredAt": "2024-04-01T09:00:00Z", "notes": "login", "appInstanceId": "inst-other"}`,
	)
	s.file("roster.jsonl", rosterLines...)
	s.run("sso-apps")

	rep := s.run("sso-roster")
	wantCounts(t, "people", rep.Counts, store.Counts{Fetched: 4, Created: 3})
	wantCounts(t, "saas users", *rep.SaaSCounts, store.Counts{Fetched: 4, Created: 4})
	saas := s.records("sso-roster", store.SaaSUser)
	wantStatus(t, saas, map[string]string{"Slack/u1": store.Active, "inst-other/u1": store.Active, "Slack/u2": store.Active, "inst-other/u3": store.Inactive, "inst-slack/u1": ""})
	if got := saas["Slack/u1"].Fields["last_activity"]; got != "2024-05-03T10:00:00Z" {
		t.Errorf("Slack/u1 last_activity %q", got)
	}
	if got := saas["inst-other/u1"].Fields["last_activity"]; got != "2024-04-01T09:00:00Z" {
		t.Errorf("inst-other/u1 last_activity %q", got)
	}
	if got := saas["Slack/u2"].Fields["last_activity"]; got != "" {
		t.Errorf("Slack/u2 last_activity %q, want none", got)
	}
	wantStatus(t, s.records("sso-roster", store.Person), map[string]string{"u1": store.Active, "u2": store.Active, "u3": store.Inactive})

	rep = s.run("sso-roster")
	wantCounts(t, "unchanged people (one person per key)", rep.Counts, store.Counts{Fetched: 4, Unchanged: 3})
	wantCounts(t, "unchanged saas users", *rep.SaaSCounts, store.Counts{Fetched: 4, Unchanged: 4})

	// Ada leaves Slack: her Slack account only is deactivated.
	s.file("roster.jsonl", rosterLines[1:]...)
	rep = s.run("sso-roster")
	wantCounts(t, "saas users, one left Slack", *rep.SaaSCounts, store.Counts{Fetched: 3, Unchanged: 3, Deactivated: 1})
	if rep.Counts.Deactivated != 0 {
		t.Errorf("people deactivated: %+v", rep.Counts)
	}
	wantStatus(t, s.records("sso-roster", store.SaaSUser), map[string]string{"Slack/u1": store.Inactive, "inst-other/u1": store.Active, "Slack/u2": store.Active})
	wantStatus(t, s.records("sso-roster", store.Person), map[string]string{"u1": store.Active})

	// Back in Slack.
	s.file("roster.jsonl", rosterLines...)
	rep = s.run("sso-roster")
	wantCounts(t, "saas users, back", *rep.SaaSCounts, store.Counts{Fetched: 4, Unchanged: 4, Reactivated: 1})
	wantStatus(t, s.records("sso-roster", store.SaaSUser), map[string]string{"Slack/u1": store.Active})

	// A record without an application is invalid for its SaaS user, named
	// by its line; its person stays.
	s.file("roster.jsonl", append(rosterLines[:3:3], strings.Replace(rosterLines[3], `"appInstanceId": "inst-other"`, `"appInstanceId": null`, 1))...)
	rep = s.run("sso-roster")
	if rep.SaaSCounts.Invalid != 1 || len(rep.Invalid) != 1 || rep.Invalid[0] != "roster.jsonl:4: appInstanceId: no application (application_from) for the SaaS user" {
		t.Errorf("saas counts %+v, invalid %q", rep.SaaSCounts, rep.Invalid)
	}
	wantStatus(t, s.records("sso-roster", store.Person), map[string]string{"u3": store.Inactive})
}

const spendConfig = `
[[integration]]
name = "ap"
vendor = "file"
mode = "spend"
  [integration.mapping]
  "invoice.invoice_id" = "invoice_id"
  "invoice.vendor" = "vendor"
  "invoice.invoice_date" = "date"
  "invoice.amount" = "amount"
  "invoice.currency" = "currency"
  [integration.file]
  path = "invoices.csv"

[[integration]]
name = "ap-json"
vendor = "file"
mode = "spend"
  [integration.mapping]
  "invoice.invoice_id" = "id"
  "invoice.amount" = "amount"
  "invoice.invoice_date" = "invoiceDate"
  [integration.file]
  path = "invoices.jsonl"

[[integration]]
name = "ap-de"
vendor = "file"
mode = "spend"
  [integration.mapping]
  "invoice.invoice_id" = "Rechnung"
  "invoice.amount" = "Betrag | amount(\"de\")"
  [integration.file]
  path = "rechnungen.csv"
`

func TestSpend(t *testing.T) {
	s := newKindsSite(t, spendConfig)
	s.file("invoices.csv",
		"invoice_id,vendor,date,amount,currency",
		"INV-1,Slack,2024-01-31,12345.60,USD",
		"INV-1,Zoom,2024-02-01T10:00:00+02:00,-0.50,EUR",
		"INV-2,Zoom,2024-02-29,\"1.234,56\",EUR",
		"INV-3,Zoom,31/01/2024,10.00,EUR",
	)
	rep := s.run("ap")
	wantCounts(t, "first run", rep.Counts, store.Counts{Fetched: 4, Created: 2, Invalid: 2})
	wantInvalid := []string{
		`invoices.csv:4: invoice.amount: "1.234,56" is not an amount (want digits with a decimal point and no thousands separator, e.g. 12345.60): map it with amount("de")`,
		`invoices.csv:5: invoice.invoice_date: "31/01/2024" is not an ISO-8601 date (want YYYY-MM-DD or an RFC 3339 time such as 2024-01-31T00:00:00Z)`,
	}
	if strings.Join(rep.Invalid, "\n") != strings.Join(wantInvalid, "\n") {
		t.Errorf("invalid records:\n%s\nwant:\n%s", strings.Join(rep.Invalid, "\n"), strings.Join(wantInvalid, "\n"))
	}
	recs := s.records("ap", store.Invoice)
	if f := recs["Slack/INV-1"].Fields; f["amount"] != "12345.60" || f["invoice_date"] != "2024-01-31T00:00:00Z" || f["currency"] != "USD" {
		t.Errorf("Slack/INV-1: %v", f)
	}
	if f := recs["Zoom/INV-1"].Fields; f["amount"] != "-0.50" || f["invoice_date"] != "2024-02-01T08:00:00Z" {
		t.Errorf("Zoom/INV-1: %v", f)
	}
	// The text output names the bad records under the integration's line.
	code, out, _ := cli(s.cfg, "run-now", "ap")
	if code != exitOK || !strings.Contains(out, "\n  invalid: "+wantInvalid[0]+"\n  invalid: "+wantInvalid[1]+"\n") {
		t.Errorf("exit %d, output:\n%s", code, out)
	}
	// The line says what it counted: invoices, not people.
	if !strings.Contains(out, "; invoices: 4 fetched, 0 created, 0 updated, 2 unchanged") || strings.Contains(out, "people") {
		t.Errorf("run-now's line does not count invoices:\n%s", out)
	}
	if rep.Kind != store.Invoice {
		t.Errorf("report kind %q, want %q", rep.Kind, store.Invoice)
	}
	// agent changes lists the invoices' creations as it does people's.
	if code, out, errs := cli(s.cfg, "changes", "--integration", "ap", "--key", "Slack/INV-1", "--json"); code != exitOK ||
		!strings.Contains(out, `"kind":"invoice"`) || !strings.Contains(out, `"new":"created"`) {
		t.Errorf("changes of Slack/INV-1: exit %d: %s%s", code, out, errs)
	}

	// Invoices are additive: dropped from the file, they stay active.
	s.file("invoices.csv", "invoice_id,vendor,date,amount,currency", "INV-1,Slack,2024-01-31,12345.60,USD")
	rep = s.run("ap")
	wantCounts(t, "one left", rep.Counts, store.Counts{Fetched: 1, Unchanged: 1})
	wantStatus(t, s.records("ap", store.Invoice), map[string]string{"Slack/INV-1": store.Active, "Zoom/INV-1": store.Active})

	// A JSON number keeps its digits.
	s.file("invoices.jsonl",
		`{"id": "A-1", "amount": 12345.6, "invoiceDate": "2024-03-01T00:00:00Z"}`,
		`{"id": "A-2", "amount": 7, "invoiceDate": "2024-03-02"}`,
		`{"id": "A-3", "amount": 1e3}`,
	)
	rep = s.run("ap-json")
	wantCounts(t, "json numbers", rep.Counts, store.Counts{Fetched: 3, Created: 2, Invalid: 1})
	recs = s.records("ap-json", store.Invoice)
	if recs["A-1"].Fields["amount"] != "12345.6" || recs["A-2"].Fields["amount"] != "7" {
		t.Errorf("amounts: %v, %v", recs["A-1"].Fields, recs["A-2"].Fields)
	}
	if len(rep.Invalid) != 1 || !strings.HasPrefix(rep.Invalid[0], `invoices.jsonl:3: invoice.amount: "1e3" is not an amount`) {
		t.Errorf("invalid %q", rep.Invalid)
	}
	rep = s.run("ap-json")
	wantCounts(t, "json rerun", rep.Counts, store.Counts{Fetched: 3, Unchanged: 2, Invalid: 1})

	// Amounts written the German way, through amount("de").
	s.file("rechnungen.csv",
		"Rechnung,Betrag",
		`R-1,"1.234,56"`,
		`R-2,"1.234.567,8"`,
		`R-3,"0,5"`,
		`R-4,"1,234.56"`,
	)
	rep = s.run("ap-de")
	wantCounts(t, "German amounts", rep.Counts, store.Counts{Fetched: 4, Created: 3, Invalid: 1})
	recs = s.records("ap-de", store.Invoice)
	for key, want := range map[string]string{"R-1": "1234.56", "R-2": "1234567.8", "R-3": "0.5"} {
		if got := recs[key].Fields["amount"]; got != want {
			t.Errorf("%s: amount %q, want %q", key, got, want)
		}
	}
	if len(rep.Invalid) != 1 || !strings.HasPrefix(rep.Invalid[0], `rechnungen.csv:5: invoice.amount: `) || !strings.Contains(rep.Invalid[0], `"1,234.56" is not an amount written the German way (e.g. 1.234,56)`) {
		t.Errorf("invalid %q", rep.Invalid)
	}
}

const contractsConfig = `
[[integration]]
name = "clm"
vendor = "file"
mode = "contracts"
  [integration.mapping]
  "contract.contract_id" = "id"
  "contract.vendor" = "vendor"
  "contract.start" = "start"
  "contract.end" = "end"
  "contract.value" = "value"
  "contract.seats" = "seats"
  [integration.file]
  path = "contracts.jsonl"
`

func TestContracts(t *testing.T) {
	s := newKindsSite(t, contractsConfig)
	s.file("contracts.jsonl",
		`{"id": "C1", "vendor": "Slack", "start": "2024-01-01", "end": "2999-12-31", "value": "1200.00", "seats": "10"}`,
		`{"id": "C2", "vendor": "Zoom", "start": "2024-01-01", "end": "2999-12-31", "value": 300}`,
		`{"id": "C3", "vendor": "Old", "start": "2019-01-01", "end": "2020-01-01", "value": "1"}`,
		`{"id": "C4", "vendor": "Gone", "start": "2019-01-01", "end": "2020-06-30T00:00:00Z", "value": "5"}`,
		`{"id": "C5", "vendor": "Open", "start": "2024-01-01"}`,
		`{"id": "C6", "seats": "-3"}`,
	)
	rep := s.run("clm")
	wantCounts(t, "first run", rep.Counts, store.Counts{Fetched: 6, Created: 5, Invalid: 1})
	if len(rep.Invalid) != 1 || rep.Invalid[0] != `contracts.jsonl:6: contract.seats: "-3" is not a number of seats (want a whole number, 0 or more)` {
		t.Errorf("invalid %q", rep.Invalid)
	}
	wantStatus(t, s.records("clm", store.Contract), map[string]string{"C1": store.Active, "C2": store.Active, "C3": store.Inactive, "C4": store.Inactive, "C5": store.Active})
	if f := s.records("clm", store.Contract)["C1"].Fields; f["end"] != "2999-12-31T00:00:00Z" || f["seats"] != "10" || f["value"] != "1200.00" {
		t.Errorf("C1: %v", f)
	}

	rep = s.run("clm")
	wantCounts(t, "unchanged", rep.Counts, store.Counts{Fetched: 6, Unchanged: 5, Invalid: 1})

	// C4 is stored active as if its end had not passed at the last run;
	// it is no longer listed: its end ends it all the same. C1's end
	// passes while it is listed; C2 is dropped from the file and stays.
	s.exec(`UPDATE contracts SET status = 'active', deactivated_at = NULL WHERE key = 'C4';
		UPDATE active_counts SET active = active + 1 WHERE integration = 'clm' AND kind = 'contract'`)
	s.file("contracts.jsonl",
		`{"id": "C1", "vendor": "Slack", "start": "2024-01-01", "end": "2024-12-31", "value": "1200.00", "seats": "10"}`,
		`{"id": "C3", "vendor": "Old", "start": "2019-01-01", "end": "2020-01-01", "value": "1"}`,
		`{"id": "C5", "vendor": "Open", "start": "2024-01-01"}`,
	)
	rep = s.run("clm")
	wantCounts(t, "ends", rep.Counts, store.Counts{Fetched: 3, Updated: 1, Unchanged: 2, Deactivated: 2})
	wantStatus(t, s.records("clm", store.Contract), map[string]string{"C1": store.Inactive, "C2": store.Active, "C3": store.Inactive, "C4": store.Inactive, "C5": store.Active})
	code, out, errs := cli(s.cfg, "changes", "--integration", "clm", "--key", "C4", "--json")
	if code != exitOK || !strings.Contains(out, `"field":"status"`) || !strings.Contains(out, `"new":"inactive"`) {
		t.Errorf("C4's history: exit %d: %s%s", code, out, errs)
	}
}

// A spend integration over REST works as over a file.
func TestSpendOverREST(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"invoices": [{"number": "9", "supplier": "Acme", "total": 12.5, "date": "2024-01-02"}, {"number": "10", "supplier": "Acme", "total": "1,000.00"}]}`)
	}))
	defer srv.Close()
	s := newKindsSite(t, `
[[integration]]
name = "ap-rest"
vendor = "rest"
mode = "contracts"
mapping = { "contract.contract_id" = "number", "contract.vendor" = "supplier", "contract.value" = "total" }
  [integration.rest]
  users_url = "`+srv.URL+`/invoices"
  records_path = "invoices"

[[integration]]
name = "ap-rest-spend"
vendor = "rest"
mode = "spend"
mapping = { "invoice.invoice_id" = "number", "invoice.vendor" = "supplier", "invoice.amount" = "total", "invoice.invoice_date" = "date" }
  [integration.rest]
  users_url = "`+srv.URL+`/invoices"
  records_path = "invoices"
`)
	rep := s.run("ap-rest-spend")
	wantCounts(t, "spend", rep.Counts, store.Counts{Fetched: 2, Created: 1, Invalid: 1})
	if len(rep.Invalid) != 1 || !strings.HasPrefix(rep.Invalid[0], `page 1 record 2: invoice.amount: "1,000.00" is not an amount`) {
		t.Errorf("invalid %q", rep.Invalid)
	}
	if f := s.records("ap-rest-spend", store.Invoice)["Acme/9"].Fields; f["amount"] != "12.5" || f["invoice_date"] != "2024-01-02T00:00:00Z" {
		t.Errorf("Acme/9: %v", f)
	}
	rep = s.run("ap-rest-spend")
	wantCounts(t, "spend rerun", rep.Counts, store.Counts{Fetched: 2, Unchanged: 1, Invalid: 1})
	rep = s.run("ap-rest")
	wantCounts(t, "contracts", rep.Counts, store.Counts{Fetched: 2, Created: 1, Invalid: 1})
}

// The roster runs before the catalogue knows its applications: its
// accounts are stored under the instance ids. Once the catalogue names
// an id, the next roster run moves that id's accounts to the name, with
// the move in the history: nobody is deactivated or created again.
func TestRosterBeforeTheCatalogue(t *testing.T) {
	s := newKindsSite(t, rosterConfig)
	s.file("apps.jsonl", appLines...)
	s.file("usage.jsonl")
	s.file("roster.jsonl", rosterLines...)

	rep := s.run("sso-roster")
	wantCounts(t, "saas users, no catalogue", *rep.SaaSCounts, store.Counts{Fetched: 4, Created: 4})
	wantStatus(t, s.records("sso-roster", store.SaaSUser), map[string]string{"inst-slack/u1": store.Active, "inst-slack/u2": store.Active})

	s.run("sso-apps")
	rep = s.run("sso-roster")
	wantCounts(t, "saas users, moved to the name", *rep.SaaSCounts, store.Counts{Fetched: 4, Unchanged: 4})
	saas := s.records("sso-roster", store.SaaSUser)
	wantStatus(t, saas, map[string]string{"Slack/u1": store.Active, "Slack/u2": store.Active, "inst-other/u1": store.Active, "inst-slack/u1": ""})
	if len(saas) != 4 {
		t.Errorf("%d SaaS users, want 4: %v", len(saas), saas)
	}
	code, out, errs := cli(s.cfg, "changes", "--integration", "sso-roster", "--key", "u2", "--json")
	if code != exitOK || !strings.Contains(out, `"field":"application"`) || !strings.Contains(out, `"old":"inst-slack"`) || !strings.Contains(out, `"new":"Slack"`) {
		t.Errorf("u2's history: exit %d: %s%s", code, out, errs)
	}
}

// The SSO renames an application: the roster's accounts follow it to the
// new name, with the move in the history, instead of being deactivated
// under the old name and created again under the new one.
func TestRosterFollowsACatalogueRename(t *testing.T) {
	s := newKindsSite(t, rosterConfig)
	s.file("apps.jsonl", appLines...)
	s.file("usage.jsonl")
	s.file("roster.jsonl", rosterLines...)
	s.run("sso-apps")
	s.run("sso-roster")
	wantStatus(t, s.records("sso-roster", store.SaaSUser), map[string]string{"Slack/u1": store.Active, "Slack/u2": store.Active})

	renamed := append([]string{strings.Replace(appLines[0], `"ssoAppName": "Slack"`, `"ssoAppName": "Slack Enterprise Grid"`, 1)}, appLines[1:]...)
	s.file("apps.jsonl", renamed...)
	if rep := s.run("sso-apps"); rep.Counts.Updated != 1 {
		t.Fatalf("catalogue rename: %+v", rep.Counts)
	}
	rep := s.run("sso-roster")
	wantCounts(t, "saas users after the rename", *rep.SaaSCounts, store.Counts{Fetched: 4, Unchanged: 4})
	saas := s.records("sso-roster", store.SaaSUser)
	wantStatus(t, saas, map[string]string{"Slack Enterprise Grid/u1": store.Active, "Slack Enterprise Grid/u2": store.Active, "Slack/u1": "", "inst-other/u1": store.Active})
	if len(saas) != 4 {
		t.Errorf("%d SaaS users, want 4: %v", len(saas), saas)
	}
	code, out, errs := cli(s.cfg, "changes", "--integration", "sso-roster", "--key", "u2", "--json")
	if code != exitOK || !strings.Contains(out, `"old":"Slack"`) || !strings.Contains(out, `"new":"Slack Enterprise Grid"`) {
		t.Errorf("u2's history: exit %d: %s%s", code, out, errs)
	}
	// An id the catalogue does not know stays as it is, run after run.
	rep = s.run("sso-roster")
	wantCounts(t, "saas users, rerun", *rep.SaaSCounts, store.Counts{Fetched: 4, Unchanged: 4})
}
