package report

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/agent/store/storetest"
)

// BenchmarkSaaSReport100k: the report over 100,000 SaaS users of 50
// applications, with a catalogue, 2,000 invoices and 100 contracts. It
// must stay well under a second (go test -bench SaaSReport ./agent/report).
func BenchmarkSaaSReport100k(b *testing.B) {
	st := storetest.Open(b)
	t0 := time.Date(2026, 3, 30, 23, 0, 0, 0, time.UTC)
	var recs []storetest.Rec
	for i := range 50 {
		recs = append(recs, storetest.Rec{Kind: store.Application, Key: fmt.Sprint(i), Fields: map[string]string{"name": fmt.Sprintf("App %d", i)}})
	}
	for i := range 100_000 {
		last := t0.AddDate(0, 0, -(i % 120)).Format(time.RFC3339)
		recs = append(recs, storetest.Rec{Kind: store.SaaSUser, Application: fmt.Sprintf("App %d", i%50), Key: fmt.Sprintf("u%06d@example.com", i),
			Fields: map[string]string{"username": fmt.Sprintf("u%06d@example.com", i), "email": fmt.Sprintf("u%06d@example.com", i),
				"role": "member", "last_activity": last, "licenses": "standard"}, Inactive: i%10 == 0})
	}
	for i := range 2000 {
		recs = append(recs, storetest.Rec{Kind: store.Invoice, Key: fmt.Sprint("INV-", i), Fields: map[string]string{
			"application": fmt.Sprintf("App %d", i%50), "invoice_date": t0.AddDate(0, 0, -i/3).Format(time.RFC3339), "amount": "1234.56", "currency": "EUR"}})
	}
	for i := range 100 {
		recs = append(recs, storetest.Rec{Kind: store.Contract, Key: fmt.Sprint("C-", i), Fields: map[string]string{
			"application": fmt.Sprintf("App %d", i%50), "start": "2025-01-01T00:00:00Z", "end": "2026-12-31T00:00:00Z", "seats": "100"}})
	}
	storetest.Sync(b, st, "big", "r1", t0, recs)
	b.ResetTimer()
	for b.Loop() {
		rep, err := BuildSaaS(context.Background(), st, t0)
		if err != nil || len(rep.Rows) != 50 {
			b.Fatal(err, len(rep.Rows))
		}
	}
}
