package oomnitzasim_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentsync/agent/internal/oomnitzasim"
)

const (
	token = "tok-123"
	pid   = "6f1c2a8e-0b7d-4c3e-9a51-2d4e6f8a0b1c"
	pid2  = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
)

type client struct {
	t    *testing.T
	url  string
	tok  string
	csrf string
}

func start(t *testing.T, cfg oomnitzasim.Config) (*oomnitzasim.Sim, *client) {
	t.Helper()
	if cfg.Token == "" {
		cfg.Token = token
	}
	sim := oomnitzasim.New(cfg)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return sim, &client{t: t, url: srv.URL, tok: cfg.Token, csrf: cfg.CSRFToken}
}

// do sends a request and returns the status, the decoded JSON body and
// the header.
func (c *client) do(method, path string, body any) (int, map[string]any, http.Header) {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.url+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if c.tok != "" {
		req.Header.Set("Authorization2", c.tok)
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &out); err != nil {
		c.t.Fatalf("%s %s: %d, body not JSON: %q", method, path, resp.StatusCode, raw)
	}
	return resp.StatusCode, out, resp.Header
}

func part(portion string, recs ...map[string]any) map[string]any {
	if recs == nil {
		recs = []map[string]any{}
	}
	return map[string]any{
		"connector_version": "test-1", "connector_name": "ironclad", "data_type": "users",
		"sync_field": []string{"USER"}, "records": recs, "portion": portion,
		"insert_only": false, "update_only": false, "error": nil, "test_run": false,
	}
}

func rec(user string, kv ...any) map[string]any {
	m := map[string]any{"USER": user}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

func (c *client) post(path string, body any, want int) map[string]any {
	c.t.Helper()
	code, out, _ := c.do(http.MethodPost, path, body)
	if code != want {
		c.t.Fatalf("POST %s: %d %v, want %d", path, code, out, want)
	}
	return out
}

func TestAuth(t *testing.T) {
	tests := []struct {
		name string
		tok  string
		bear bool
		want int
	}{
		{"no token", "", false, 401},
		{"wrong token", "nope", false, 401},
		{"token in Authorization", "", true, 401},
		{"right token", token, false, 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sim, c := start(t, oomnitzasim.Config{})
			c.tok = tc.tok
			req, _ := http.NewRequest("GET", c.url+"/api/v2/mappings?name=AuthTest", nil)
			if tc.tok != "" {
				req.Header.Set("Authorization2", tc.tok)
			}
			if tc.bear {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var body map[string]any
			json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.want)
			}
			if tc.want == 401 {
				if msg, _ := body["error"].(string); !strings.Contains(msg, "Authorization2") {
					t.Errorf("error %q does not name Authorization2", msg)
				}
				// a refused bulk POST stores nothing
				c.post("/api/v3/bulk", part(pid, rec("a")), 401)
				if len(sim.Portions()) != 0 {
					t.Errorf("portions %v after 401", sim.Portions())
				}
			}
			if got := sim.RequestLog()[0]; got.Status != tc.want || got.Path != "/api/v2/mappings" {
				t.Errorf("log %+v", got)
			}
		})
	}
}

func TestCSRF(t *testing.T) {
	sim, c := start(t, oomnitzasim.Config{CSRFToken: "csrf-9"})
	c.csrf = ""
	code, _, h := c.do("GET", "/api/v2/mappings?name=AuthTest", nil)
	if code != 200 || h.Get("X-CSRF-Token") != "csrf-9" {
		t.Fatalf("AuthTest %d, X-CSRF-Token %q", code, h.Get("X-CSRF-Token"))
	}
	out := c.post("/api/v3/bulk", part(pid, rec("a")), 403)
	if !strings.Contains(out["error"].(string), "X-CSRF-Token") {
		t.Errorf("403 body %v", out)
	}
	c.csrf = "wrong"
	c.post("/api/v3/bulk", part(pid, rec("a")), 403)
	c.csrf = h.Get("X-CSRF-Token")
	c.post("/api/v3/bulk", part(pid, rec("a")), 200)
	c.post("/api/v3/bulk/"+pid+"/finalize", map[string]any{}, 200)
	if sim.UserCount() != 1 {
		t.Errorf("users %v", sim.Users())
	}
	// Without a configured CSRF token none is sent or needed.
	_, c2 := start(t, oomnitzasim.Config{})
	if _, _, h := c2.do("GET", "/api/v2/mappings?name=AuthTest", nil); h.Get("X-CSRF-Token") != "" {
		t.Errorf("unexpected X-CSRF-Token")
	}
	c2.post("/api/v3/bulk", part(pid, rec("a")), 200)
}

