package rest

// The rules of a complete fetch, in one place. A fetch is complete only
// when every page arrived in the envelope the config describes and the
// pagination ended by its own signal:
//
//   - every configured path (records_path, cursor_path, has_more_path,
//     total_pages_path) is in every page: an absent one is a changed
//     envelope (ErrEnvelope), never "no more users" or "the end";
//   - a cursor that is present and empty or null ends the pages; with
//     has_more_path, has_more = false ends them and true needs a cursor;
//   - a cursor, next link or page met before fails (ErrRepeated);
//   - a signal of the wrong type or that contradicts the page fails
//     (ErrPagination), as do more than max_pages pages (ErrPageCap).
//
// Each error names the path and the page; run adds the URL.

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"

	"github.com/agentsync/agent/credentials"
	"github.com/agentsync/agent/internal/jsonpath"
	"github.com/agentsync/agent/vendors"
	"github.com/agentsync/agent/vendors/web"
)

// Errors of an incomplete fetch, wrapped; test them with errors.Is. Each
// also matches vendors.ErrIncomplete (the engine's incomplete fetch).
var (
	ErrEnvelope   = incomplete("unexpected response envelope")
	ErrRepeated   = incomplete("pagination repeats itself")
	ErrPagination = incomplete("pagination signal missing or inconsistent")
	ErrPageCap    = incomplete("too many pages")
)

// incompleteError is a sentinel that is also vendors.ErrIncomplete,
// without repeating its text.
type incompleteError struct{ msg string }

func incomplete(msg string) error               { return &incompleteError{msg} }
func (e *incompleteError) Error() string        { return e.msg }
func (e *incompleteError) Is(target error) bool { return target == vendors.ErrIncomplete }

// required finds the value at a configured path, which must be in the
// response (it may hold null). key names the setting for the message.
func (pg *pager) required(doc any, path, key string) (any, error) {
	v, ok := jsonpath.Lookup(asObject(doc), path)
	if !ok {
		return nil, fmt.Errorf("%w: rest.%s %q is not in the response (%s)", ErrEnvelope, key, path, keysOf(doc, pg.red))
	}
	return v, nil
}

// Records takes the users out of a decoded page: the array at the dotted
// path records_path ("" is the body itself), every element an object. A
// missing path, a null, or anything but an array of objects is an error:
// an API that changed its envelope must not read as zero users.
func Records(doc any, recordsPath string, red *credentials.Redactor) ([]vendors.Record, error) {
	v := doc
	if recordsPath != "" {
		m, ok := doc.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%w: the response is %s, so rest.records_path %q cannot be in it", ErrEnvelope, describe(doc), recordsPath)
		}
		if v, ok = jsonpath.Lookup(m, recordsPath); !ok {
			return nil, fmt.Errorf("%w: rest.records_path %q is not in the response (%s)%s", ErrEnvelope, recordsPath, keysOf(doc, red), saying(m, red))
		}
	}
	arr, ok := v.([]any)
	if !ok {
		where := "the response"
		if recordsPath != "" {
			where = fmt.Sprintf("rest.records_path %q", recordsPath)
		}
		return nil, fmt.Errorf("%w: %s holds %s, not an array of users", ErrEnvelope, where, describe(v))
	}
	recs := make([]vendors.Record, len(arr))
	for i, e := range arr {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%w: user %d of the page is %s, not an object", ErrEnvelope, i+1, describe(e))
		}
		recs[i] = m
	}
	return recs, nil
}

// next reads a page's end signal: the URL of the next page, nil when the
// pagination ended by its own signal. page is the page-number parameter
// of this page, offset its offset, n its number of users, cur its URL,
// links its Link header values.
func (pg *pager) next(doc any, cur *url.URL, links []string, page, offset, n int) (*url.URL, error) {
	p := pg.p
	switch p.Type {
	case PageNone:
		return nil, nil
	case PageLink:
		return pg.link(cur, links)
	}
	more, err := pg.more(doc, page, n)
	if err != nil {
		return nil, err
	}
	switch p.Type {
	case PageOffset:
		if !more {
			return nil, nil
		}
		return pg.withQuery(map[string]string{p.OffsetParam: strconv.Itoa(offset + n), p.LimitParam: strconv.Itoa(p.PageSize)}), nil
	case PageNumber:
		if !more {
			return nil, nil
		}
		return pg.withQuery(map[string]string{p.PageParam: strconv.Itoa(page + 1), p.LimitParam: strconv.Itoa(p.PageSize)}), nil
	}
	c, err := pg.cursor(doc, more)
	if err != nil || c == "" {
		return nil, err
	}
	return pg.withQuery(map[string]string{p.CursorParam: c, p.LimitParam: strconv.Itoa(p.PageSize)}), nil
}

// more reads the end signal of offset and page-number pagination: the
// has_more flag or the page count when configured (a short page proves
// nothing when the API says otherwise), else "this page was not empty".
// Every configured signal must be in the page, even when another decides.
func (pg *pager) more(doc any, page, n int) (bool, error) {
	p := pg.p
	var total any
	if p.Type == PageNumber && p.TotalPagesPath != "" {
		v, err := pg.required(doc, p.TotalPagesPath, "pagination.total_pages_path")
		if err != nil {
			return false, err
		}
		total = v
	}
	switch {
	case p.HasMorePath != "":
		v, err := pg.required(doc, p.HasMorePath, "pagination.has_more_path")
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
	case p.Type == PageNumber && p.TotalPagesPath != "":
		count, err := strconv.Atoi(jsonpath.Stringify(total))
		if err != nil || count < 0 {
			return false, fmt.Errorf("%w: rest.pagination.total_pages_path %q holds %s, not a page count", ErrPagination, p.TotalPagesPath, describe(total))
		}
		last := count - 1 + p.StartPage
		if page < last && n == 0 {
			return false, fmt.Errorf("%w: page %d of %d is empty", ErrPagination, page, count)
		}
		return page < last, nil
	case p.Type == PageCursor:
		return true, nil // the cursor decides
	}
	return n > 0, nil
}

// cursor returns the next cursor, "" at the end: a cursor_path that is
// present and empty or null. An absent one is a changed envelope (a typo
// in cursor_path must not read as the last page), and a cursor seen
// before would loop forever.
func (pg *pager) cursor(doc any, more bool) (string, error) {
	p := pg.p
	v, err := pg.required(doc, p.CursorPath, "pagination.cursor_path")
	if err != nil {
		return "", err
	}
	var c string
	switch x := v.(type) {
	case nil:
	case string:
		c = x
	case json.Number, float64:
		c = jsonpath.Stringify(x)
	default:
		return "", fmt.Errorf("%w: rest.pagination.cursor_path %q holds %s, not a cursor", ErrEnvelope, p.CursorPath, describe(v))
	}
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
func (pg *pager) repeated(recs []vendors.Record) error {
	if len(recs) == 0 || (pg.p.Type != PageOffset && pg.p.Type != PageNumber) {
		return nil
	}
	first, _ := json.Marshal(recs[0])
	last, _ := json.Marshal(recs[len(recs)-1])
	key := "page\x00" + strconv.Itoa(len(recs)) + "\x00" + string(first) + "\x00" + string(last)
	if pg.seen[key] {
		return fmt.Errorf("%w: the API returned an earlier page again; does it read rest.pagination.%s?", ErrRepeated, map[string]string{
			PageOffset: "offset_param", PageNumber: "page_param"}[pg.p.Type])
	}
	pg.seen[key] = true
	return nil
}
