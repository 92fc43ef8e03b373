package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// answer is one scripted response; close drops the connection instead.
type answer struct {
	code   int
	header map[string]string
	body   string
	close  bool
}

// script serves its answers in order, then the last one forever.
type script struct {
	mu      sync.Mutex
	answers []answer
	n       int
	bodies  []string // request bodies seen
}

func (s *script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	a := s.answers[min(s.n, len(s.answers)-1)]
	s.n++
	b, _ := io.ReadAll(r.Body)
	s.bodies = append(s.bodies, string(b))
	s.mu.Unlock()
	if a.close {
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
		return
	}
	for k, v := range a.header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(a.code)
	io.WriteString(w, a.body)
}

// sleeps records the waits instead of sleeping.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func client(t *testing.T, o Options, sl *sleeps) *http.Client {
	t.Helper()
	if o.Attempts == 0 {
		o.Attempts = 4
	}
	if o.Backoff == 0 {
		o.Backoff = time.Second
	}
	if o.MaxWait == 0 {
		o.MaxWait = time.Minute
	}
	o.Sleep = sl.sleep
	c, err := NewClient(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRetries(t *testing.T) {
	date := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	ok := answer{code: 200, body: `{"ok":true}`}
	tests := []struct {
		name     string
		answers  []answer
		code     int   // final status, 0 when an error is expected
		err      error // errors.Is
		requests int
		waits    []time.Duration // exact; nil = check the backoff range
	}{
		{"500 once", []answer{{code: 500}, ok}, 200, nil, 2, nil},
		{"connection dropped once", []answer{{close: true}, ok}, 200, nil, 2, nil},
		{"429 with Retry-After seconds", []answer{{code: 429, header: map[string]string{"Retry-After": "7"}}, ok}, 200, nil, 2, []time.Duration{7 * time.Second}},
		{"503 with Retry-After date", []answer{{code: 503, header: map[string]string{
			"Date": date.Format(http.TimeFormat), "Retry-After": date.Add(30 * time.Second).Format(http.TimeFormat)}}, ok}, 200, nil, 2, []time.Duration{30 * time.Second}},
		{"Retry-After past the ceiling fails at once", []answer{{code: 429, header: map[string]string{"Retry-After": "3600"}}, ok}, 0, ErrRetryAfter, 1, []time.Duration{}},
		{"502, 504, 500, 503: gives up", []answer{{code: 502}, {code: 504}, {code: 500}, {code: 503}}, 0, ErrGaveUp, 4, nil},
		{"404 is not retried", []answer{{code: 404}, ok}, 404, nil, 1, []time.Duration{}},
		{"401 is the caller's", []answer{{code: 401}, ok}, 401, nil, 1, []time.Duration{}},
		{"403 is the caller's", []answer{{code: 403}, ok}, 403, nil, 1, []time.Duration{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &script{answers: tc.answers}
			srv := httptest.NewServer(s)
			defer srv.Close()
			var sl sleeps
			c := client(t, Options{}, &sl)
			resp, err := c.Get(srv.URL)
			switch {
			case tc.err != nil:
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
			case err != nil:
				t.Fatal(err)
			case resp.StatusCode != tc.code:
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.code)
			}
			if s.n != tc.requests {
				t.Errorf("%d requests, want %d", s.n, tc.requests)
			}
			if tc.waits != nil {
				if len(sl.d) != len(tc.waits) || (len(tc.waits) > 0 && sl.d[0] != tc.waits[0]) {
					t.Errorf("waits %v, want %v", sl.d, tc.waits)
				}
				return
			}
			for i, d := range sl.d { // backoff doubles, with jitter in [d/2, d]
				full := time.Second << i
				if d < full/2 || d > full {
					t.Errorf("wait %d = %s, want between %s and %s", i+1, d, full/2, full)
				}
			}
		})
	}
}

