package page

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/agentsync/agent/agent/config"
	"github.com/agentsync/agent/agent/deliver"
	"github.com/agentsync/agent/agent/engine"
	"github.com/agentsync/agent/agent/runner"
	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/credentials"
)

// runView is a run as the pages show it.
type runView struct {
	ID, Integration, Trigger, Outcome, Error string
	Started, Finished, Duration              string
	Counted                                  string // what Counts count: People, Applications, Invoices, Contracts
	Counts                                   store.Counts
	SaaS                                     *store.Counts
}

func (h *handler) runView(cfg *config.Config, r *store.Run) *runView {
	if r == nil {
		return nil
	}
	v := &runView{ID: r.ID, Integration: r.Integration, Trigger: r.Trigger, Outcome: r.Outcome, Error: r.Error,
		Started: h.when(cfg, r.StartedAt), Finished: h.when(cfg, r.FinishedAt), Counted: "People", Counts: r.Counts, SaaS: r.SaaSCounts}
	if in, ok := cfg.Integration(r.Integration); ok {
		if kinds := engine.KindsOf(in.Mode); len(kinds) > 0 {
			noun := kinds[0].Plural()
			v.Counted = strings.ToUpper(noun[:1]) + noun[1:]
		}
	}
	if !r.FinishedAt.IsZero() {
		v.Duration = r.FinishedAt.Sub(r.StartedAt).Round(time.Millisecond).String()
	}
	return v
}

// integrationView is one integration: its state and why, its runs.
type integrationView struct {
	Name, Vendor, Schedule, Credential, Mode string
	State, Reason, Next                      string
	Last, LastSuccess                        *runView
	Destinations                             []string
	Button                                   *button // nil: no Run now here
}

// button is a Run now form.
type button struct{ Action, Token string }

func (h *handler) integrationView(ctx context.Context, r *http.Request, cfg *config.Config, in *config.Integration) (integrationView, error) {
	now := h.d.Now()
	s, err := runner.StatusOf(ctx, h.d.Store, cfg, in, now)
	if err != nil {
		return integrationView{}, err
	}
	v := integrationView{Name: in.Name, Vendor: in.Vendor, Schedule: in.Schedule.String(), Credential: in.Credential,
		Mode: in.Mode, State: s.State, Reason: reason(cfg, in, s), Last: h.runView(cfg, s.LastRun),
		LastSuccess: h.runView(cfg, s.LastSuccess), Destinations: in.Destinations}
	switch {
	case !s.NextRun.IsZero():
		v.Next = h.when(cfg, s.NextRun)
	case in.Schedule.Manual():
		v.Next = "manual"
	}
	if h.d.RunNow != nil && in.Launched() && localRequest(r) == "" {
		v.Button = &button{Action: "/integration/" + url.PathEscape(in.Name) + "/run", Token: h.csrf.token(in.Name)}
	}
	return v, nil
}

// reason says why an integration is in its state.
func reason(cfg *config.Config, in *config.Integration, s runner.Status) string {
	if s.Reason != "" {
		return s.Reason // the credential's
	}
	switch s.State {
	case runner.StateDraft:
		return "missing: " + strings.Join(in.Missing(), ", ")
	case runner.StateReady:
		if s.LastRun != nil {
			return "no successful run yet; the last one was " + s.LastRun.Outcome
		}
		return "launched, never ran"
	case runner.StateFailed:
		if s.LastRun != nil {
			return "the last run " + s.LastRun.Outcome + ": " + s.LastRun.Error
		}
	case runner.StateWarning:
		if s.LastSuccess == nil {
			return fmt.Sprintf("no successful run for %s past its schedule", runner.Overdue)
		}
		return fmt.Sprintf("no successful run since %s, %s past its schedule",
			s.LastSuccess.StartedAt.In(loc(cfg)).Format("2006-01-02 15:04 MST"), runner.Overdue)
	case runner.StateActive:
		if s.LastRun != nil && s.LastRun.Outcome == store.OutcomeRunning {
			return "running now"
		}
		return "the last run succeeded"
	}
	return ""
}

