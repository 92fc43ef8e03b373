package engine

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/internal/amount"
	"github.com/agentsync/agent/mapping"
)

// The SaaS discovery modes (issue 13): each writes one kind of record.
const (
	ModeApplications = "applications"
	ModeSpend        = "spend"
	ModeContracts    = "contracts"
)

// maxInvalidReasons bounds Report.Invalid.
const maxInvalidReasons = 20

// kindRules are what the engine knows of the mode's primary kind: the
// kind every record becomes, its target prefix, the targets its key is
// made of, and the values it checks.
type kindRules struct {
	kind     store.Kind
	prefix   string   // target prefix, "user." for people
	identity []string // targets whose failure drops the record (no key to carry anything over to)
	noun     string   // what the records are, in messages
}

// KindsOf lists the kinds of record a mode writes: its own kind, then SaaS
// users in users+saas_users mode; none for a mode it does not know.
func KindsOf(mode string) []store.Kind {
	switch mode {
	case ModeUsers, ModeApplications, ModeSpend, ModeContracts:
		return []store.Kind{rulesOf(mode).kind}
	case ModeSaaSUsers:
		return []store.Kind{store.Person, store.SaaSUser}
	}
	return nil
}

func rulesOf(mode string) kindRules {
	switch mode {
	case ModeApplications:
		return kindRules{store.Application, mapping.ApplicationPrefix, []string{"application.instance_id", "application.name"}, "applications"}
	case ModeSpend:
		return kindRules{store.Invoice, mapping.InvoicePrefix, []string{"invoice.invoice_id", "invoice.vendor", "invoice.amount"}, "invoices"}
	case ModeContracts:
		return kindRules{store.Contract, mapping.ContractPrefix, []string{"contract.contract_id"}, "contracts"}
	}
	return kindRules{store.Person, mapping.PersonPrefix, []string{mapping.TargetUsername, mapping.TargetEmail}, "users"}
}

// setup derives the run's per-mode state from the spec; every way of
// making a run calls it first.
func (r *run) setup() {
	r.rules = rulesOf(r.spec.Mode)
	r.multi = r.spec.Mode == ModeSaaSUsers && r.spec.ApplicationFrom != ""
	// A contract's status is its end date's, whatever deactivate says.
	r.applyStatus = r.spec.Deactivate || r.rules.kind == store.Contract
	r.today = r.rep.StartedAt.UTC().Format(time.DateOnly)
	r.vendorKey = r.rules.kind == store.Invoice && r.spec.Mapping != nil && r.spec.Mapping.Has("invoice.vendor")
	if r.multi {
		r.apps, r.activeKeys = map[string]struct{}{}, map[string]struct{}{}
	}
}

// key is the record's identity among its kind's, "" when it has none,
// with what is missing.
func (r *run) key(f map[string]string) (string, string) {
	switch r.rules.kind {
	case store.Application:
		if k := f["instance_id"]; k != "" {
			return k, ""
		}
		if k := f["name"]; k != "" {
			return k, ""
		}
		return "", "application.instance_id and application.name are both empty after mapping"
	case store.Invoice:
		id := f["invoice_id"]
		switch {
		case id == "":
			return "", "invoice.invoice_id is empty after mapping"
		case f["amount"] == "":
			return "", "invoice.amount is empty after mapping"
		case r.vendorKey && f["vendor"] != "":
			// An AP ledger numbers invoices per supplier.
			return f["vendor"] + "/" + id, ""
		}
		return id, ""
	case store.Contract:
		if k := f["contract_id"]; k != "" {
			return k, ""
		}
		return "", "contract.contract_id is empty after mapping"
	}
	if k := f["username"]; k != "" {
		return k, ""
	}
	if k := f["email"]; k != "" {
		return k, ""
	}
	return "", "user.username and user.email are both empty after mapping"
}

// valueError is a mapped value of the wrong form: Target names it.
type valueError struct {
	Target string
	Msg    string
}

func (e *valueError) Error() string { return e.Target + ": " + e.Msg }