func TestPortionAppliedOnlyOnFinalize(t *testing.T) {
	sim, c := start(t, oomnitzasim.Config{})
	if code, out, _ := c.do("GET", "/api/v3/bulk/"+pid, nil); code != 200 || out["canceled"] != false || out["finalized"] != false {
		t.Fatalf("GET before the first batch: %d %v", code, out)
	}
	if len(sim.Portions()) != 0 {
		t.Fatalf("a GET created a portion")
	}
	c.post("/api/v3/bulk", part(pid, rec("ann", "EMAIL", "ann@x", "STATUS", "Active"), rec("bob", "EMAIL", "bob@x")), 200)
	out := c.post("/api/v3/bulk", part(pid, rec("cid"), rec("ann", "FIRST_NAME", "Ann")), 200)
	if out["batch"] != 2.0 || out["accepted"] != 2.0 {
		t.Errorf("second batch answer %v", out)
	}
	if sim.UserCount() != 0 {
		t.Fatalf("applied before finalize: %v", sim.Users())
	}
	_, g, _ := c.do("GET", "/api/v3/bulk/"+pid, nil)
	if g["batches"] != 2.0 || g["records"] != 4.0 || g["finalized"] != false {
		t.Errorf("GET %v", g)
	}
	fin := c.post("/api/v3/bulk/"+pid+"/finalize", map[string]any{}, 200)
	if fin["inserted"] != 3.0 || fin["updated"] != 1.0 {
		t.Errorf("finalize %v", fin)
	}
	u := sim.Users()
	if len(u) != 3 {
		t.Fatalf("users %v", u)
	}
	ann := u[oomnitzasim.Key("ann")]
	if ann["EMAIL"] != "ann@x" || ann["FIRST_NAME"] != "Ann" || ann["STATUS"] != "Active" {
		t.Errorf("ann %v (fields merge, later keys win)", ann)
	}
	// A second finalize is idempotent and applies nothing again.
	fin2 := c.post("/api/v3/bulk/"+pid+"/finalize", map[string]any{}, 200)
	if fin2["inserted"] != 3.0 {
		t.Errorf("second finalize %v", fin2)
	}
	// A batch after finalize is refused.
	c.post("/api/v3/bulk", part(pid, rec("dan")), 409)
	ps := sim.Portions()
	if len(ps) != 1 || !ps[0].Finalized || ps[0].Batches != 2 || ps[0].Records != 4 || ps[0].ConnectorName != "ironclad" ||
		ps[0].SyncField[0] != "USER" || ps[0].Inserted != 3 {
		t.Errorf("portions %+v", ps)
	}
	// Unknown portion.
	c.post("/api/v3/bulk/"+pid2+"/finalize", map[string]any{}, 404)
	if sim.Requests() != len(sim.RequestLog()) {
		t.Errorf("Requests %d, log %d", sim.Requests(), len(sim.RequestLog()))
	}
}

