// Package page is the agent's status page: server-rendered HTML
// (html/template, no JavaScript) meant to be mounted at "/" of the
// agent's HTTP server. It shows each integration's state and why, its
// runs and each run's change history, the inbox, the credentials (names,
// kinds and dates, never a value) and the destinations' queues, and it
// offers "Run now" to a browser on the same machine.
//
// Every page reads a bounded slice of the store: a page of the config's
// integrations (and two index probes each for their last runs), a page of
// runs or messages by index, a page of a run's history by rowid range from
// a cursor. Nothing reads every record or every change.
package page

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/agentsync/agent/agent/config"
	"github.com/agentsync/agent/agent/store"
)

// Deps is what the page reads and does.
type Deps struct {
	Config func() *config.Config // the current config (the service reloads it)
	Store  *store.Store
	// RunNow runs the named integration now (synchronously, or starting it
	// in the background); an error wrapping filelock.ErrHeld or
	// runner.ErrDraft is a conflict. nil: a read-only page (agent serve),
	// no button.
	RunNow func(ctx context.Context, integration string) error
	Now    func() time.Time // nil: time.Now
	Logger *slog.Logger     // nil: discard
	// PageSize is the rows of a paged list; 0: DefaultPageSize.
	PageSize int
}

// DefaultPageSize is the rows of a paged list.
const DefaultPageSize = 50

//go:embed templates/*.html
var templateFiles embed.FS

// pages are the templates, each the layout plus one page's content.
var pages = func() map[string]*template.Template {
	layout := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html"))
	out := map[string]*template.Template{}
	for _, name := range []string{"integrations", "integration", "run", "inbox", "credentials", "destinations", "error"} {
		out[name] = template.Must(template.Must(layout.Clone()).ParseFS(templateFiles, "templates/"+name+".html"))
	}
	return out
}()

type handler struct {
	d      Deps
	csrf   csrf
	mux    *http.ServeMux
	logger *slog.Logger
}

// Handler returns the status page. Routes:
//
//	GET  /                        integrations, ?page=N
//	GET  /integration/{name}      one integration and its runs, ?page=N
//	POST /integration/{name}/run  Run now (loopback, CSRF token): 303 to the integration
//	GET  /run/{id}                one run and its history, ?after=CURSOR
//	GET  /inbox                   the in-app inbox, ?page=N
//	GET  /credentials             credentials: names, kinds, dates
//	GET  /destinations            destinations and their queues, ?page=N
//
// A wrong method is 405, an unknown path, integration or run 404, a bad
// page number or cursor 400; Run now answers 403 (read-only page, not
// from this machine, bad or missing CSRF token, cross-origin), 409 (in
// draft, already running) or 500 (the run could not start).
func Handler(d Deps) http.Handler {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.PageSize <= 0 {
		d.PageSize = DefaultPageSize
	}
	h := &handler{d: d, csrf: newCSRF(), mux: http.NewServeMux(), logger: d.Logger}
	if h.logger == nil {
		h.logger = slog.New(slog.DiscardHandler)
	}
	h.mux.HandleFunc("GET /{$}", h.integrations)
	h.mux.HandleFunc("GET /integration/{name}", h.integration)
	h.mux.Handle("POST /integration/{name}/run", http.NewCrossOriginProtection().Handler(http.HandlerFunc(h.runNow)))
	h.mux.HandleFunc("GET /run/{id}", h.run)
	h.mux.HandleFunc("GET /inbox", h.inbox)
	h.mux.HandleFunc("GET /credentials", h.credentials)
	h.mux.HandleFunc("GET /destinations", h.destinations)
	// Other paths: the mux's 404, and its 405 with Allow for a known
	// path and another method.
	return h
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	// No script, no frames, nothing from elsewhere; forms post here only.
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("Cache-Control", "no-store")
	h.mux.ServeHTTP(w, r)
}

// common is what every page shows around its content.
type common struct {
	Title   string
	Nav     string // the section: integrations, inbox, credentials, destinations
	Now     string
	Config  string
	Zone    string
	Local   bool // Run now is possible from this browser
	Enabled bool // the page runs integrations at all (not agent serve)
}

func (h *handler) common(r *http.Request, cfg *config.Config, title, nav string) common {
	return common{Title: title, Nav: nav, Now: h.when(cfg, h.d.Now()), Config: cfg.Path, Zone: loc(cfg).String(),
		Local: h.d.RunNow != nil && localRequest(r) == "", Enabled: h.d.RunNow != nil}
}

// render writes the page named name with status code; a template error
// is a 500, not half a page.
func (h *handler) render(w http.ResponseWriter, r *http.Request, code int, name string, data any) {
	var buf bytes.Buffer
	if err := pages[name].ExecuteTemplate(&buf, "layout.html", data); err != nil {
		h.logger.Error("status page: template", "page", name, "error", err)
		http.Error(w, "500 internal error: the page could not be rendered", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		w.Write(buf.Bytes())
	}
}

type errorPage struct {
	common
	Code    int
	Status  string
	Message string
}

// fail answers code with a page saying msg.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, code int, msg string) {
	cfg := h.d.Config()
	h.render(w, r, code, "error", errorPage{common: h.common(r, cfg, http.StatusText(code), ""),
		Code: code, Status: http.StatusText(code), Message: msg})
}

// internal answers 500 for err, logged; the page says what failed.
func (h *handler) internal(w http.ResponseWriter, r *http.Request, err error) {
	h.logger.Error("status page", "path", r.URL.Path, "error", err)
	h.fail(w, r, http.StatusInternalServerError, err.Error())
}

// pageOf reads ?page= (1-based); ok is false, with the 400 answered, when
// it is not a positive number.
func (h *handler) pageOf(w http.ResponseWriter, r *http.Request) (n int, ok bool) {
	s := r.URL.Query().Get("page")
	if s == "" {
		return 1, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 1<<30/h.d.PageSize {
		h.fail(w, r, http.StatusBadRequest, fmt.Sprintf("page must be a number from 1: %q", s))
		return 0, false
	}
	return n, true
}

// pager is the links of a paged list.
type pager struct {
	Page       int
	Prev, Next string // "" when there is none
}

func newPager(base string, page int, more bool) pager {
	p := pager{Page: page}
	if page > 1 {
		p.Prev = base + "?page=" + strconv.Itoa(page-1)
	}
	if more {
		p.Next = base + "?page=" + strconv.Itoa(page+1)
	}
	return p
}

// notFound reports a store ErrNotFound.
func notFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

func loc(cfg *config.Config) *time.Location {
	if cfg.Location != nil {
		return cfg.Location
	}
	return time.Local
}

// when is a time as the pages show it, in the agent's time zone (the
// footer names it).
func (h *handler) when(cfg *config.Config, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc(cfg)).Format("2006-01-02 15:04:05")
}
