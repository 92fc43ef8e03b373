package page

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/internal/filelock"
)

// get serves one request from loopback at localhost, or as set by mod.
func serve(t *testing.T, h http.Handler, method, target string, body io.Reader, mod func(*http.Request)) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, target, body)
	r.RemoteAddr, r.Host = "127.0.0.1:50123", "localhost:8080"
	if body != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if mod != nil {
		mod(r)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestPages(t *testing.T) {
	f := newFixture(t)
	h := Handler(f.deps())
	for _, tc := range []struct {
		name, method, target string
		code                 int
		want, not            []string
	}{
		{"integrations", "GET", "/", 200,
			[]string{">acme<", `state active`, ">broken<", `state failed`, "broken.jsonl:2: invalid JSON", ">drafty<", `state draft`, "missing: user.username or user.email",
				">fresh<", `state ready`, "launched, never ran", "Run now", "integration broken failed"},
			nil},
		{"HEAD", "HEAD", "/", 200, nil, []string{"acme"}},
		{"integration", "GET", "/integration/acme", 200,
			[]string{"acme", "hooks", "https://hooks.example.com", "every record (a full snapshot)", "/run/" + f.second, "/run/" + f.first, "Run now"},
			[]string{"secret-path"}},
		{"draft has no button", "GET", "/integration/drafty", 200, []string{"missing:"}, []string{"Run now</button>"}},
		{"run with changes", "GET", "/run/" + f.second, 200,
			[]string{"ann@example.com", "title", "Engineer", "Staff Engineer", "cy@example.com", "status", "active", "inactive"}, nil},
		{"run with creations", "GET", "/run/" + f.first, 200, []string{"bob@example.com", "created"}, nil},
		{"failed run", "GET", "/run/" + f.brokenRun, 200, []string{"failed", "broken.jsonl:2: invalid JSON"}, nil},
		{"an invoices run counts invoices", "GET", "/run/" + f.invoicesRun, 200, []string{"<dt>Invoices</dt>"}, []string{"<dt>People</dt>"}},
		{"inbox", "GET", "/inbox", 200, []string{"run_failed", "integration broken failed", "started at"}, nil},
		{"credentials", "GET", "/credentials", 200, []string{"hook-key", "api_key", "expiring", "destination hooks"}, nil},
		{"destinations", "GET", "/destinations", 200, []string{"hooks", "webhook", "https://hooks.example.com", "acme"}, []string{"secret-path"}},
		{"unknown integration", "GET", "/integration/nope", 404, []string{"nope"}, nil},
		{"unknown run", "GET", "/run/nope", 404, []string{"nope"}, nil},
		{"unknown path", "GET", "/nope", 404, nil, nil},
		{"page 0", "GET", "/?page=0", 400, []string{"page must be"}, nil},
		{"page not a number", "GET", "/inbox?page=x", 400, nil, nil},
		{"negative page", "GET", "/integration/acme?page=-1", 400, nil, nil},
		{"huge page", "GET", "/destinations?page=99999999999", 400, nil, nil},
		{"bad cursor", "GET", "/run/" + f.first + "?after=7.1", 400, []string{"cursor"}, nil},
		{"page past the end", "GET", "/?page=9", 200, []string{"No integration on this page"}, nil},
		{"POST to a page", "POST", "/", 405, nil, nil},
		{"GET Run now", "GET", "/integration/acme/run", 405, nil, nil},
		{"DELETE inbox", "DELETE", "/inbox", 405, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := serve(t, h, tc.method, tc.target, nil, nil)
			body := w.Body.String()
			if w.Code != tc.code {
				t.Fatalf("%s %s: %d; want %d\n%s", tc.method, tc.target, w.Code, tc.code, body)
			}
			for _, s := range tc.want {
				if !strings.Contains(body, s) {
					t.Errorf("%s %s: the page lacks %q", tc.method, tc.target, s)
				}
			}
			for _, s := range append(tc.not, secretToken) {
				if strings.Contains(body, s) {
					t.Errorf("%s %s: the page shows %q", tc.method, tc.target, s)
				}
			}
			if tc.code == 405 && w.Header().Get("Allow") == "" {
				t.Errorf("405 without Allow")
			}
			if tc.code == 200 && !strings.Contains(w.Header().Get("Content-Security-Policy"), "default-src 'none'") {
				t.Errorf("no CSP: %q", w.Header().Get("Content-Security-Policy"))
			}
		})
	}
}