func TestPreferences(t *testing.T) {
	tests := []struct {
		name       string
		insertOnly bool
		updateOnly bool
		wantEmail  string // ann's EMAIL afterwards
		wantNew    bool   // zoe created
		ins, upd   float64
	}{
		{"create_update", false, false, "new@x", true, 1, 1},
		{"insert_only", true, false, "old@x", true, 1, 0},
		{"update_only", false, true, "new@x", false, 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sim, c := start(t, oomnitzasim.Config{})
			c.post("/api/v3/bulk", part(pid, rec("ann", "EMAIL", "old@x", "TITLE", "Eng")), 200)
			c.post("/api/v3/bulk/"+pid+"/finalize", map[string]any{}, 200)
			p := part(pid2, rec("ann", "EMAIL", "new@x"), rec("zoe"))
			p["insert_only"], p["update_only"] = tc.insertOnly, tc.updateOnly
			c.post("/api/v3/bulk", p, 200)
			fin := c.post("/api/v3/bulk/"+pid2+"/finalize", map[string]any{}, 200)
			u := sim.Users()
			if u["ann"]["EMAIL"] != tc.wantEmail || u["ann"]["TITLE"] != "Eng" {
				t.Errorf("ann %v", u["ann"])
			}
			if _, ok := u["zoe"]; ok != tc.wantNew {
				t.Errorf("zoe created %v, want %v", ok, tc.wantNew)
			}
			if fin["inserted"] != tc.ins || fin["updated"] != tc.upd || fin["skipped"] != 1.0 && tc.name != "create_update" {
				t.Errorf("finalize %v", fin)
			}
		})
	}
	_, c := start(t, oomnitzasim.Config{})
	p := part(pid, rec("a"))
	p["insert_only"], p["update_only"] = true, true
	if out := c.post("/api/v3/bulk", p, 400); !strings.Contains(out["error"].(string), "insert_only") {
		t.Errorf("both: %v", out)
	}
}

func TestSaaSUsers(t *testing.T) {
	for _, key := range []string{"saas", "SAAS"} {
		t.Run(key, func(t *testing.T) {
			sim, c := start(t, oomnitzasim.Config{})
			c.post("/api/v3/bulk", part(pid,
				rec("ann", "STATUS", "Active", key, map[string]any{"name": "Ironclad", "sync_key": "USER", "status": "active", "role": "admin", "last_activity": "2026-01-02T03:04:05Z"}),
				rec("ann", key, map[string]any{"name": "Slack", "sync_key": "USER", "status": "active"}),
				rec("ann", "STATUS", "Inactive", key, map[string]any{"name": "Ironclad", "sync_key": "USER", "status": "inactive"}),
			), 200)
			c.post("/api/v3/bulk/"+pid+"/finalize", map[string]any{}, 200)
			ann := sim.Users()["ann"]
			saas, _ := ann["saas"].(map[string]any)
			ic, _ := saas["Ironclad"].(map[string]any)
			if ann["STATUS"] != "Inactive" || len(saas) != 2 || ic["status"] != "inactive" || ic["role"] != "admin" ||
				ic["last_activity"] != "2026-01-02T03:04:05Z" {
				t.Errorf("ann %v", ann)
			}
			if _, ok := ann[key]; ok && key == "SAAS" {
				t.Errorf("SAAS kept as a plain field")
			}
		})
	}
	_, c := start(t, oomnitzasim.Config{})
	for _, tc := range []struct {
		saas any
		want string
	}{
		{"x", "saas is not a JSON object"},
		{map[string]any{"name": "Slack"}, "sync_key"},
		{map[string]any{"sync_key": "USER"}, `"name"`},
	} {
		out := c.post("/api/v3/bulk", part(pid, rec("ann"), rec("bob", "saas", tc.saas)), 400)
		if msg := out["error"].(string); !strings.Contains(msg, "records[1]") || !strings.Contains(msg, tc.want) {
			t.Errorf("saas %v: %q", tc.saas, msg)
		}
	}
}

