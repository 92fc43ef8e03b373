package rest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/agentsync/agent/credentials"
	"github.com/agentsync/agent/mapping"
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
	defer resp.Body.Close()
	return io.ReadAll(resp.Body) // in memory already: package web read it
}

// pager walks the pages of one fetch.
type pager struct {
	p           vendors.Pagination // resolved
	recordsPath string
	first       *url.URL
	red         *credentials.Redactor

	seen map[string]bool // cursors, next links or page fingerprints already met
}

func newPager(r vendors.RESTSettings, red *credentials.Redactor) (*pager, error) {
	u, err := url.Parse(r.UsersURL)
	if err != nil {
		return nil, fmt.Errorf("rest.users_url: %w", err)
	}
	return &pager{p: r.Pagination, recordsPath: r.RecordsPath, first: u, red: red, seen: map[string]bool{}}, nil
}

// yieldError carries the engine's error out of the page loop unchanged.
type yieldError struct{ err error }

func (e *yieldError) Error() string { return e.err.Error() }

// run fetches page after page until the pagination's own end signal.
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
		if err != nil {
			return fmt.Errorf("page %d: %w", n, err)
		}
		if err := pg.repeated(n, recs); err != nil {
			return err
		}
		if len(recs) > 0 {
			yielded++
			if err := yield(vendors.Page{Number: yielded, Records: recs}); err != nil {
				return &yieldError{err}
			}
		}

		more, err := pg.more(doc, page, len(recs))
		if err != nil {
			return fmt.Errorf("page %d: %w", n, err)
		}
		var next *url.URL
		switch p.Type {
		case vendors.PageNone:
			return nil
		case vendors.PageOffset:
			if !more {
				return nil
			}
			offset += len(recs)
			next = pg.withQuery(map[string]string{p.OffsetParam: strconv.Itoa(offset), p.LimitParam: strconv.Itoa(p.PageSize)})
		case vendors.PageNumber:
			if !more {
				return nil
			}
			page++
			next = pg.withQuery(map[string]string{p.PageParam: strconv.Itoa(page), p.LimitParam: strconv.Itoa(p.PageSize)})
		case vendors.PageCursor:
			c, err := pg.cursor(doc, more)
			if err != nil || c == "" {
				return pageErr(n, err)
			}
			next = pg.withQuery(map[string]string{p.CursorParam: c, p.LimitParam: strconv.Itoa(p.PageSize)})
		case vendors.PageLink:
			l, err := pg.link(u, resp.Header.Values("Link"))
			if err != nil || l == nil {
				return pageErr(n, err)
			}
			next = l
		}
		u = next
	}
}

func pageErr(n int, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("page %d: %w", n, err)
}

