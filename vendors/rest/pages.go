package rest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/agentsync/agent/credentials"
	"github.com/agentsync/agent/vendors"
	"github.com/agentsync/agent/vendors/web"
)

// getter GETs one page with the run's client and credential.
type getter struct {
	client     *http.Client
	auth       authorizer
	credential string
	kind       string // rest.auth
	red        *credentials.Redactor
}

// get returns a 2xx response and its body. A 401 gets one more try with
// a fresh credential (a new OAuth2 token); then 401 and 403 are credential
// errors. Retries of transient answers happen below, in package web.
func (g *getter) get(ctx context.Context, u string) (*http.Response, []byte, error) {
	for fresh := false; ; fresh = true {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, nil, err
		}
		req.Header.Set("Accept", "application/json")
		if err := g.auth.apply(req); err != nil {
			return nil, nil, err
		}
		resp, err := g.client.Do(req)
		if err != nil {
			return nil, nil, fmt.Errorf("GET %s: %w", short(g.red, u), unwrapURLError(err))
		}
		body, err := readAll(resp)
		if err != nil {
			return nil, nil, fmt.Errorf("GET %s: %w", short(g.red, u), err)
		}
		switch code := resp.StatusCode; {
		case code >= 200 && code < 300:
			return resp, body, nil
		case code == http.StatusUnauthorized && !fresh && g.auth.refresh():
			continue
		case code == http.StatusUnauthorized || code == http.StatusForbidden:
			return nil, nil, refused(code, g.red.String(resp.Status), req.URL.Host, g.credential, g.kind)
		case code == http.StatusNotFound:
			return nil, nil, fmt.Errorf("GET %s: %s: check rest.users_url", short(g.red, u), web.Describe(resp, body, g.red))
		default:
			return nil, nil, fmt.Errorf("GET %s: %s", short(g.red, u), web.Describe(resp, body, g.red))
		}
	}
}

func readAll(resp *http.Response) ([]byte, error) {
	return web.ReadAll(resp) // in memory already: package web read it
}

// pager walks the pages of one fetch.
type pager struct {
	p           Pagination // resolved
	recordsPath string
	first       *url.URL
	red         *credentials.Redactor

	seen map[string]bool // cursors, next links or page fingerprints already met
}

func newPager(r Settings, red *credentials.Redactor) (*pager, error) {
	u, err := url.Parse(r.UsersURL)
	if err != nil {
		return nil, fmt.Errorf("rest.users_url: %w", err)
	}
	return &pager{p: r.Pagination, recordsPath: r.RecordsPath, first: u, red: red, seen: map[string]bool{}}, nil
}

// yieldError carries the engine's error out of the page loop unchanged.
type yieldError struct{ err error }

func (e *yieldError) Error() string { return e.err.Error() }

// run fetches page after page until the pagination's own end signal
// (complete.go). A page's envelope and end signal are checked before its
// users are yielded.
func (pg *pager) run(ctx context.Context, g *getter, yield func(vendors.Page) error) error {
	p := pg.p
	u := pg.firstURL()
	offset, page := 0, p.StartPage
	yielded := 0
	for n := 1; ; n++ {
		if n > p.MaxPages {
			return fmt.Errorf("%w: more than %d pages; stopped (rest.pagination.max_pages)", ErrPageCap, p.MaxPages)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		resp, body, err := g.get(ctx, u.String())
		if err != nil {
			return fmt.Errorf("page %d: %w", n, err)
		}
		doc, err := web.DecodeJSON(resp, body, pg.red)
		if err != nil {
			return fmt.Errorf("page %d: GET %s: %w", n, short(pg.red, u.String()), err)
		}
		recs, err := Records(doc, pg.recordsPath, pg.red)
		if err == nil {
			err = pg.repeated(recs)
		}
		var next *url.URL
		if err == nil {
			next, err = pg.next(doc, u, resp.Header.Values("Link"), page, offset, len(recs))
		}
		if err != nil {
			return fmt.Errorf("page %d: %w (GET %s)", n, err, short(pg.red, u.String()))
		}
		if len(recs) > 0 {
			yielded++
			if err := yield(vendors.Page{Number: yielded, Records: recs}); err != nil {
				return &yieldError{err}
			}
		}
		if next == nil {
			return nil
		}
		u, offset, page = next, offset+len(recs), page+1
	}
}

// firstURL is the users URL with the first page's parameters.
func (pg *pager) firstURL() *url.URL {
	p := pg.p
	switch p.Type {
	case PageOffset:
		return pg.withQuery(map[string]string{p.OffsetParam: "0", p.LimitParam: strconv.Itoa(p.PageSize)})
	case PageNumber:
		return pg.withQuery(map[string]string{p.PageParam: strconv.Itoa(p.StartPage), p.LimitParam: strconv.Itoa(p.PageSize)})
	case PageCursor, PageLink:
		return pg.withQuery(map[string]string{p.LimitParam: strconv.Itoa(p.PageSize)})
	}
	return pg.withQuery(nil)
}

// withQuery is the users URL with params set over its own query.
func (pg *pager) withQuery(params map[string]string) *url.URL {
	u := *pg.first
	q := u.Query()
	for k, v := range params {
		q.Set(k, v)
	}
	u.RawQuery = q.Encode()
	return &u
}

func asObject(doc any) map[string]any {
	m, _ := doc.(map[string]any)
	return m
}

// short shortens a URL for a message.
func short(red *credentials.Redactor, u string) string { return web.Clip(red, u, 200) }

// unwrapURLError drops the *url.Error wrapper (its text repeats the
// method and URL the caller names itself).
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
