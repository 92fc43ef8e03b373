package main

import (
	"fmt"
	"strings"

	"github.com/agentsync/agent/agent/engine"
	"github.com/agentsync/agent/agent/store"
)

// kindNames are the record kinds as export's --kind and status name them,
// in the store's order.
var kindNames = []struct {
	kind  store.Kind
	name  string // export's --kind, status --json's key
	label string // status's text
}{
	{store.Person, "people", store.Person.Plural()},
	{store.SaaSUser, "saas_users", store.SaaSUser.Plural()},
	{store.Application, "applications", store.Application.Plural()},
	{store.Invoice, "invoices", store.Invoice.Plural()},
	{store.Contract, "contracts", store.Contract.Plural()},
}

// integrationCounts are the counts status shows for one integration: the
// kinds its mode writes and any other the store holds for it.
func integrationCounts(held map[store.Kind]store.KindCount, mode string) map[string]store.KindCount {
	out := map[string]store.KindCount{}
	want := map[store.Kind]bool{}
	// The kinds the mode writes show even before the first run, at 0.
	for _, k := range engine.KindsOf(mode) {
		want[k] = true
	}
	for _, kn := range kindNames {
		if c, ok := held[kn.kind]; ok || want[kn.kind] {
			out[kn.name] = c
		}
	}
	return out
}

// recordsText is status's RECORDS column: "people 120 active, 3 inactive;
// invoices 42" (invoices are never deactivated: their count alone, unless
// some are inactive).
func recordsText(counts map[string]store.KindCount) string {
	var parts []string
	for _, kn := range kindNames {
		c, ok := counts[kn.name]
		if !ok {
			continue
		}
		if kn.kind == store.Invoice && c.Inactive == 0 {
			parts = append(parts, fmt.Sprintf("%s %d", kn.label, c.Active))
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %d active, %d inactive", kn.label, c.Active, c.Inactive))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, "; ")
}

// kindNamed is the kind export's --kind names.
func kindNamed(name string) (store.Kind, bool) {
	for _, kn := range kindNames {
		if kn.name == name {
			return kn.kind, true
		}
	}
	return "", false
}