// inboxPreview is how many of the newest messages "/" shows.
const inboxPreview = 5

type integrationsPage struct {
	common
	Rows  []integrationView
	Total int
	Pager pager
	Inbox []messageView
}

// messageView is an inbox message.
type messageView struct {
	store.Notification
	At string
}

func (h *handler) messages(cfg *config.Config, ns []store.Notification) []messageView {
	out := make([]messageView, len(ns))
	for i, n := range ns {
		out[i] = messageView{Notification: n, At: h.when(cfg, n.CreatedAt)}
	}
	return out
}

// integrations is "/": a page of the config's integrations.
func (h *handler) integrations(w http.ResponseWriter, r *http.Request) {
	n, ok := h.pageOf(w, r)
	if !ok {
		return
	}
	ctx, cfg := r.Context(), h.d.Config()
	all := cfg.Integrations
	from := min((n-1)*h.d.PageSize, len(all))
	to := min(from+h.d.PageSize, len(all))
	p := integrationsPage{common: h.common(r, cfg, "Integrations", "integrations"), Total: len(all),
		Pager: newPager("/", n, to < len(all))}
	for _, in := range all[from:to] {
		v, err := h.integrationView(ctx, r, cfg, in)
		if err != nil {
			h.internal(w, r, err)
			return
		}
		p.Rows = append(p.Rows, v)
	}
	ns, err := h.d.Store.NotificationsPage(ctx, inboxPreview, 0)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	p.Inbox = h.messages(cfg, ns)
	h.render(w, r, http.StatusOK, "integrations", p)
}

type integrationPage struct {
	common
	integrationView
	Queues []queueView
	Runs   []*runView
	Pager  pager
}

// integration is one integration, its destinations and a page of its runs.
func (h *handler) integration(w http.ResponseWriter, r *http.Request) {
	ctx, cfg := r.Context(), h.d.Config()
	in, ok := cfg.Integration(r.PathValue("name"))
	if !ok {
		h.fail(w, r, http.StatusNotFound, fmt.Sprintf("No integration is named %q in %s.", r.PathValue("name"), cfg.Path))
		return
	}
	n, ok := h.pageOf(w, r)
	if !ok {
		return
	}
	v, err := h.integrationView(ctx, r, cfg, in)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	runs, err := h.d.Store.RunsPage(ctx, in.Name, h.d.PageSize+1, (n-1)*h.d.PageSize)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	p := integrationPage{common: h.common(r, cfg, in.Name, "integrations"), integrationView: v,
		Pager: newPager("/integration/"+url.PathEscape(in.Name), n, len(runs) > h.d.PageSize)}
	for i := range runs[:min(len(runs), h.d.PageSize)] {
		p.Runs = append(p.Runs, h.runView(cfg, &runs[i]))
	}
	for _, dn := range in.Destinations {
		q, err := h.queue(ctx, cfg, in, dn)
		if err != nil {
			h.internal(w, r, err)
			return
		}
		p.Queues = append(p.Queues, q)
	}
	h.render(w, r, http.StatusOK, "integration", p)
}

// queueView is what one destination has still to receive of one integration.
type queueView struct {
	Destination, Type, Host, Integration string
	Queued, LastDelivered, Error         string
	FailingSince                         string
}

// queue reads one pair's queue. The count is the deliverer's, except for
// a pending snapshot, which would count every record of the integration:
// the page says "every record" instead.
func (h *handler) queue(ctx context.Context, cfg *config.Config, in *config.Integration, dest string) (queueView, error) {
	q := queueView{Destination: dest, Integration: in.Name, Queued: "0"}
	dc, ok := cfg.Destination(dest)
	if !ok {
		q.Error = "no [[destination]] of this name"
		return q, nil
	}
	q.Type, q.Host = dc.Type, host(dc.URL)
	ds, err := h.d.Store.Delivery(ctx, dest, in.Name)
	switch {
	case notFound(err):
		q.Queued = "nothing yet (no successful run)"
		return q, nil
	case err != nil:
		return q, err
	}
	q.LastDelivered, q.Error, q.FailingSince = h.when(cfg, ds.LastDeliveredAt), ds.LastError, h.when(cfg, ds.FailingSince)
	switch {
	case ds.Snapshot:
		q.Queued = "every record (a full snapshot)"
	case ds.Pending():
		dl := &deliver.Deliverer{Config: cfg, Store: h.d.Store}
		n, err := dl.Queued(ctx, in, dc)
		if err != nil {
			q.Queued = "? (" + err.Error() + ")"
		} else {
			q.Queued = strconv.Itoa(n)
		}
	}
	return q, nil
}