func TestBodyIsResentOnRetry(t *testing.T) {
	s := &script{answers: []answer{{code: 503}, {code: 200, body: `{}`}}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	var sl sleeps
	resp, err := client(t, Options{}, &sl).Post(srv.URL, "application/x-www-form-urlencoded", strings.NewReader("grant_type=client_credentials"))
	if err != nil || resp.StatusCode != 200 {
		t.Fatal(resp, err)
	}
	if len(s.bodies) != 2 || s.bodies[1] != "grant_type=client_credentials" {
		t.Errorf("bodies %q", s.bodies)
	}
}

func TestBodyCapAndGzip(t *testing.T) {
	big := strings.Repeat("x", 3<<20)
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	io.WriteString(w, `"`+big+`"`)
	w.Close()
	var gotUA, gotAE string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotUA, gotAE = r.Header.Get("User-Agent"), r.Header.Get("Accept-Encoding")
		switch r.URL.Path {
		case "/plain":
			io.WriteString(w, big)
		case "/gzip":
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(gz.Bytes())
		case "/small":
			w.Header().Set("Content-Encoding", "gzip")
			zw := gzip.NewWriter(w)
			io.WriteString(zw, `{"users":[]}`)
			zw.Close()
		}
	}))
	defer srv.Close()
	var sl sleeps
	c := client(t, Options{UserAgent: "agent/1.2.3", MaxResponseBytes: 1 << 20}, &sl)
	for _, p := range []string{"/plain", "/gzip"} {
		_, err := c.Get(srv.URL + p)
		if !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s: err = %v, want ErrTooLarge", p, err)
		}
	}
	resp, err := c.Get(srv.URL + "/small")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	if string(b) != `{"users":[]}` || gotUA != "agent/1.2.3" || gotAE != "gzip" {
		t.Errorf("body %q, User-Agent %q, Accept-Encoding %q", b, gotUA, gotAE)
	}
	if len(sl.d) != 0 {
		t.Errorf("a body over the cap was retried: %v", sl.d)
	}
}

func TestRequestTimeoutIsRetried(t *testing.T) {
	var n int
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		first := n == 1
		mu.Unlock()
		if first {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			return
		}
		io.WriteString(w, "{}")
	}))
	defer srv.Close()
	var sl sleeps
	resp, err := client(t, Options{RequestTimeout: 50 * time.Millisecond}, &sl).Get(srv.URL)
	if err != nil || resp.StatusCode != 200 || n != 2 {
		t.Fatalf("%v %v after %d requests", resp, err, n)
	}
}

func TestPacing(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		header map[string]string
		wait   time.Duration
	}{
		{"plenty left", map[string]string{"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "4000", "X-RateLimit-Reset": strconv.FormatInt(now.Unix()+600, 10)}, 0},
		{"none left, epoch reset", map[string]string{"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": strconv.FormatInt(now.Unix()+40, 10)}, 40 * time.Second},
		{"few left, Okta's spelling", map[string]string{"X-Rate-Limit-Limit": "100", "X-Rate-Limit-Remaining": "4", "X-Rate-Limit-Reset": strconv.FormatInt(now.Unix()+50, 10)}, 10 * time.Second},
		{"IETF fields, delta reset", map[string]string{"RateLimit-Limit": "20", "RateLimit-Remaining": "1", "RateLimit-Reset": "2"}, time.Second},
		{"IETF structured", map[string]string{"RateLimit": `"default";r=0;t=9`, "RateLimit-Policy": `"default";q=100;w=60`}, 9 * time.Second},
		{"past the ceiling: the ceiling", map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "3600"}, time.Minute},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := map[string]string{"Date": now.Format(http.TimeFormat)}
			for k, v := range tc.header {
				h[k] = v
			}
			srv := httptest.NewServer(&script{answers: []answer{{code: 200, header: h, body: "{}"}}})
			defer srv.Close()
			var sl sleeps
			c := client(t, Options{Now: func() time.Time { return now }}, &sl)
			for range 2 {
				if _, err := c.Get(srv.URL); err != nil {
					t.Fatal(err)
				}
			}
			want := []time.Duration{}
			if tc.wait > 0 {
				want = []time.Duration{tc.wait}
			}
			if len(sl.d) != len(want) || len(want) > 0 && sl.d[0] != want[0] {
				t.Errorf("waits %v, want %v", sl.d, want)
			}
		})
	}
}

