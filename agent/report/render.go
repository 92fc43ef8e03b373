package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Columns are the SaaS report's columns: the CSV header and the JSON keys.
var Columns = []string{
	"application", "catalogue_status", "users_active", "users_inactive",
	"no_activity_30d", "no_activity_60d", "no_activity_90d",
	"seats", "unused_seats", "spend_12m", "next_contract_end",
}

// rowJSON is a row as --json writes it: Columns in order, seats null when
// no contract in force has seats, spend an object currency → decimal text.
type rowJSON struct {
	Application     string            `json:"application"`
	Catalogue       string            `json:"catalogue_status"`
	UsersActive     int               `json:"users_active"`
	UsersInactive   int               `json:"users_inactive"`
	Idle30          int               `json:"no_activity_30d"`
	Idle60          int               `json:"no_activity_60d"`
	Idle90          int               `json:"no_activity_90d"`
	Seats           *int64            `json:"seats"`
	UnusedSeats     *int64            `json:"unused_seats"`
	Spend           map[string]string `json:"spend_12m"`
	NextContractEnd string            `json:"next_contract_end"`
}

// JSON writes the rows as one JSON array.
func (r *SaaS) JSON(w io.Writer) error {
	out := make([]rowJSON, 0, len(r.Rows))
	for _, row := range r.Rows {
		spend := map[string]string{}
		for _, s := range row.Spend {
			spend[s.Currency] = s.Amount
		}
		out = append(out, rowJSON{row.Application, row.Catalogue, row.UsersActive, row.UsersInactive,
			row.Idle[0], row.Idle[1], row.Idle[2], row.Seats, row.UnusedSeats, spend, row.NextContractEnd})
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// spendText is a row's spend as "12345.60 EUR; 10.00 USD".
func spendText(s []Spend) string {
	parts := make([]string, len(s))
	for i, x := range s {
		parts[i] = strings.TrimSpace(x.Amount + " " + x.Currency)
	}
	return strings.Join(parts, "; ")
}

func intText(n *int64) string {
	if n == nil {
		return ""
	}
	return strconv.FormatInt(*n, 10)
}

// CSV writes a header row (Columns) and one line per application.
func (r *SaaS) CSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(Columns); err != nil {
		return err
	}
	for _, row := range r.Rows {
		rec := []string{row.Application, row.Catalogue, strconv.Itoa(row.UsersActive), strconv.Itoa(row.UsersInactive),
			strconv.Itoa(row.Idle[0]), strconv.Itoa(row.Idle[1]), strconv.Itoa(row.Idle[2]),
			intText(row.Seats), intText(row.UnusedSeats), spendText(row.Spend), row.NextContractEnd}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// Text writes the report as an aligned table, "-" for an empty cell and
// the next contract end as its day.
func (r *SaaS) Text(w io.Writer) error {
	fmt.Fprintf(w, "SaaS applications as of %s\n\n", day(r.AsOf))
	if len(r.Rows) == 0 {
		_, err := fmt.Fprintln(w, "no applications: no catalogue, SaaS users, invoices or contracts in the store")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "APPLICATION\tCATALOGUE\tACTIVE\tINACTIVE\tIDLE 30D\tIDLE 60D\tIDLE 90D\tSEATS\tUNUSED\tSPEND 12M\tNEXT END")
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	for _, row := range r.Rows {
		end := row.NextContractEnd
		if len(end) >= 10 {
			end = end[:10]
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\n", row.Application, dash(row.Catalogue),
			row.UsersActive, row.UsersInactive, row.Idle[0], row.Idle[1], row.Idle[2],
			dash(intText(row.Seats)), dash(intText(row.UnusedSeats)), dash(spendText(row.Spend)), dash(end))
	}
	return tw.Flush()
}