// The fields of each kind whose values have a form.
var (
	dateFields = map[store.Kind][]string{
		store.Application: {"created"},
		store.Invoice:     {"invoice_date", "period_start", "period_end"},
		store.Contract:    {"start", "end"},
	}
	amountFields = map[store.Kind][]string{
		store.Invoice:  {"amount"},
		store.Contract: {"value"},
	}
)

// checkValues normalises the dates and amounts of a SaaS discovery record
// in place, and returns the first value that has not the seed's form.
func (r *run) checkValues(f map[string]string) error {
	k := r.rules.kind
	for _, name := range dateFields[k] {
		v, ok := f[name]
		if !ok {
			continue
		}
		d, err := isoDate(v)
		if err != nil {
			return &valueError{r.rules.prefix + name, err.Error()}
		}
		f[name] = d
	}
	for _, name := range amountFields[k] {
		v, ok := f[name]
		if !ok {
			continue
		}
		a, err := amount.Parse(v, "")
		if err != nil {
			return &valueError{r.rules.prefix + name, err.Error()}
		}
		f[name] = a
	}
	if v, ok := f["seats"]; ok && k == store.Contract {
		if n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 63); err != nil {
			return &valueError{"contract.seats", fmt.Sprintf("%q is not a number of seats (want a whole number, 0 or more)", v)}
		} else {
			f["seats"] = strconv.FormatUint(n, 10)
		}
	}
	return nil
}

// storedDate is how dates are stored: RFC 3339 in UTC, to the second
// (seed 000's invoiceDate).
const storedDate = "2006-01-02T15:04:05Z"

// isoDate reads an ISO-8601 date (YYYY-MM-DD) or an RFC 3339 time and
// returns it as storedDate.
func isoDate(v string) (string, error) {
	s := strings.TrimSpace(v)
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t.Format(storedDate), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC().Format(storedDate), nil
	}
	return "", fmt.Errorf("%q is not an ISO-8601 date (want YYYY-MM-DD or an RFC 3339 time such as 2024-01-31T00:00:00Z)", v)
}

// isActive is whether a record of the primary kind is active: at the
// source for people and applications; always for an invoice; while its
// end has not passed for a contract.
func (r *run) activeOf(f map[string]string, atSource bool) bool {
	switch r.rules.kind {
	case store.Invoice:
		return true
	case store.Contract:
		end := f["end"]
		return end == "" || len(end) < 10 || end[:10] >= r.today
	}
	return atSource
}

// scopes are the kinds of record the integration writes, and how each
// treats the records the fetch did not list.
func (r *run) scopes(ctx context.Context) ([]store.Scope, error) {
	switch r.rules.kind {
	case store.Invoice:
		return []store.Scope{{Kind: store.Invoice, KeepMissing: true}}, nil
	case store.Contract:
		return []store.Scope{{Kind: store.Contract, KeepMissing: true, EndedBefore: r.today}}, nil
	case store.Application:
		return []store.Scope{{Kind: store.Application}}, nil
	}
	scopes := []store.Scope{{Kind: store.Person}}
	switch {
	case r.multi:
		apps, err := r.sync.SaaSApplications(ctx)
		if err != nil {
			return nil, err
		}
		for a := range r.apps {
			apps = append(apps, a)
		}
		slices.Sort(apps)
		for _, a := range slices.Compact(apps) {
			scopes = append(scopes, store.Scope{Kind: store.SaaSUser, Application: a})
		}
	case r.spec.Mode == ModeSaaSUsers:
		scopes = append(scopes, store.Scope{Kind: store.SaaSUser, Application: r.spec.Application})
	}
	return scopes, nil
}

// where names a record of a page: its file and line when the source has
// them, else its page and place.
func where(file string, lines []int, page, i int) string {
	if file != "" && i < len(lines) && lines[i] > 0 {
		return file + ":" + strconv.Itoa(lines[i])
	}
	return fmt.Sprintf("page %d record %d", page, i+1)
}

// noteInvalid keeps the first reasons of skipped records in the report.
func (r *run) noteInvalid(reasons []string) {
	for _, s := range reasons {
		if len(r.rep.Invalid) >= maxInvalidReasons {
			return
		}
		r.rep.Invalid = append(r.rep.Invalid, s)
	}
}