// firstURL is the users URL with the first page's parameters.
func (pg *pager) firstURL() *url.URL {
	p := pg.p
	switch p.Type {
	case vendors.PageOffset:
		return pg.withQuery(map[string]string{p.OffsetParam: "0", p.LimitParam: strconv.Itoa(p.PageSize)})
	case vendors.PageNumber:
		return pg.withQuery(map[string]string{p.PageParam: strconv.Itoa(p.StartPage), p.LimitParam: strconv.Itoa(p.PageSize)})
	case vendors.PageCursor, vendors.PageLink:
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

// more reads the end signal of offset and page-number pagination: the
// has_more flag or the page count when configured (a short page proves
// nothing when the API says otherwise), else "this page was not empty".
func (pg *pager) more(doc any, page, n int) (bool, error) {
	p := pg.p
	if p.Type == vendors.PageNone || p.Type == vendors.PageLink {
		return false, nil
	}
	switch {
	case p.HasMorePath != "":
		v, err := pg.lookup(doc, p.HasMorePath, "has_more_path")
		if err != nil {
			return false, err
		}
		more, ok := v.(bool)
		if !ok {
			return false, fmt.Errorf("%w: rest.pagination.has_more_path %q holds %s, not true or false", ErrPagination, p.HasMorePath, describe(v))
		}
		if more && n == 0 {
			return false, fmt.Errorf("%w: the API says more users follow (%s is true) but sent none on this page", ErrPagination, p.HasMorePath)
		}
		return more, nil
	case p.Type == vendors.PageNumber && p.TotalPagesPath != "":
		v, err := pg.lookup(doc, p.TotalPagesPath, "total_pages_path")
		if err != nil {
			return false, err
		}
		total, err := strconv.Atoi(mapping.Stringify(v))
		if err != nil || total < 0 {
			return false, fmt.Errorf("%w: rest.pagination.total_pages_path %q holds %s, not a page count", ErrPagination, p.TotalPagesPath, describe(v))
		}
		last := total - 1 + p.StartPage
		if page < last && n == 0 {
			return false, fmt.Errorf("%w: page %d of %d is empty", ErrPagination, page, total)
		}
		return page < last, nil
	case p.Type == vendors.PageCursor:
		return true, nil // the cursor decides
	}
	return n > 0, nil
}

// cursor returns the next cursor, "" at the end. A cursor seen before
// would loop forever: that fails the fetch.
func (pg *pager) cursor(doc any, more bool) (string, error) {
	p := pg.p
	v, _ := mapping.Lookup(asObject(doc), p.CursorPath)
	c := mapping.Stringify(v)
	switch {
	case p.HasMorePath != "" && !more:
		return "", nil
	case c == "" && p.HasMorePath != "":
		return "", fmt.Errorf("%w: the API says more users follow (%s is true) but gives no cursor at %q", ErrPagination, p.HasMorePath, p.CursorPath)
	case c == "":
		return "", nil
	case pg.seen["cursor\x00"+c]:
		return "", fmt.Errorf("%w: the API handed out cursor %q again (rest.pagination.cursor_path %q); stopped before looping", ErrRepeated, web.Clip(pg.red, c, 40), p.CursorPath)
	}
	pg.seen["cursor\x00"+c] = true
	return c, nil
}

// link returns the rel="next" link resolved against the current URL, nil
// at the end. It must stay on the users URL's origin (it gets the
// credential; web.SameOrigin) and must not repeat.
func (pg *pager) link(cur *url.URL, values []string) (*url.URL, error) {
	l := web.NextLink(values)
	if l == "" {
		return nil, nil
	}
	ref, err := url.Parse(l)
	if err != nil {
		return nil, fmt.Errorf("%w: the Link header's next target %q is not a URL", ErrPagination, web.Clip(pg.red, l, 80))
	}
	next := cur.ResolveReference(ref)
	if !web.SameOrigin(pg.first, next) {
		return nil, fmt.Errorf("%w: the Link header's next page is on %s, not %s; the credential is not sent elsewhere",
			ErrPagination, web.Origin(next), web.Origin(pg.first))
	}
	key := "link\x00" + next.String()
	if pg.seen[key] {
		return nil, fmt.Errorf("%w: the Link header points again at %s; stopped before looping", ErrRepeated, short(pg.red, next.String()))
	}
	pg.seen[key] = true
	return next, nil
}

// repeated fails when offset or page-number pagination returns a page it
// returned before (an API that ignores the offset or page parameter would
// otherwise be read until max_pages, every user counted many times).
func (pg *pager) repeated(n int, recs []vendors.Record) error {
	if len(recs) == 0 || (pg.p.Type != vendors.PageOffset && pg.p.Type != vendors.PageNumber) {
		return nil
	}
	first, _ := json.Marshal(recs[0])
	last, _ := json.Marshal(recs[len(recs)-1])
	key := "page\x00" + strconv.Itoa(len(recs)) + "\x00" + string(first) + "\x00" + string(last)
	if pg.seen[key] {
		return fmt.Errorf("page %d: %w: the API returned an earlier page again; does it read rest.pagination.%s?", n, ErrRepeated, map[string]string{
			vendors.PageOffset: "offset_param", vendors.PageNumber: "page_param"}[pg.p.Type])
	}
	pg.seen[key] = true
	return nil
}

// lookup finds a pagination value that must be there.
func (pg *pager) lookup(doc any, path, key string) (any, error) {
	v, ok := mapping.Lookup(asObject(doc), path)
	if !ok || v == nil {
		return nil, fmt.Errorf("%w: rest.pagination.%s %q is not in the response (%s)", ErrEnvelope, key, path, keysOf(doc, pg.red))
	}
	return v, nil
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