func TestCancelledPortion(t *testing.T) {
	sim, c := start(t, oomnitzasim.Config{})
	c.post("/api/v3/bulk", part(pid, rec("ann")), 200)
	sim.CancelPortions(true)
	if _, g, _ := c.do("GET", "/api/v3/bulk/"+pid, nil); g["canceled"] != true {
		t.Errorf("GET %v", g)
	}
	out := c.post("/api/v3/bulk", part(pid, rec("bob")), 409)
	if !strings.Contains(out["error"].(string), "canceled") {
		t.Errorf("409 body %v", out)
	}
	c.post("/api/v3/bulk/"+pid+"/finalize", map[string]any{}, 409)
	// A new portion is cancelled as well while the flag is on, even
	// before its first batch.
	if _, g, _ := c.do("GET", "/api/v3/bulk/"+pid2, nil); g["canceled"] != true {
		t.Errorf("GET new %v", g)
	}
	sim.CancelPortions(false)
	// Cancelled stays cancelled; a fresh portion works.
	c.post("/api/v3/bulk", part(pid, rec("bob")), 409)
	pid3 := "11111111-2222-4333-8444-555555555555"
	c.post("/api/v3/bulk", part(pid3, rec("cid")), 200)
	c.post("/api/v3/bulk/"+pid3+"/finalize", map[string]any{}, 200)
	if u := sim.Users(); len(u) != 1 || u["cid"] == nil {
		t.Errorf("users %v", u)
	}
	ps := sim.Portions()
	if len(ps) != 3 || !ps[0].Cancelled || ps[0].Batches != 1 || ps[0].Finalized || !ps[1].Cancelled || ps[2].Cancelled {
		t.Errorf("portions %+v", ps)
	}
	// One portion by id; a finalized one cannot be cancelled.
	if sim.CancelPortion(pid3) {
		t.Errorf("cancelled a finalized portion")
	}
	pid4 := "21111111-2222-4333-8444-555555555555"
	c.post("/api/v3/bulk", part(pid4, rec("dan")), 200)
	if !sim.CancelPortion(pid4) {
		t.Errorf("CancelPortion")
	}
	c.post("/api/v3/bulk/"+pid4+"/finalize", map[string]any{}, 409)
}

func TestFailWith(t *testing.T) {
	sim, c := start(t, oomnitzasim.Config{})
	sim.FailWith(503, -1)
	for i := 0; i < 3; i++ {
		code, out, h := c.do("POST", "/api/v3/bulk", part(pid, rec("a")))
		if code != 503 || h.Get("Retry-After") != "1" || out["error"] != "simulated 503" {
			t.Fatalf("%d %v %q", code, out, h.Get("Retry-After"))
		}
	}
	sim.FailWith(0, 0)
	c.post("/api/v3/bulk", part(pid, rec("a")), 200)
	if len(sim.Portions()) != 1 || sim.Portions()[0].Batches != 1 {
		t.Errorf("a failed request stored something: %+v", sim.Portions())
	}

	sim.FailWith(429, 2)
	sim.SetRetryAfter("7")
	for _, want := range []int{429, 429, 200} {
		code, _, h := c.do("GET", "/api/v3/bulk/"+pid, nil)
		if code != want || want == 429 && h.Get("Retry-After") != "7" {
			t.Errorf("got %d Retry-After %q, want %d", code, h.Get("Retry-After"), want)
		}
	}
	sim.SetRetryAfter("")
	sim.FailWith(500, 1)
	if code, _, h := c.do("GET", "/api/v3/bulk/"+pid, nil); code != 500 || h.Get("Retry-After") != "" {
		t.Errorf("500: %d %q", code, h.Get("Retry-After"))
	}
	// Faults come before auth.
	sim.FailWith(502, 1)
	c.tok = ""
	if code, _, _ := c.do("GET", "/api/v2/mappings?name=AuthTest", nil); code != 502 {
		t.Errorf("fault before auth: %d", code)
	}
}