var tokenRE = regexp.MustCompile(`action="/integration/([^"]+)/run"><input type="hidden" name="csrf" value="([0-9a-f]+)"`)

// tokens are the Run now forms of a page: integration → token.
func tokens(t *testing.T, h http.Handler, target string) map[string]string {
	t.Helper()
	w := serve(t, h, "GET", target, nil, nil)
	out := map[string]string{}
	for _, m := range tokenRE.FindAllStringSubmatch(w.Body.String(), -1) {
		name, _ := url.PathUnescape(m[1])
		out[name] = m[2]
	}
	return out
}

func form(token string) io.Reader { return strings.NewReader(url.Values{"csrf": {token}}.Encode()) }

func TestRunNow(t *testing.T) {
	f := newFixture(t)
	h := Handler(f.deps())
	tok := tokens(t, h, "/")
	if len(tok) != 4 || tok["acme"] == "" || tok["ap"] == "" || tok["drafty"] != "" {
		t.Fatalf("Run now forms on /: %v; want acme, broken, ap and fresh", tok)
	}
	csrf := h.(*handler).csrf
	before, _ := f.st.RunsPage(context.Background(), "acme", 10, 0)
	for _, tc := range []struct {
		name, target, token string
		mod                 func(*http.Request)
		code                int
		want                string
	}{
		{"from another machine", "/integration/acme/run", tok["acme"], func(r *http.Request) { r.RemoteAddr = "192.0.2.7:4000" }, 403, "only from this machine"},
		{"through a proxy", "/integration/acme/run", tok["acme"], func(r *http.Request) { r.Header.Set("X-Forwarded-For", "192.0.2.7") }, 403, "proxy"},
		{"at a rebound name", "/integration/acme/run", tok["acme"], func(r *http.Request) { r.Host = "evil.example:8080" }, 403, "loopback address"},
		{"cross-origin", "/integration/acme/run", tok["acme"], func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "cross-site") }, 403, ""},
		{"no CSRF token", "/integration/acme/run", "", nil, 403, "CSRF"},
		{"another integration's token", "/integration/acme/run", tok["broken"], nil, 403, "CSRF"},
		{"a token not hex", "/integration/acme/run", "zz" + tok["acme"], nil, 403, "CSRF"},
		{"an old process's token", "/integration/acme/run", newCSRF().token("acme"), nil, 403, "CSRF"},
		{"unknown integration", "/integration/nope/run", csrf.token("nope"), nil, 404, "nope"},
		{"draft", "/integration/drafty/run", csrf.token("drafty"), nil, 409, "draft"},
		{"a form too large", "/integration/acme/run", strings.Repeat("0", maxForm), nil, 400, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := serve(t, h, "POST", tc.target, form(tc.token), tc.mod)
			if w.Code != tc.code || !strings.Contains(w.Body.String(), tc.want) {
				t.Fatalf("%d %s; want %d with %q", w.Code, w.Body.String(), tc.code, tc.want)
			}
		})
	}
	if after, _ := f.st.RunsPage(context.Background(), "acme", 10, 0); len(after) != len(before) {
		t.Fatalf("a refused Run now ran acme: %d runs, then %d", len(before), len(after))
	}

	t.Run("runs and redirects", func(t *testing.T) {
		w := serve(t, h, "POST", "/integration/acme/run", form(tok["acme"]), nil)
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/integration/acme" {
			t.Fatalf("%d Location %q; want 303 to /integration/acme\n%s", w.Code, w.Header().Get("Location"), w.Body.String())
		}
		runs, _ := f.st.RunsPage(context.Background(), "acme", 10, 0)
		if len(runs) != len(before)+1 || runs[0].Outcome != store.OutcomeSuccess || runs[0].Trigger != "manual" {
			t.Fatalf("runs after Run now: %+v", runs)
		}
		if page := serve(t, h, "GET", "/integration/acme", nil, nil).Body.String(); !strings.Contains(page, "/run/"+runs[0].ID) {
			t.Errorf("the integration's page does not list the new run %s", runs[0].ID)
		}
	})
	t.Run("already running", func(t *testing.T) {
		l, err := filelock.Acquire(f.cfg.Agent.DataDir, "acme")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Release()
		w := serve(t, h, "POST", "/integration/acme/run", form(tok["acme"]), nil)
		if w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), "already running") {
			t.Fatalf("%d %s; want 409 already running", w.Code, w.Body.String())
		}
	})
	t.Run("the run cannot start", func(t *testing.T) {
		d := f.deps()
		d.RunNow = func(context.Context, string) error { return errors.New("the service is stopping") }
		h := Handler(d)
		w := serve(t, h, "POST", "/integration/acme/run", form(h.(*handler).csrf.token("acme")), nil)
		if w.Code != http.StatusInternalServerError || !strings.Contains(w.Body.String(), "the service is stopping") {
			t.Fatalf("%d %s; want 500 with the error", w.Code, w.Body.String())
		}
	})
	t.Run("read-only", func(t *testing.T) {
		d := f.deps()
		d.RunNow = nil
		h := Handler(d)
		if tok := tokens(t, h, "/"); len(tok) != 0 {
			t.Errorf("a read-only page offers Run now: %v", tok)
		}
		w := serve(t, h, "POST", "/integration/acme/run", form(h.(*handler).csrf.token("acme")), nil)
		if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "read-only") {
			t.Fatalf("%d %s; want 403 read-only", w.Code, w.Body.String())
		}
	})
	t.Run("no button for another machine", func(t *testing.T) {
		w := serve(t, h, "GET", "/", nil, func(r *http.Request) { r.RemoteAddr = "[2001:db8::1]:4000" })
		if w.Code != 200 || strings.Contains(w.Body.String(), "Run now</button>") || !strings.Contains(w.Body.String(), "this machine only") {
			t.Errorf("a remote browser: %d, the page offers Run now or does not say why not", w.Code)
		}
	})
}

