package export

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/agent/store/storetest"
	"github.com/agentsync/agent/mapping"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// golden compares got with testdata/name (go test -update rewrites it).
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n--- got\n%s--- want\n%s", name, got, want)
	}
}

// exportStore holds an SSO catalogue (two runs: Zoom is gone from the
// second, so inactive; Slack seen by both), a finance system's invoices
// and a contract system's contracts, each with a custom field.
func exportStore(t *testing.T) *store.Store {
	st := storetest.Open(t)
	r1 := time.Date(2026, 1, 5, 23, 0, 0, 0, time.UTC)
	r2 := time.Date(2026, 1, 6, 23, 0, 0, 0, time.UTC)
	slack := storetest.Rec{Kind: store.Application, Key: "76d33699", Fields: map[string]string{
		"name": "Slack", "display_name": "Slack - Business Communication for Teams", "app_id": "76d33699",
		"instance_id": "76d33699", "created": "2020-03-05T15:56:53Z", "guests_allowed": "true", "custom.owner": "it-ops"}}
	zoom := storetest.Rec{Kind: store.Application, Key: "5cc55141", Fields: map[string]string{
		"name": "Zoom", "display_name": "Zoom", "instance_id": "5cc55141", "guests_allowed": "false"}}
	storetest.Sync(t, st, "sso-apps", "run-1", r1, []storetest.Rec{slack, zoom})
	storetest.Sync(t, st, "sso-apps", "run-2", r2, []storetest.Rec{slack})
	storetest.Sync(t, st, "finance", "run-3", r1, []storetest.Rec{
		{Kind: store.Invoice, Key: "INV-1001", Fields: map[string]string{"vendor": "Slack Technologies", "invoice_id": "INV-1001",
			"invoice_date": "2026-01-31T00:00:00Z", "amount": "12345.60", "currency": "EUR", "application": "Slack",
			"period_start": "2026-01-01T00:00:00Z", "period_end": "2026-01-31T00:00:00Z", "custom.cost_center": "CC-42"}},
		{Kind: store.Invoice, Key: "INV-1002", Fields: map[string]string{"vendor": "Zoom Video", "invoice_id": "INV-1002",
			"invoice_date": "2026-02-28T00:00:00Z", "amount": "10.00", "currency": "USD", "application": "Zoom"}},
	})
	storetest.Sync(t, st, "contracts", "run-4", r1, []storetest.Rec{
		{Kind: store.Contract, Key: "C-7", Fields: map[string]string{"contract_id": "C-7", "vendor": "Slack Technologies",
			"application": "Slack", "start": "2025-07-01T00:00:00Z", "end": "2026-06-30T00:00:00Z", "value": "24000.00",
			"currency": "EUR", "seats": "50", "owner": "cio@example.com", "custom.renewal": "auto"}},
	})
	return st
}

func compile(t *testing.T, m map[string]string) *mapping.Mapping {
	t.Helper()
	c, err := mapping.Compile(m)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestExportDiscoveryKinds(t *testing.T) {
	ctx := context.Background()
	before := time.Now().UTC().Truncate(time.Second)
	st := exportStore(t)
	after := time.Now().UTC()
	tests := []struct {
		integration string
		kind        store.Kind
		mapping     map[string]string
		golden      string
	}{
		{"sso-apps", store.Application, map[string]string{"application.name": "ssoAppName", "application.custom.owner": "owner"}, "applications"},
		{"finance", store.Invoice, map[string]string{"invoice.amount": "amount", "invoice.custom.cost_center": "cc",
			"invoice.custom.synced": "$sync_time"}, "invoices"},
		{"contracts", store.Contract, map[string]string{"contract.contract_id": "contractId", "contract.custom.renewal": "renewal"}, "contracts"},
	}
	for _, tc := range tests {
		t.Run(tc.golden, func(t *testing.T) {
			e := New(tc.integration, tc.kind, compile(t, tc.mapping))
			var jl, cv bytes.Buffer
			if err := e.JSONL(ctx, st, &jl); err != nil {
				t.Fatal(err)
			}
			if err := e.CSV(ctx, st, &cv); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.golden+".jsonl", maskNow(t, jl.Bytes(), before, after))
			golden(t, tc.golden+".csv", maskNow(t, cv.Bytes(), before, after))
		})
	}
}

var rfc3339 = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`)

// maskNow replaces the times between before and after, the ones the
// store wrote (an application's first_seen, its creation; Zoom's
// deactivated_at), with <now>; every time of the fixtures is months away.
func maskNow(t *testing.T, b []byte, before, after time.Time) []byte {
	t.Helper()
	return rfc3339.ReplaceAllFunc(b, func(m []byte) []byte {
		at, err := time.Parse(time.RFC3339, string(m))
		if err == nil && !at.Before(before) && !at.After(after) {
			return []byte("<now>")
		}
		return m
	})
}