func TestInvalidBodies(t *testing.T) {
	_, c := start(t, oomnitzasim.Config{MaxBodyBytes: 1 << 16})
	with := func(k string, v any) map[string]any {
		p := part(pid, rec("a"))
		if v == nil {
			delete(p, k)
		} else {
			p[k] = v
		}
		return p
	}
	tests := []struct {
		name string
		body any
		want int
		msg  string
	}{
		{"malformed", `{"portion": `, 400, "malformed JSON"},
		{"not an object", `[1]`, 400, "malformed JSON"},
		{"no portion", with("portion", nil), 400, `"portion" is required`},
		{"portion not a UUID", with("portion", "run-1"), 400, "not a UUID"},
		{"data_type", with("data_type", "assets"), 400, `"data_type"`},
		{"no data_type", with("data_type", nil), 400, `"data_type" is required`},
		{"no connector_name", with("connector_name", nil), 400, `"connector_name"`},
		{"no sync_field", with("sync_field", []string{}), 400, `"sync_field"`},
		{"sync_field blank", with("sync_field", []string{" "}), 400, `"sync_field"[0]`},
		{"no records", with("records", nil), 400, `"records" is required`},
		{"record not object", with("records", []any{"x"}), 400, "records[0] is not a JSON object"},
		{"sync value missing", with("records", []any{rec("a"), map[string]any{"EMAIL": "e"}}), 400, `records[1]: sync field "USER" is missing`},
		{"sync value empty", with("records", []any{rec("")}), 400, `records[0]: sync field "USER" is empty`},
		{"sync value null", with("records", []any{map[string]any{"USER": nil}}), 400, `sync field "USER" is empty`},
		{"sync value object", with("records", []any{map[string]any{"USER": map[string]any{}}}), 400, "not a scalar"},
		{"wrong type", with("insert_only", "yes"), 400, `"insert_only": want bool`},
		{"too big", with("records", []any{rec(strings.Repeat("x", 1<<16))}), 413, "body over 65536 bytes"},
		{"empty records ok", with("records", []any{}), 200, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := c.post("/api/v3/bulk", tc.body, tc.want)
			if msg, _ := out["error"].(string); !strings.Contains(msg, tc.msg) {
				t.Errorf("error %q, want it to contain %q", msg, tc.msg)
			}
		})
	}
	c.post("/api/v3/bulk/"+pid+"/finalize", "", 400)
	c.post("/api/v3/bulk/"+pid+"/finalize", "[]", 400)
	code, out, _ := c.do("GET", "/api/v3/bulk", nil)
	if code != 405 {
		t.Errorf("GET /api/v3/bulk: %d %v", code, out)
	}
	if code, _, _ := c.do("GET", "/api/v3/nothing", nil); code != 404 {
		t.Errorf("unknown path %d", code)
	}
	req, _ := http.NewRequest("POST", c.url+"/api/v3/bulk", strings.NewReader("{}"))
	req.Header.Set("Authorization2", token)
	req.Header.Set("Content-Type", "text/plain")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 415 {
		t.Errorf("text/plain: %d", resp.StatusCode)
	}
}

func TestPortionConsistencyAndErrors(t *testing.T) {
	sim, c := start(t, oomnitzasim.Config{})
	c.post("/api/v3/bulk", part(pid, rec("ann")), 200)
	p := part(pid, rec("bob", "EMAIL", "bob@x"))
	p["sync_field"] = []string{"USER", "EMAIL"}
	if out := c.post("/api/v3/bulk", p, 409); !strings.Contains(out["error"].(string), "sync_field differs") {
		t.Errorf("%v", out)
	}
	// An error batch is kept as an error, never applied, and may carry
	// records without sync fields; a test-run portion applies nothing.
	e := part(pid, map[string]any{"raw": "x"})
	e["error"] = "could not convert"
	c.post("/api/v3/bulk", e, 200)
	c.post("/api/v3/bulk/"+pid+"/finalize", map[string]any{}, 200)
	tr := part(pid2, rec("tess"))
	tr["test_run"] = true
	c.post("/api/v3/bulk", tr, 200)
	c.post("/api/v3/bulk/"+pid2+"/finalize", map[string]any{}, 200)
	if u := sim.Users(); len(u) != 1 || u["ann"] == nil {
		t.Errorf("users %v", u)
	}
	ps := sim.Portions()
	if ps[0].ErrorBatches != 1 || ps[0].Error != "could not convert" || ps[0].Batches != 2 || !ps[1].TestRun {
		t.Errorf("portions %+v", ps)
	}
}

func TestTwoSyncFieldsAndIndexes(t *testing.T) {
	sim, c := start(t, oomnitzasim.Config{})
	p := part(pid, rec("ann", "EMAIL", "ann@x", "EMPLOYEE", 42.0))
	p["sync_field"] = []string{"USER", "EMAIL"}
	c.post("/api/v3/bulk", p, 200)
	c.post("/api/v3/bulk/"+pid+"/finalize", map[string]any{}, 200)
	// A later portion synced by EMPLOYEE (a number) finds ann and renames her.
	q := part(pid2, map[string]any{"EMPLOYEE": 42, "USER": "ann2"})
	q["sync_field"] = []string{"EMPLOYEE"}
	c.post("/api/v3/bulk", q, 200)
	c.post("/api/v3/bulk/"+pid2+"/finalize", map[string]any{}, 200)
	u := sim.Users()
	got := u[oomnitzasim.Key("ann2", "ann@x")]
	if len(u) != 1 || got == nil || got["EMPLOYEE"] != 42.0 {
		t.Errorf("users %v", u)
	}
}

