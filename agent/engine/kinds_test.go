package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/mapping"
	"github.com/agentsync/agent/vendors"
)

func kindSpec(t testing.TB, mode string, m map[string]string) Spec {
	t.Helper()
	cm, err := mapping.Compile(m)
	if err != nil {
		t.Fatal(err)
	}
	return Spec{Integration: "k", Mode: mode, Preference: CreateUpdate, Deactivate: true, MaxDeactivatePercent: 20, Mapping: cm}
}

// The key of each mode's primary kind.
func TestPrimaryKindKey(t *testing.T) {
	tests := []struct {
		name, mode string
		mapping    map[string]string
		rec        vendors.Record
		key, err   string
	}{
		{"person by username", ModeUsers, map[string]string{"user.username": "u", "user.email": "e"}, vendors.Record{"u": "ada", "e": "a@x"}, "ada", ""},
		{"person by email", ModeUsers, map[string]string{"user.username": "u", "user.email": "e"}, vendors.Record{"e": "a@x"}, "a@x", ""},
		{"person without", ModeUsers, map[string]string{"user.email": "e"}, vendors.Record{}, "", "user.username and user.email are both empty after mapping"},
		{"application by instance", ModeApplications, map[string]string{"application.instance_id": "i", "application.name": "n"}, vendors.Record{"i": "inst", "n": "Slack"}, "inst", ""},
		{"application by name", ModeApplications, map[string]string{"application.instance_id": "i", "application.name": "n"}, vendors.Record{"n": "Slack"}, "Slack", ""},
		{"application without", ModeApplications, map[string]string{"application.name": "n"}, vendors.Record{}, "", "application.instance_id and application.name are both empty after mapping"},
		{"invoice by vendor", ModeSpend, map[string]string{"invoice.invoice_id": "i", "invoice.vendor": "v", "invoice.amount": "a"}, vendors.Record{"i": "7", "v": "Acme", "a": "1"}, "Acme/7", ""},
		{"invoice, vendor empty", ModeSpend, map[string]string{"invoice.invoice_id": "i", "invoice.vendor": "v", "invoice.amount": "a"}, vendors.Record{"i": "7", "a": "1"}, "7", ""},
		{"invoice, vendor unmapped", ModeSpend, map[string]string{"invoice.invoice_id": "i", "invoice.amount": "a"}, vendors.Record{"i": "7", "v": "Acme", "a": "1"}, "7", ""},
		{"invoice without amount", ModeSpend, map[string]string{"invoice.invoice_id": "i", "invoice.amount": "a"}, vendors.Record{"i": "7"}, "", "invoice.amount is empty after mapping"},
		{"invoice, bad amount", ModeSpend, map[string]string{"invoice.invoice_id": "i", "invoice.amount": "a"}, vendors.Record{"i": "7", "a": "1,5"}, "", `invoice.amount: "1,5" is not an amount`},
		{"contract", ModeContracts, map[string]string{"contract.contract_id": "i"}, vendors.Record{"i": "C-1"}, "C-1", ""},
		{"contract, bad end", ModeContracts, map[string]string{"contract.contract_id": "i", "contract.end": "e"}, vendors.Record{"i": "C-1", "e": "soon"}, "", `contract.end: "soon" is not an ISO-8601 date`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &run{spec: kindSpec(t, tt.mode, tt.mapping), rep: &Report{}}
			r.setup()
			e, err := r.mapRecord(tt.rec, mapping.Env{})
			if e.key != tt.key {
				t.Errorf("key %q, want %q", e.key, tt.key)
			}
			if (err == nil) != (tt.err == "") || err != nil && !strings.Contains(err.Error(), tt.err) {
				t.Errorf("error %v, want %q", err, tt.err)
			}
		})
	}
}

