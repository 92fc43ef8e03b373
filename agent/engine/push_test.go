package engine

import (
	"context"
	"errors"
	"testing"

	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/mapping"
	"github.com/agentsync/agent/vendors"
)

func status(t *testing.T, st *store.Store, kind store.Kind, app, key string) string {
	t.Helper()
	recs, err := st.RecordsByKey(context.Background(), "acme", kind, app, []string{key})
	if err != nil {
		t.Fatal(err)
	}
	return recs[key].Status
}

// A push is never the whole list: the records it leaves out keep their
// status, in both kinds, after a full run and after another push.
func TestPushNeverDeactivatesTheMissing(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	sp := spec(t, ModeSaaSUsers)
	sp.Destinations = []string{"tenant"}
	if rep := Run(ctx, st, sp, pages{recs: users(10)}, Options{}); rep.Outcome != store.OutcomeSuccess {
		t.Fatalf("run: %+v", rep)
	}
	rep, err := Push(ctx, st, sp, []vendors.Record{user(3, "active"), user(11, "active")}, PushOptions{Event: "hr.sync", Actor: "bob"})
	if err != nil || rep.Outcome != store.OutcomeSuccess {
		t.Fatalf("push: %v %+v", err, rep)
	}
	want := store.Counts{Fetched: 2, Created: 1, Unchanged: 1}
	if rep.Counts != want || *rep.SaaSCounts != want {
		t.Fatalf("counts %+v saas %+v, want %+v", rep.Counts, *rep.SaaSCounts, want)
	}
	for _, k := range []string{"user1@example.com", "user10@example.com", "user11@example.com"} {
		if s := status(t, st, store.Person, "", k); s != store.Active {
			t.Errorf("person %s is %q after a push without it", k, s)
		}
		if s := status(t, st, store.SaaSUser, "Acme", k); s != store.Active {
			t.Errorf("saas user %s is %q after a push without it", k, s)
		}
	}
	run, err := st.Run(ctx, rep.RunID)
	if err != nil || run.Trigger != TriggerPush || run.Event != "hr.sync" || run.Actor != "bob" || run.Outcome != store.OutcomeSuccess {
		t.Fatalf("run row %+v, %v", run, err)
	}
	// Queued for the destination in the push's commit.
	d, err := st.Delivery(ctx, "tenant", "acme")
	if err != nil || d.QueuedRun != rep.RunID {
		t.Fatalf("delivery %+v, %v", d, err)
	}
}

// With deactivate = true a record pushed inactive is deactivated and one
// pushed active again is reactivated, with the history of both.
func TestPushStatus(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	sp := spec(t, ModeUsers)
	if _, err := Push(ctx, st, sp, users(3), PushOptions{}); err != nil {
		t.Fatal(err)
	}
	rep, err := Push(ctx, st, sp, []vendors.Record{user(2, "suspended")}, PushOptions{})
	if err != nil || rep.Counts.Deactivated != 1 {
		t.Fatalf("push: %v %+v", err, rep.Counts)
	}
	if s := status(t, st, store.Person, "", "user2@example.com"); s != store.Inactive {
		t.Fatalf("user2 is %q", s)
	}
	rep, err = Push(ctx, st, sp, []vendors.Record{user(2, "active")}, PushOptions{})
	if err != nil || rep.Counts.Reactivated != 1 || rep.Counts.Deactivated != 0 {
		t.Fatalf("push: %v %+v", err, rep.Counts)
	}
	hist, err := st.Changes(ctx, "acme", "user2@example.com")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range hist {
		if c.Field == "status" {
			got = append(got, c.Old+">"+c.New)
		}
	}
	if len(got) != 2 || got[0] != "active>inactive" || got[1] != "inactive>active" {
		t.Fatalf("status history %v", got)
	}
}

// Check refuses the whole push for one record without an identity, and
// Push then writes nothing, not even a run.
func TestPushRefusesARecordWithoutIdentity(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	recs := users(3)
	delete(recs[1], "email")
	_, err := Push(ctx, st, spec(t, ModeUsers), recs, PushOptions{})
	var re *RecordError
	if !errors.As(err, &re) || re.Index != 1 {
		t.Fatalf("err %v, want a RecordError for record 1", err)
	}
	if runs, _ := st.Runs(ctx, "acme", 0); len(runs) != 0 {
		t.Fatalf("runs %+v", runs)
	}
	if hist, _ := st.Changes(ctx, "acme", ""); len(hist) != 0 {
		t.Fatalf("history %+v", hist)
	}
}