func TestAddReadyPortion(t *testing.T) {
	sim, c := start(t, oomnitzasim.Config{})
	c.post("/api/v3/bulk/ironclad/add_ready_portion", map[string]any{"correlation_id": pid, "is_empty_run": true}, 200)
	c.post("/api/v3/bulk/ironclad/add_ready_portion", map[string]any{"correlation_id": pid, "failed": 1}, 409)
	c.post("/api/v3/bulk/ironclad/add_ready_portion", map[string]any{"correlation_id": "x"}, 400)
	ps := sim.Portions()
	if len(ps) != 1 || !ps[0].Ready || !ps[0].Empty || !ps[0].Finalized || ps[0].ConnectorName != "ironclad" {
		t.Errorf("%+v", ps)
	}
}

func TestDiscardAndConcurrency(t *testing.T) {
	for _, discard := range []bool{false, true} {
		t.Run(fmt.Sprint("discard=", discard), func(t *testing.T) {
			sim, c := start(t, oomnitzasim.Config{Discard: discard, LogLimit: 10})
			var wg sync.WaitGroup
			for w := 0; w < 4; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for b := 0; b < 25; b++ {
						recs := make([]map[string]any, 10)
						for i := range recs {
							recs[i] = rec(fmt.Sprintf("u%d-%d-%d", w, b, i))
						}
						c.post("/api/v3/bulk", part(pid, recs...), 200)
					}
				}()
			}
			wg.Wait()
			c.post("/api/v3/bulk/"+pid+"/finalize", map[string]any{}, 200)
			ps := sim.Portions()
			if ps[0].Batches != 100 || ps[0].Records != 1000 {
				t.Errorf("%+v", ps[0])
			}
			want := 1000
			if discard {
				want = 0
			}
			if sim.UserCount() != want || len(sim.Users()) != want {
				t.Errorf("users %d, want %d", sim.UserCount(), want)
			}
			if sim.Requests() != 101 || len(sim.RequestLog()) != 10 || sim.RequestLog()[9].Path != "/api/v3/bulk/"+pid+"/finalize" {
				t.Errorf("requests %d, log %+v", sim.Requests(), sim.RequestLog())
			}
			sim.Reset()
			if sim.Requests() != 0 || len(sim.Portions()) != 0 || sim.UserCount() != 0 {
				t.Errorf("Reset left state")
			}
		})
	}
}

// BenchmarkBulk measures the tenant's side of batches of 100 records.
func BenchmarkBulk(b *testing.B) {
	sim := oomnitzasim.New(oomnitzasim.Config{Token: token, Discard: true})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	recs := make([]map[string]any, 100)
	for i := range recs {
		recs[i] = rec(fmt.Sprintf("user%06d", i), "EMAIL", fmt.Sprintf("user%06d@example.com", i),
			"FIRST_NAME", "First", "LAST_NAME", "Last", "STATUS", "Active",
			"saas", map[string]any{"name": "Ironclad", "sync_key": "USER", "status": "active", "role": "member", "last_activity": "2026-01-02T03:04:05Z"})
	}
	body, _ := json.Marshal(part(pid, recs...))
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("POST", srv.URL+"/api/v3/bulk", bytes.NewReader(body))
			req.Header.Set("Authorization2", token)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Fatal(resp.StatusCode)
			}
		}
	})
	b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "records/s")
}

func TestLatency(t *testing.T) {
	sim, c := start(t, oomnitzasim.Config{})
	sim.SetLatency(60 * time.Millisecond)
	t0 := time.Now()
	if code, _, _ := c.do("GET", "/api/v2/mappings?name=AuthTest", nil); code != 200 {
		t.Fatal(code)
	}
	if d := time.Since(t0); d < 60*time.Millisecond {
		t.Errorf("answered in %v", d)
	}
	sim.SetLatency(0)
	if code, out, _ := c.do("GET", "/api/v2/mappings?name=Other", nil); code != 404 || out["error"] == nil {
		t.Errorf("other mapping: %d %v", code, out)
	}
}