func TestISODate(t *testing.T) {
	for in, want := range map[string]string{
		"2024-01-31":                "2024-01-31T00:00:00Z",
		"2020-03-05T15:56:53.889Z":  "2020-03-05T15:56:53Z",
		"2024-02-01T10:00:00+02:00": "2024-02-01T08:00:00Z",
		" 2024-01-31 ":              "2024-01-31T00:00:00Z",
		"31/01/2024":                "",
		"2024-1-3":                  "",
		"":                          "",
	} {
		got, err := isoDate(in)
		if got != want || (err != nil) != (want == "") {
			t.Errorf("isoDate(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// Contracts: active while their end has not passed (the run's UTC date).
func TestContractStatus(t *testing.T) {
	r := &run{spec: kindSpec(t, ModeContracts, map[string]string{"contract.contract_id": "i"}), rep: &Report{}}
	r.setup()
	r.today = "2025-06-15"
	for end, want := range map[string]bool{"": true, "2025-06-15T00:00:00Z": true, "2025-06-14T23:59:59Z": false, "2030-01-01T00:00:00Z": true} {
		if got := r.activeOf(map[string]string{"end": end}, false); got != want {
			t.Errorf("end %q: active %v, want %v", end, got, want)
		}
	}
	inv := &run{spec: kindSpec(t, ModeSpend, map[string]string{"invoice.invoice_id": "i", "invoice.amount": "a"}), rep: &Report{}}
	inv.setup()
	if !inv.activeOf(nil, false) {
		t.Error("an invoice inactive")
	}
}

func rosterSpec(t testing.TB) Spec {
	s := kindSpec(t, ModeSaaSUsers, map[string]string{"user.username": "id", "saas_user.role": "role"})
	s.ApplicationFrom, s.MaxDeactivatePercent = "app", 40
	s.Active = Active{Field: "gone", InactiveWhenSet: true}
	return s
}

func roster(recs ...string) []vendors.Record {
	var out []vendors.Record
	for _, r := range recs {
		id, app, _ := strings.Cut(r, "@")
		rec := vendors.Record{"id": id, "app": app, "role": "member"}
		if strings.HasSuffix(app, "!") {
			rec["app"], rec["gone"] = strings.TrimSuffix(app, "!"), "2024-01-01"
		}
		out = append(out, rec)
	}
	return out
}

// A roster across applications: people once, SaaS users per application,
// deactivation per application, the guard over the kind's total.
func TestRosterScopes(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	sp := rosterSpec(t)
	run := func(recs ...string) Report {
		t.Helper()
		return Run(ctx, st, sp, pages{recs: roster(recs...), size: 3}, Options{})
	}
	rep := run("a@x", "a@y", "b@x", "c@y", "d@y", "e@x!", "e@y")
	if rep.Outcome != store.OutcomeSuccess || rep.Counts.Created != 5 || rep.SaaSCounts.Created != 7 {
		t.Fatalf("%+v %+v", rep, rep.SaaSCounts)
	}
	// e is inactive in x but active in y: the person is active.
	if rec := byKey(t, st, store.Person, "e"); rec.Status != store.Active {
		t.Errorf("e: %s", rec.Status)
	}
	// a leaves x: deactivated there only (1 of 6 active SaaS users).
	rep = run("a@y", "b@x", "c@y", "d@y", "e@x!", "e@y")
	if rep.Outcome != store.OutcomeSuccess || rep.SaaSCounts.Deactivated != 1 || rep.Counts.Deactivated != 0 {
		t.Fatalf("%+v %+v", rep, rep.SaaSCounts)
	}
	// Everybody still listed, but three of the five active SaaS users
	// move to a new application: the guard weighs the kind's total.
	rep = run("a@z", "b@x", "c@y", "d@z", "e@z")
	if rep.Outcome != store.OutcomeFailed || !errors.Is(errorOf(rep), ErrGuard) || !strings.Contains(rep.Error, "3 of 5 active saas_user records") ||
		strings.Join(rep.Staged, ",") != "y: a,y: d,y: e" {
		t.Fatalf("%+v", rep)
	}
}

func errorOf(rep Report) error {
	if strings.Contains(rep.Error, ErrGuard.Error()) {
		return ErrGuard
	}
	return fmt.Errorf("%s", rep.Error)
}

func byKey(t *testing.T, st *store.Store, kind store.Kind, key string) store.Record {
	t.Helper()
	got, err := st.RecordsByKey(context.Background(), "k", kind, "", []string{key})
	if err != nil {
		t.Fatal(err)
	}
	return got[key]
}
