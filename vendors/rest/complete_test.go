package rest_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/agentsync/agent/vendors"
	"github.com/agentsync/agent/vendors/rest"
)

// TestCompleteness holds the rules of complete.go: each case serves its
// pages in order and says how the fetch must end. A configured path that
// is absent is a changed envelope; only a cursor present and empty or
// null ends the pages. A failure names the path, the page and its URL,
// matches vendors.ErrIncomplete, and yields nothing of the failing page.
func TestCompleteness(t *testing.T) {
	const (
		page1 = `{"data":{"users":[{"email":"a@x"}]}`
		page2 = `{"data":{"users":[{"email":"b@x"}]}`
	)
	tests := []struct {
		name       string
		pagination rest.Pagination
		pages      []string
		users      int    // yielded
		err        error  // nil: complete
		want       string // in the error, after page and the sentinel
		page       string // "page N: "
	}{
		{"cursor present and empty ends", rest.Pagination{Type: rest.PageCursor, CursorPath: "meta.next"},
			[]string{page1 + `,"meta":{"next":"c2"}}`, page2 + `,"meta":{"next":""}}`}, 2, nil, "", ""},
		{"cursor null ends", rest.Pagination{Type: rest.PageCursor, CursorPath: "meta.next"},
			[]string{page1 + `,"meta":{"next":"c2"}}`, page2 + `,"meta":{"next":null}}`}, 2, nil, "", ""},
		{"numeric cursor goes on", rest.Pagination{Type: rest.PageCursor, CursorPath: "meta.next"},
			[]string{page1 + `,"meta":{"next":2}}`, page2 + `,"meta":{"next":""}}`}, 2, nil, "", ""},
		{"cursor_path absent", rest.Pagination{Type: rest.PageCursor, CursorPath: "meta.nxt"},
			[]string{page1 + `,"meta":{"next":"c2"}}`}, 0, rest.ErrEnvelope, `rest.pagination.cursor_path "meta.nxt" is not in the response (its top-level keys: data, meta)`, "page 1: "},
		{"cursor_path absent on a later page", rest.Pagination{Type: rest.PageCursor, CursorPath: "meta.next"},
			[]string{page1 + `,"meta":{"next":"c2"}}`, page2 + `}`}, 1, rest.ErrEnvelope, `rest.pagination.cursor_path "meta.next" is not in the response`, "page 2: "},
		{"cursor_path absent though has_more is false", rest.Pagination{Type: rest.PageCursor, CursorPath: "meta.next", HasMorePath: "has_more"},
			[]string{page1 + `,"has_more":false}`}, 0, rest.ErrEnvelope, `rest.pagination.cursor_path "meta.next" is not in the response`, "page 1: "},
		{"cursor an object", rest.Pagination{Type: rest.PageCursor, CursorPath: "meta.next"},
			[]string{page1 + `,"meta":{"next":{"a":1}}}`}, 0, rest.ErrEnvelope, `rest.pagination.cursor_path "meta.next" holds an object, not a cursor`, "page 1: "},
		{"repeated cursor", rest.Pagination{Type: rest.PageCursor, CursorPath: "meta.next"},
			[]string{page1 + `,"meta":{"next":"c2"}}`, page2 + `,"meta":{"next":"c2"}}`}, 1, rest.ErrRepeated, `the API handed out cursor "c2" again (rest.pagination.cursor_path "meta.next")`, "page 2: "},
		{"has_more true without a cursor", rest.Pagination{Type: rest.PageCursor, CursorPath: "meta.next", HasMorePath: "has_more"},
			[]string{page1 + `,"meta":{"next":""},"has_more":true}`}, 0, rest.ErrPagination, `the API says more users follow (has_more is true) but gives no cursor at "meta.next"`, "page 1: "},
		{"has_more_path absent", rest.Pagination{Type: rest.PageOffset, HasMorePath: "has_more"},
			[]string{page1 + `}`}, 0, rest.ErrEnvelope, `rest.pagination.has_more_path "has_more" is not in the response (its top-level keys: data)`, "page 1: "},
		{"has_more_path absent with a cursor", rest.Pagination{Type: rest.PageCursor, CursorPath: "meta.next", HasMorePath: "has_more"},
			[]string{page1 + `,"meta":{"next":"c2"}}`}, 0, rest.ErrEnvelope, `rest.pagination.has_more_path "has_more" is not in the response`, "page 1: "},
		{"total_pages_path absent", rest.Pagination{Type: rest.PageNumber, TotalPagesPath: "pages"},
			[]string{page1 + `,"pages":2}`, page2 + `}`}, 1, rest.ErrEnvelope, `rest.pagination.total_pages_path "pages" is not in the response (its top-level keys: data)`, "page 2: "},
		{"total_pages_path absent though has_more decides", rest.Pagination{Type: rest.PageNumber, TotalPagesPath: "pages", HasMorePath: "has_more"},
			[]string{page1 + `,"has_more":false}`}, 0, rest.ErrEnvelope, `rest.pagination.total_pages_path "pages" is not in the response`, "page 1: "},
		{"records_path absent", rest.Pagination{Type: rest.PageCursor, CursorPath: "meta.next"},
			[]string{`{"data":{"members":[]},"meta":{"next":""}}`}, 0, rest.ErrEnvelope, `rest.records_path "data.users" is not in the response (its top-level keys: data, meta)`, "page 1: "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var served atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				i := int(served.Add(1)) - 1
				if i >= len(tc.pages) {
					http.Error(w, "no such page", http.StatusNotFound)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(tc.pages[i]))
			}))
			t.Cleanup(srv.Close)
			src, err := rest.New(vendors.Config{Vendor: "rest", Settings: &rest.Settings{
				UsersURL: srv.URL + "/v1/users", RecordsPath: "data.users", Auth: rest.AuthNone, Pagination: tc.pagination}})
			if err != nil {
				t.Fatal(err)
			}
			users := 0
			err = src.Fetch(context.Background(), func(p vendors.Page) error {
				users += len(p.Records)
				return nil
			})
			if users != tc.users {
				t.Errorf("%d users yielded, want %d", users, tc.users)
			}
			if tc.err == nil {
				if err != nil {
					t.Fatalf("want a complete fetch, got %v", err)
				}
				if int(served.Load()) != len(tc.pages) {
					t.Errorf("%d pages read, want %d", served.Load(), len(tc.pages))
				}
				return
			}
			if !errors.Is(err, tc.err) || !errors.Is(err, vendors.ErrIncomplete) {
				t.Fatalf("err = %v, want %v and vendors.ErrIncomplete", err, tc.err)
			}
			for _, s := range []string{tc.page + tc.err.Error() + ": " + tc.want, "(GET " + srv.URL + "/v1/users?"} {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("err = %v\nwant it to contain %q", err, s)
				}
			}
		})
	}
}