// Every list is paged, and following the links reaches every row once.
func TestPaging(t *testing.T) {
	f := newFixture(t)
	d := f.deps()
	d.PageSize = 1
	h := Handler(d)
	follow := func(start string, row *regexp.Regexp) []string {
		var got []string
		next := regexp.MustCompile(`<a href="([^"]+)" rel="next">`)
		for target, n := start, 0; target != ""; n++ {
			if n > 20 {
				t.Fatalf("more than 20 pages from %s", start)
			}
			w := serve(t, h, "GET", strings.ReplaceAll(target, "&amp;", "&"), nil, nil)
			if w.Code != 200 {
				t.Fatalf("%s: %d", target, w.Code)
			}
			for _, m := range row.FindAllStringSubmatch(w.Body.String(), -1) {
				got = append(got, m[1])
			}
			target = ""
			if m := next.FindStringSubmatch(w.Body.String()); m != nil {
				target = m[1]
			}
		}
		return got
	}
	if got := follow("/", regexp.MustCompile(`<td><a href="/integration/([^"]+)">`)); fmt.Sprint(got) != "[acme broken drafty ap fresh]" {
		t.Errorf("integrations through the pages: %q", got)
	}
	if got := follow("/integration/acme", regexp.MustCompile(`<tr>\s*<td class="when"><a href="/run/([^"]+)">`)); fmt.Sprint(got) != fmt.Sprint([]string{f.second, f.first}) {
		t.Errorf("runs through the pages: %q; want %q", got, []string{f.second, f.first})
	}
	if got := follow("/run/"+f.first, regexp.MustCompile(`<tr>\s*<td>([^<]+)<div class="sub">person`)); fmt.Sprint(got) != "[ann@example.com bob@example.com cy@example.com]" {
		t.Errorf("history through the pages: %q", got)
	}
	if got := follow("/run/"+f.second, regexp.MustCompile(`<td><code>([^<]+)</code></td><td class="old">`)); fmt.Sprint(got) != "[title status]" {
		t.Errorf("changes through the pages: %q", got)
	}
	if got := follow("/inbox", regexp.MustCompile(`<td><code>([^<]+)</code></td>`)); fmt.Sprint(got) != "[run_failed]" {
		t.Errorf("inbox through the pages: %q", got)
	}
}