// A failed response's rate-limit headers hold for its retry: a 500 that
// says the window is spent is retried after the window, not at once (a
// retry inside it would earn a 429).
func TestRetryWaitsForTheRateLimitWindow(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	spent := map[string]string{"Date": now.Format(http.TimeFormat), "X-RateLimit-Limit": "20",
		"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": strconv.FormatInt(now.Unix()+30, 10)}
	srv := httptest.NewServer(&script{answers: []answer{{code: 500, header: spent, body: "{}"}, {code: 200, body: "{}"}}})
	defer srv.Close()
	var sl sleeps
	c := client(t, Options{Now: func() time.Time { return now }}, &sl)
	if _, err := c.Get(srv.URL); err != nil {
		t.Fatal(err)
	}
	if len(sl.d) != 2 || sl.d[1] != 30*time.Second {
		t.Errorf("waits before the retry %v; want the backoff, then the 30 s left in the window", sl.d)
	}
}

func TestTLSIsVerifiedWithAnOptionalCAFile(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "{}") }))
	defer srv.Close()
	var sl sleeps
	if _, err := client(t, Options{Attempts: 1}, &sl).Get(srv.URL); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("an unknown CA was accepted: %v", err)
	}
	ca := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600)
	if _, err := client(t, Options{CAFile: ca}, &sl).Get(srv.URL); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "bad.pem")
	os.WriteFile(bad, []byte("not a certificate"), 0o600)
	if _, err := NewClient(Options{CAFile: bad}); err == nil || !strings.Contains(err.Error(), "holds no PEM certificate") {
		t.Errorf("bad CA file: %v", err)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"120", 2 * time.Minute, true},
		{" 0 ", 0, true},
		{"Fri, 01 May 2026 12:00:30 GMT", 30 * time.Second, true},
		{"Friday, 01-May-26 12:01:00 GMT", time.Minute, true}, // RFC 850
		{"Fri May  1 12:00:05 2026", 5 * time.Second, true},   // asctime
		{"Fri, 01 May 2026 11:00:00 GMT", 0, true},            // in the past
		{"-5", 0, false},
		{"1.5", 0, false},
		{"soon", 0, false},
		{"", 0, false},
		{"99999999999999999999", 0, false},
	}
	for _, tc := range tests {
		d, ok := RetryAfter(tc.in, now)
		if d != tc.want || ok != tc.ok {
			t.Errorf("RetryAfter(%q) = %s, %v; want %s, %v", tc.in, d, ok, tc.want, tc.ok)
		}
	}
}