func TestDeactivate(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	sp := spec(t, ModeSaaSUsers)
	if _, err := Push(ctx, st, sp, users(3), PushOptions{}); err != nil {
		t.Fatal(err)
	}
	rep, err := Deactivate(ctx, st, sp, "user2@example.com", PushOptions{Event: "offboard"})
	if err != nil || rep.Counts.Deactivated != 1 || rep.SaaSCounts.Deactivated != 1 {
		t.Fatalf("deactivate: %v %+v", err, rep)
	}
	for _, k := range []string{"user1@example.com", "user3@example.com"} {
		if s := status(t, st, store.Person, "", k); s != store.Active {
			t.Errorf("%s is %q", k, s)
		}
	}
	if s := status(t, st, store.SaaSUser, "Acme", "user2@example.com"); s != store.Inactive {
		t.Errorf("saas user2 is %q", s)
	}
	if _, err := Deactivate(ctx, st, sp, "nobody@example.com", PushOptions{}); !errors.Is(err, ErrNoRecord) {
		t.Fatalf("unknown key: %v", err)
	}
	hist, _ := st.History(ctx, store.ChangeQuery{Integration: "acme", Key: "user2@example.com", Limit: 1})
	if len(hist) != 1 || hist[0].Field != "status" || hist[0].Event != "offboard" {
		t.Fatalf("history %+v", hist)
	}
}

// Pushes of the SaaS discovery kinds: applications are created, left
// alone when missing, deactivated on request and reactivated when pushed
// again; invoices are created and never deactivated, not even on request.
func TestPushDiscoveryKinds(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	compile := func(m map[string]string) *mapping.Mapping {
		c, err := mapping.Compile(m)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	apps := Spec{Integration: "sso", Mode: ModeApplications, Preference: CreateUpdate, Deactivate: true, MaxDeactivatePercent: 20,
		Mapping: compile(map[string]string{"application.name": "name", "application.instance_id": "id"})}
	app := func(id, name string) vendors.Record { return vendors.Record{"id": id, "name": name} }
	rep, err := Push(ctx, st, apps, []vendors.Record{app("i1", "Slack"), app("i2", "Zoom")}, PushOptions{})
	if err != nil || rep.Counts != (store.Counts{Fetched: 2, Created: 2}) {
		t.Fatalf("push applications: %v %+v", err, rep.Counts)
	}
	if rep, err = Push(ctx, st, apps, []vendors.Record{app("i1", "Slack")}, PushOptions{}); err != nil || rep.Counts != (store.Counts{Fetched: 1, Unchanged: 1}) {
		t.Fatalf("push one: %v %+v", err, rep.Counts)
	}
	if rep, err = Deactivate(ctx, st, apps, "i2", PushOptions{}); err != nil || rep.Counts.Deactivated != 1 {
		t.Fatalf("deactivate an application: %v %+v", err, rep.Counts)
	}
	if _, err := Deactivate(ctx, st, apps, "nope", PushOptions{}); !errors.Is(err, ErrNoRecord) {
		t.Fatalf("deactivate a missing application: %v", err)
	}
	if rep, err = Push(ctx, st, apps, []vendors.Record{app("i2", "Zoom")}, PushOptions{}); err != nil || rep.Counts.Reactivated != 1 {
		t.Fatalf("push it again: %v %+v", err, rep.Counts)
	}

	spend := Spec{Integration: "ap", Mode: ModeSpend, Preference: CreateUpdate, Deactivate: true, MaxDeactivatePercent: 20,
		Mapping: compile(map[string]string{"invoice.invoice_id": "id", "invoice.amount": "amount | amount(\"de\")"})}
	inv := func(id, amt string) vendors.Record { return vendors.Record{"id": id, "amount": amt} }
	if rep, err = Push(ctx, st, spend, []vendors.Record{inv("R-1", "1.234,56"), inv("R-2", "7")}, PushOptions{}); err != nil || rep.Counts != (store.Counts{Fetched: 2, Created: 2}) {
		t.Fatalf("push invoices: %v %+v", err, rep.Counts)
	}
	if recs, _ := st.RecordsByKey(ctx, "ap", store.Invoice, "", []string{"R-1"}); recs["R-1"].Fields["amount"] != "1234.56" {
		t.Errorf("R-1: %+v", recs["R-1"])
	}
	if _, err := Deactivate(ctx, st, spend, "R-1", PushOptions{}); !errors.Is(err, ErrNotDeactivated) {
		t.Fatalf("deactivate an invoice: %v", err)
	}
	recs, err := st.RecordsByKey(ctx, "ap", store.Invoice, "", []string{"R-1", "R-2"})
	if err != nil || recs["R-1"].Status != store.Active || recs["R-2"].Status != store.Active {
		t.Fatalf("invoices after the refused delete: %v %+v", err, recs)
	}
}
