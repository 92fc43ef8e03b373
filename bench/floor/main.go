// Command floor is the bench's floor (issue 15): the time to fetch and
// decode a simulator's users with no store at all. It does what the agent
// and the peer must do before they store anything, the plain way: get an
// OAuth2 token (client credentials, HTTP Basic), then, one page after the
// other, GET the users page of limit N, decode the whole body with
// encoding/json into a map[string]any, and follow
// response_metadata.next_cursor until there is none. It keeps nothing but
// the count, and prints it as one JSON line: {"fetched": N}.
//
// The loop is not pipelined (fetch a page, decode it, fetch the next): that
// is the floor's definition. bench/compare runs it as its own process so
// that its wall time, CPU time and peak RSS are measured the way the
// agent's and the peer's are.
//
//	floor URL [page_size]   (env PEER_CLIENT_ID, PEER_CLIENT_SECRET)
package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: floor URL [page_size]  (env PEER_CLIENT_ID, PEER_CLIENT_SECRET)")
		os.Exit(2)
	}
	base, size := os.Args[1], 100
	if len(os.Args) > 2 {
		n, err := strconv.Atoi(os.Args[2])
		if err != nil || n <= 0 {
			fail(fmt.Errorf("page size %q", os.Args[2]))
		}
		size = n
	}
	n, err := run(base, size, cmp.Or(os.Getenv("PEER_CLIENT_ID"), "cid"), cmp.Or(os.Getenv("PEER_CLIENT_SECRET"), "secret"))
	if err != nil {
		fail(err)
	}
	fmt.Printf("{\"fetched\": %d}\n", n)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "floor:", err)
	os.Exit(1)
}

// run fetches every page and returns the number of users listed.
func run(base string, size int, id, secret string) (int, error) {
	req, err := http.NewRequest(http.MethodPost, base+"/oauth/token", strings.NewReader("grant_type=client_credentials"))
	if err != nil {
		return 0, err
	}
	req.SetBasicAuth(id, secret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var tok map[string]any
	if err := get(req, &tok); err != nil {
		return 0, fmt.Errorf("token: %w", err)
	}
	token, _ := tok["access_token"].(string)
	if token == "" {
		return 0, fmt.Errorf("token: no access_token in %v", tok)
	}
	fetched, cursor := 0, ""
	for {
		q := url.Values{"limit": {strconv.Itoa(size)}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		req, err := http.NewRequest(http.MethodGet, base+"/v1/users?"+q.Encode(), nil)
		if err != nil {
			return fetched, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		var body map[string]any
		if err := get(req, &body); err != nil {
			return fetched, fmt.Errorf("after %d users: %w", fetched, err)
		}
		data, _ := body["data"].(map[string]any)
		users, ok := data["users"].([]any)
		if !ok {
			return fetched, fmt.Errorf("after %d users: no data.users", fetched)
		}
		fetched += len(users)
		meta, _ := body["response_metadata"].(map[string]any)
		cursor, _ = meta["next_cursor"].(string)
		if cursor == "" {
			return fetched, nil
		}
	}
}

// get does req and decodes its body, which must come with status 200.
func get(req *http.Request, v any) error {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("%s: %s", resp.Status, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body) // the rest, so the connection is reused
	return err
}
