package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/agent/store/storetest"
)

// saasExampleReport is `agent report saas --as-of 2026-06-30` over the
// SaaS discovery examples; README.md shows it.
const saasExampleReport = `SaaS applications as of 2026-06-30

APPLICATION           CATALOGUE  ACTIVE  INACTIVE  IDLE 30D  IDLE 60D  IDLE 90D  SEATS  UNUSED  SPEND 12M     NEXT END
Atlassian Jira Cloud  active     0       0         0         0         0         25     25      12345.60 EUR  2027-02-28
Figma                 -          0       0         0         0         0         -      -       540.00 USD    -
Miro                  active     0       0         0         0         0         5      5       960.00 USD    2026-11-19
Slack                 active     4       1         3         2         2         10     6       17010.00 EUR  2026-06-30
StratoKey (NetSuite)  active     0       0         0         0         0         -      -       -             -
Zoom                  active     3       1         1         1         0         4      1       1799.90 USD   2026-12-31
`

func readExampleJSONL(t *testing.T, name string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("%s: %q: %v", name, line, err)
		}
		out = append(out, m)
	}
	return out
}

func readExampleCSV(t *testing.T, name string) []map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var out []map[string]string
	for _, r := range rows[1:] {
		m := map[string]string{}
		for i, h := range rows[0] {
			m[h] = r[i]
		}
		out = append(out, m)
	}
	return out
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// rfc3339 is what the mapping's time transform makes of the examples' times.
func rfc3339(t *testing.T, s string) string {
	if s == "" {
		return ""
	}
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return at.UTC().Format(time.RFC3339)
}

// TestSaaSExamples loads the SaaS discovery examples into a store the way
// config.example.toml's commented integrations map them (the catalogue by
// ssoAppName, the roster's application through appInstanceId, usage
// folded into last activity, deactivatedAt = inactive), checks that
// invoices-de.csv is invoices.csv with German amounts, and that the
// report is the one README.md shows.
func TestSaaSExamples(t *testing.T) {
	s := newSandbox(t)
	s.write(s.cfg, "[agent]\ndata_dir = \"data\"\n")
	st, err := store.Open(context.Background(), filepath.Join(s.dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 6, 30, 23, 0, 0, 0, time.UTC)

	names := map[string]string{} // appInstanceId → ssoAppName
	var apps []storetest.Rec
	for _, a := range readExampleJSONL(t, "sso-applications.jsonl") {
		names[str(a["appInstanceId"])] = str(a["ssoAppName"])
		apps = append(apps, storetest.Rec{Kind: store.Application, Key: str(a["appInstanceId"]), Fields: map[string]string{
			"name": str(a["ssoAppName"]), "display_name": str(a["ssoAppDisplayName"]), "instance_id": str(a["appInstanceId"])}})
	}
	storetest.Sync(t, st, "sso-apps", "r1", at, apps)

	last := map[[2]string]string{}
	for _, e := range readExampleJSONL(t, "sso-usage.jsonl") {
		k := [2]string{str(e["uniqueId"]), str(e["appInstanceId"])}
		if at := rfc3339(t, str(e["occurredAt"])); at > last[k] {
			last[k] = at
		}
	}
	var roster []storetest.Rec
	for _, u := range readExampleJSONL(t, "sso-roster.jsonl") {
		app, ok := names[str(u["appInstanceId"])]
		if !ok {
			t.Errorf("sso-roster.jsonl: %s: appInstanceId %s is not in sso-applications.jsonl", u["uniqueId"], u["appInstanceId"])
		}
		roster = append(roster, storetest.Rec{Kind: store.SaaSUser, Application: app, Key: str(u["uniqueId"]), Fields: map[string]string{
			"username": str(u["uniqueId"]), "email": str(u["email"]), "last_activity": last[[2]string{str(u["uniqueId"]), str(u["appInstanceId"])}]},
			Inactive: str(u["deactivatedAt"]) != ""})
	}
	storetest.Sync(t, st, "sso-roster", "r2", at, roster)

	de := readExampleCSV(t, "invoices-de.csv")
	var invoices []storetest.Rec
	for i, v := range readExampleCSV(t, "invoices.csv") {
		if german := strings.ReplaceAll(strings.ReplaceAll(de[i]["amount"], ".", ""), ",", "."); german != v["amount"] || de[i]["invoiceId"] != v["invoiceId"] {
			t.Errorf("invoices-de.csv line %d: %s %q is not %s %q", i+2, de[i]["invoiceId"], de[i]["amount"], v["invoiceId"], v["amount"])
		}
		invoices = append(invoices, storetest.Rec{Kind: store.Invoice, Key: v["invoiceId"], Fields: map[string]string{
			"vendor": v["vendor"], "invoice_id": v["invoiceId"], "invoice_date": rfc3339(t, v["invoiceDate"]), "amount": v["amount"],
			"currency": v["currency"], "application": v["application"]}})
	}
	storetest.Sync(t, st, "finance", "r3", at, invoices)

	var contracts []storetest.Rec
	for _, c := range readExampleCSV(t, "contracts.csv") {
		contracts = append(contracts, storetest.Rec{Kind: store.Contract, Key: c["contractId"], Fields: map[string]string{
			"contract_id": c["contractId"], "application": c["application"], "start": rfc3339(t, c["startDate"]),
			"end": rfc3339(t, c["endDate"]), "seats": c["seats"], "value": c["value"], "currency": c["currency"]}})
	}
	storetest.Sync(t, st, "contracts", "r4", at, contracts)
	st.Close()

	code, out, errs := s.agent("report", "saas", "--as-of", "2026-06-30")
	if code != exitOK || out != saasExampleReport || errs != "" {
		t.Errorf("report: exit %d\n%s\nwant\n%s\nstderr: %s", code, out, saasExampleReport, errs)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), saasExampleReport) {
		t.Error("README.md does not show the examples' report (saasExampleReport)")
	}
}