// host is the scheme and host of a destination's URL: its path, query
// or user may carry a secret (a webhook's token).
func host(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

type runPage struct {
	common
	Run       *runView
	Known     bool // the run's integration is in the config
	History   []changeView
	First     bool
	Next      string
	FirstLink string
}

// run is one run and a page of its history.
func (h *handler) run(w http.ResponseWriter, r *http.Request) {
	ctx, cfg := r.Context(), h.d.Config()
	id := r.PathValue("id")
	cur, ok := parseCursor(r.URL.Query().Get("after"))
	if !ok {
		h.fail(w, r, http.StatusBadRequest, fmt.Sprintf("after must be a history cursor (PART.ID): %q", r.URL.Query().Get("after")))
		return
	}
	run, err := h.d.Store.Run(ctx, id)
	if notFound(err) {
		h.fail(w, r, http.StatusNotFound, fmt.Sprintf("No run has the id %q.", id))
		return
	}
	if err != nil {
		h.internal(w, r, err)
		return
	}
	hist, next, more, err := h.d.Store.RunHistory(ctx, id, cur, h.d.PageSize)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	_, known := cfg.Integration(run.Integration)
	base := "/run/" + url.PathEscape(id)
	p := runPage{common: h.common(r, cfg, "Run "+id, "integrations"), Run: h.runView(cfg, &run), Known: known,
		History: h.changes(cfg, hist), First: cur == (store.HistoryCursor{}), FirstLink: base}
	if more {
		p.Next = base + "?after=" + formatCursor(next)
	}
	h.render(w, r, http.StatusOK, "run", p)
}

// changeView is a row of a run's history.
type changeView struct {
	store.Change
	Created bool // the record's creation, not a field's change
	At      string
}

func (h *handler) changes(cfg *config.Config, cs []store.Change) []changeView {
	out := make([]changeView, len(cs))
	for i, c := range cs {
		out[i] = changeView{Change: c, Created: c.Field == "" && c.New == "created", At: h.when(cfg, c.At)}
	}
	return out
}

func parseCursor(s string) (store.HistoryCursor, bool) {
	if s == "" {
		return store.HistoryCursor{}, true
	}
	part, id, ok := strings.Cut(s, ".")
	p, err1 := strconv.Atoi(part)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if !ok || err1 != nil || err2 != nil || p < 0 || p > 2 || n < 0 {
		return store.HistoryCursor{}, false
	}
	return store.HistoryCursor{Part: p, ID: n}, true
}

func formatCursor(c store.HistoryCursor) string { return fmt.Sprintf("%d.%d", c.Part, c.ID) }

type inboxPage struct {
	common
	Messages []messageView
	Pager    pager
}

// inbox is a page of the in-app inbox, newest first.
func (h *handler) inbox(w http.ResponseWriter, r *http.Request) {
	n, ok := h.pageOf(w, r)
	if !ok {
		return
	}
	ctx, cfg := r.Context(), h.d.Config()
	ms, err := h.d.Store.NotificationsPage(ctx, h.d.PageSize+1, (n-1)*h.d.PageSize)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	p := inboxPage{common: h.common(r, cfg, "Inbox", "inbox"), Messages: h.messages(cfg, ms[:min(len(ms), h.d.PageSize)]),
		Pager: newPager("/inbox", n, len(ms) > h.d.PageSize)}
	h.render(w, r, http.StatusOK, "inbox", p)
}

// credentialView is a credential's metadata: never a value.
type credentialView struct {
	Name, Kind, Backend, Created, Rotated, Expires, Expiry string
	UsedBy                                                 []string
}

type credentialsPage struct {
	common
	Credentials []credentialView
	Missing     []credentialView // named by an integration, not stored
}

// credentials lists the stored credentials' names, kinds and dates.
func (h *handler) credentials(w http.ResponseWriter, r *http.Request) {
	cfg := h.d.Config()
	metas, err := credentials.ReadIndex(cfg.Agent.DataDir)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	users := map[string][]string{}
	for _, in := range cfg.Integrations {
		if in.Credential != "" {
			users[in.Credential] = append(users[in.Credential], in.Name)
		}
	}
	for _, d := range cfg.Destinations {
		if d.Credential != "" {
			users[d.Credential] = append(users[d.Credential], "destination "+d.Name)
		}
	}
	if cfg.SMTP.Credential != "" && cfg.SMTP.Host != "" {
		users[cfg.SMTP.Credential] = append(users[cfg.SMTP.Credential], "smtp")
	}
	p := credentialsPage{common: h.common(r, cfg, "Credentials", "credentials")}
	now := h.d.Now()
	for _, m := range metas {
		v := credentialView{Name: m.Name, Kind: string(m.Kind), Backend: m.Backend, Created: h.when(cfg, m.Created),
			Rotated: h.when(cfg, m.Rotated), Expires: h.when(cfg, m.ExpiresAt), Expiry: m.Expiry(now), UsedBy: users[m.Name]}
		if v.Expires == "" {
			v.Expires = "no known expiry"
		}
		p.Credentials = append(p.Credentials, v)
		delete(users, m.Name)
	}
	// Named but not stored, in the config's order.
	for _, in := range cfg.Integrations {
		if u, ok := users[in.Credential]; ok && in.Credential != "" {
			p.Missing = append(p.Missing, credentialView{Name: in.Credential, UsedBy: u})
			delete(users, in.Credential)
		}
	}
	for _, d := range cfg.Destinations {
		if u, ok := users[d.Credential]; ok && d.Credential != "" {
			p.Missing = append(p.Missing, credentialView{Name: d.Credential, UsedBy: u})
			delete(users, d.Credential)
		}
	}
	h.render(w, r, http.StatusOK, "credentials", p)
}

type destinationsPage struct {
	common
	Destinations []destinationView
	Queues       []queueView
	Pager        pager
}

type destinationView struct {
	Name, Type, Host string
	Integrations     int
}

// destinations lists the destinations, and a page of the queues: one per
// destination and integration delivering to it.
func (h *handler) destinations(w http.ResponseWriter, r *http.Request) {
	n, ok := h.pageOf(w, r)
	if !ok {
		return
	}
	ctx, cfg := r.Context(), h.d.Config()
	p := destinationsPage{common: h.common(r, cfg, "Destinations", "destinations")}
	type pair struct {
		in   *config.Integration
		dest string
	}
	var pairs []pair
	count := map[string]int{}
	for _, in := range cfg.Integrations {
		for _, dn := range in.Destinations {
			pairs = append(pairs, pair{in, dn})
			count[dn]++
		}
	}
	for _, d := range cfg.Destinations {
		p.Destinations = append(p.Destinations, destinationView{Name: d.Name, Type: d.Type, Host: host(d.URL), Integrations: count[d.Name]})
	}
	from := min((n-1)*h.d.PageSize, len(pairs))
	to := min(from+h.d.PageSize, len(pairs))
	for _, pr := range pairs[from:to] {
		q, err := h.queue(ctx, cfg, pr.in, pr.dest)
		if err != nil {
			h.internal(w, r, err)
			return
		}
		p.Queues = append(p.Queues, q)
	}
	p.Pager = newPager("/destinations", n, to < len(pairs))
	h.render(w, r, http.StatusOK, "destinations", p)
}
