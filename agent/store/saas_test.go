package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/agent/store/storetest"
)

// The discovery kinds are created in their own tables (not people's), and
// CountByStatus counts each integration's records of each kind.
func TestDiscoveryKindsLandInTheirTables(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	t0 := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
	storetest.Sync(t, st, "sso", "r1", t0, []storetest.Rec{
		{Kind: store.Application, Key: "a1", Fields: map[string]string{"name": "Slack"}},
		{Kind: store.Application, Key: "a2", Fields: map[string]string{"name": "Zoom"}},
	})
	storetest.Sync(t, st, "fin", "r2", t0, []storetest.Rec{
		{Kind: store.Invoice, Key: "i1", Fields: map[string]string{"amount": "10.00"}},
	})
	storetest.Sync(t, st, "crm", "r3", t0, []storetest.Rec{
		{Kind: store.Person, Key: "ada"},
		{Kind: store.SaaSUser, Application: "CRM", Key: "ada"},
		{Kind: store.SaaSUser, Application: "CRM", Key: "bob", Inactive: true},
	})
	// The next catalogue run no longer lists Zoom: deactivated.
	storetest.Sync(t, st, "sso", "r4", t0.Add(time.Hour), []storetest.Rec{
		{Kind: store.Application, Key: "a1", Fields: map[string]string{"name": "Slack"}},
	})
	got, err := st.CountByStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[store.Kind]store.KindCount{
		"sso": {store.Application: {Active: 1, Inactive: 1}},
		"fin": {store.Invoice: {Active: 1}},
		"crm": {store.Person: {Active: 1}, store.SaaSUser: {Active: 1, Inactive: 1}},
	}
	if len(got) != len(want) {
		t.Fatalf("counts = %v, want %v", got, want)
	}
	for in, kinds := range want {
		if len(got[in]) != len(kinds) {
			t.Errorf("%s: counts = %v, want %v", in, got[in], kinds)
		}
		for k, c := range kinds {
			if got[in][k] != c {
				t.Errorf("%s %s: %+v, want %+v", in, k, got[in][k], c)
			}
		}
	}
	var inv []string
	err = st.Records(ctx, "fin", store.Invoice, func(r store.Record) error {
		inv = append(inv, r.Key+"="+r.Fields["amount"])
		return nil
	})
	if err != nil || len(inv) != 1 || inv[0] != "i1=10.00" {
		t.Errorf("invoices of fin = %v, %v", inv, err)
	}
}
