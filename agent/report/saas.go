// Package report builds the reports of `agent report`: read-only views
// over every integration's records in the store.
//
// The SaaS report (`agent report saas`) has one row per application, the
// reclamation view: who uses it, who no longer does, what is under
// contract and what it cost. An application is any name found in the
// catalogue (the applications table, every integration: its name), the
// SaaS users' application, or the application field of an invoice or a
// contract. Names match case-insensitively after trimming spaces; a row
// shows the catalogue's spelling when the catalogue has the application
// (the first in sort order, if it has several), else the first spelling
// in sort order. Rows are sorted by name, case-insensitively.
//
// Dates are days (YYYY-MM-DD) in UTC, the store's times' day; a value that
// is not a time counts as empty. With as-of the report's day:
//   - catalogue: active when any catalogue record of the name is active,
//     inactive when all are, empty when the catalogue lacks it;
//   - users active, inactive: the SaaS users' statuses;
//   - no activity 30d/60d/90d: active SaaS users whose last_activity is
//     empty or falls on a day before as-of minus 30/60/90 days (a user
//     last seen exactly 30 days before as-of still counts as active in
//     the last 30 days);
//   - seats: the sum of seats of the contracts in force on as-of (start ≤
//     as-of ≤ end, an empty start or end open-ended), whatever their
//     status; empty when none of them has seats;
//   - unused seats: seats minus users active, when there are seats
//     (negative: more active users than seats);
//   - spend 12m: per currency, the exact sum of the amounts of the
//     invoices whose invoice date is after as-of minus 12 months and at
//     most as-of;
//   - next contract end: the earliest contract end on or after as-of.
package report

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/internal/amount"
)

// IdleDays are the no-activity windows of the report, in days.
var IdleDays = [3]int{30, 60, 90}

// Spend is one currency's sum.
type Spend struct {
	Currency string
	Amount   string // exact decimal text
}

// SaaSRow is one application of the SaaS report.
type SaaSRow struct {
	Application     string
	Catalogue       string // store.Active, store.Inactive, or "" when not in the catalogue
	UsersActive     int
	UsersInactive   int
	Idle            [3]int // active users without activity in IdleDays
	Seats           *int64 // nil: no contract in force with seats
	UnusedSeats     *int64
	Spend           []Spend // by currency
	NextContractEnd string  // the contract's end as stored (RFC 3339), "" when none
}

// SaaS is the SaaS report as of a day, and notes on the records it had to
// leave out (an amount that is not a decimal, seats that are not a
// number), for the reader.
type SaaS struct {
	AsOf  time.Time
	Rows  []SaaSRow
	Notes []string
}

// day is a time's UTC day, YYYY-MM-DD.
func day(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// app gathers one application's figures while the report is built.
type app struct {
	row        SaaSRow
	catNames   []string // the catalogue's spellings
	names      []string // every spelling
	seats      int64
	hasSeats   bool
	spend      map[string]*amount.Sum
	nextEndDay string
}

// BuildSaaS reads the store (four queries, whatever its size) and builds
// the SaaS report as of asOf's day.
func BuildSaaS(ctx context.Context, st *store.Store, asOf time.Time) (*SaaS, error) {
	asOf = time.Date(asOf.Year(), asOf.Month(), asOf.Day(), 0, 0, 0, 0, time.UTC)
	rep := &SaaS{AsOf: asOf}
	today := day(asOf)
	apps := map[string]*app{}
	get := func(name string) *app {
		name = strings.TrimSpace(name)
		if name == "" {
			return nil
		}
		key := strings.ToLower(name)
		a := apps[key]
		if a == nil {
			a = &app{spend: map[string]*amount.Sum{}}
			apps[key] = a
		}
		a.names = append(a.names, name)
		return a
	}

	cat, err := st.CatalogueApps(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range cat {
		a := get(c.Name)
		if a == nil {
			continue
		}
		a.catNames = append(a.catNames, strings.TrimSpace(c.Name))
		if c.Status == store.Active || a.row.Catalogue == "" {
			a.row.Catalogue = c.Status
		}
	}

	var since []string
	for _, n := range IdleDays {
		since = append(since, day(asOf.AddDate(0, 0, -n)))
	}
	usage, err := st.SaaSUsage(ctx, since...)
	if err != nil {
		return nil, err
	}
	for _, u := range usage {
		a := get(u.Application)
		if a == nil {
			continue
		}
		a.row.UsersActive += u.Active
		a.row.UsersInactive += u.Inactive
		for i := range a.row.Idle {
			a.row.Idle[i] += u.Idle[i]
		}
	}

	badAmounts := 0
	invoices, err := st.Invoices(ctx, day(asOf.AddDate(0, -12, 0)), today)
	if err != nil {
		return nil, err
	}
	for _, l := range invoices {
		a := get(l.Application)
		if a == nil || !l.InWindow {
			continue
		}
		cur := strings.ToUpper(strings.TrimSpace(l.Currency))
		sum := a.spend[cur]
		if sum == nil {
			sum = &amount.Sum{}
		}
		if err := sum.Add(l.Amount); err != nil {
			if badAmounts++; badAmounts <= 3 {
				rep.Notes = append(rep.Notes, fmt.Sprintf("invoice %s of %s left out of spend: amount %v", l.Key, l.Integration, err))
			}
			continue
		}
		a.spend[cur] = sum
	}
	if badAmounts > 3 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d more invoices left out of spend: amount not a decimal", badAmounts-3))
	}

	contracts, err := st.Contracts(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range contracts {
		a := get(c.Application)
		if a == nil {
			continue
		}
		if c.End != "" && c.End >= today && (a.nextEndDay == "" || c.End < a.nextEndDay) {
			a.nextEndDay, a.row.NextContractEnd = c.End, c.EndAt
		}
		inForce := (c.Start == "" || c.Start <= today) && (c.End == "" || today <= c.End)
		if !inForce || strings.TrimSpace(c.Seats) == "" {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(c.Seats), 10, 64)
		if err != nil {
			rep.Notes = append(rep.Notes, fmt.Sprintf("contract %s of %s left out of seats: seats %q is not a whole number", c.Key, c.Integration, c.Seats))
			continue
		}
		a.seats += n
		a.hasSeats = true
	}

	for _, a := range apps {
		r := &a.row
		names := a.catNames
		if len(names) == 0 {
			names = a.names
		}
		sort.Strings(names)
		r.Application = names[0]
		if a.hasSeats {
			seats, unused := a.seats, a.seats-int64(r.UsersActive)
			r.Seats, r.UnusedSeats = &seats, &unused
		}
		for cur, sum := range a.spend {
			r.Spend = append(r.Spend, Spend{Currency: cur, Amount: sum.String()})
		}
		sort.Slice(r.Spend, func(i, j int) bool { return r.Spend[i].Currency < r.Spend[j].Currency })
		rep.Rows = append(rep.Rows, *r)
	}
	sort.Slice(rep.Rows, func(i, j int) bool {
		a, b := strings.ToLower(rep.Rows[i].Application), strings.ToLower(rep.Rows[j].Application)
		if a != b {
			return a < b
		}
		return rep.Rows[i].Application < rep.Rows[j].Application
	})
	return rep, nil
}