func TestNextLink(t *testing.T) {
	tests := []struct {
		in   []string
		want string
	}{
		{[]string{`<https://api.github.com/orgs/x/members?page=2>; rel="next", <https://api.github.com/orgs/x/members?page=9>; rel="last"`}, "https://api.github.com/orgs/x/members?page=2"},
		{[]string{`<https://h/a?page=1>; rel="first"`, `<https://h/a?page=3>; rel="next"`}, "https://h/a?page=3"},
		{[]string{`<https://h/a?after=x,y>; rel=next`}, "https://h/a?after=x,y"},
		{[]string{`<https://h/a?p=2>; title="a, b; c"; rel="prev next"`}, "https://h/a?p=2"},
		{[]string{`<https://h/a?p=2>; REL="Next"`}, "https://h/a?p=2"},
		{[]string{`</v1/people?cursor=abc>; rel="next"`}, "/v1/people?cursor=abc"},
		{[]string{`<https://h/a?p=2>; rel="nextpage"`}, ""},
		{[]string{`<https://h/a?p=1>; rel="self"`}, ""},
		{[]string{`https://h/a; rel="next"`}, ""},
		{nil, ""},
	}
	for _, tc := range tests {
		if got := NextLink(tc.in); got != tc.want {
			t.Errorf("NextLink(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestDecodeJSON(t *testing.T) {
	tests := []struct {
		ctype, body string
		err         error
		msg         string
	}{
		{"application/json", `{"data":[{"id":12345678901234567}]}`, nil, ""},
		{"application/json", `{"data":[{"id":1}]`, ErrNotJSON, "ends in the middle of a value"},
		{"application/json", `{"a":1} {"b":2}`, ErrNotJSON, "more data after the JSON value"},
		{"application/json", ``, ErrNotJSON, "empty"},
		{"application/json", `OK`, ErrNotJSON, "invalid character"},
		{"text/html; charset=utf-8", `{"looks":"like json"}`, ErrHTML, "HTTP 200"},
		{"application/json", "\n <html><head><title>Sign in\n to Okta</title></head></html>", ErrHTML, `titled "Sign in to Okta"`},
	}
	for _, tc := range tests {
		resp := &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {tc.ctype}}}
		v, err := DecodeJSON(resp, []byte(tc.body), nil)
		if tc.err == nil {
			if err != nil {
				t.Errorf("%q: %v", tc.body, err)
			} else if id := v.(map[string]any)["data"].([]any)[0].(map[string]any)["id"]; id.(interface{ String() string }).String() != "12345678901234567" {
				t.Errorf("id lost digits: %v", id)
			}
			continue
		}
		if !errors.Is(err, tc.err) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%q: err = %v, want %v with %q", tc.body, err, tc.err, tc.msg)
		}
	}
}

func TestDescribe(t *testing.T) {
	resp := &http.Response{StatusCode: 400, Status: "400 Bad Request"}
	for body, want := range map[string]string{
		`{"error":"invalid_request","error_description":"limit too large"}`: "HTTP 400 Bad Request: invalid_request: limit too large",
		`{"error":{"message":"nope","status":400}}`:                         "HTTP 400 Bad Request: nope",
		`<html><title>Bad</title></html>`:                                   `HTTP 400 Bad Request: an HTML page titled "Bad"`,
		`plain text`:                                                        "HTTP 400 Bad Request",
	} {
		if got := Describe(resp, []byte(body), nil); got != want {
			t.Errorf("Describe(%q) = %q, want %q", body, got, want)
		}
	}
}

func TestObserve(t *testing.T) {
	tests := []struct {
		name    string
		answers []answer
		want    map[string]int
	}{
		{"one request", []answer{{code: 200, body: `{}`}}, map[string]int{EventRequest: 1}},
		{"429 then 500 then ok", []answer{{code: 429}, {code: 500}, {code: 200}}, map[string]int{EventRequest: 3, EventRateLimited: 1, EventRetry: 2}},
		{"429 until giving up", []answer{{code: 429}}, map[string]int{EventRequest: 4, EventRateLimited: 4, EventRetry: 3}},
		{"404 is a request, no retry", []answer{{code: 404}}, map[string]int{EventRequest: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(&script{answers: tc.answers})
			defer srv.Close()
			var mu sync.Mutex
			got := map[string]int{}
			host := strings.TrimPrefix(srv.URL, "http://")
			c := client(t, Options{Observe: func(event, h string) {
				mu.Lock()
				defer mu.Unlock()
				if h != host {
					t.Errorf("host %q, want %q", h, host)
				}
				got[event]++
			}}, &sleeps{})
			if resp, err := c.Get(srv.URL + "/v1/users?cursor=abc"); err == nil {
				resp.Body.Close()
			}
			mu.Lock()
			defer mu.Unlock()
			if len(got) != len(tc.want) {
				t.Fatalf("events %v, want %v", got, tc.want)
			}
			for k, n := range tc.want {
				if got[k] != n {
					t.Errorf("events %v, want %v", got, tc.want)
				}
			}
		})
	}
}
