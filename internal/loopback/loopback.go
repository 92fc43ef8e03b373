// Package loopback is what tests need to talk to a server they start on
// loopback: a GET that reads the whole answer, and a self-signed
// certificate (for the SMTP test server, the agent's HTTPS listener) with
// the pool that trusts it.
package loopback

import (
	"io"
	"net/http"
	"testing"
)

// Get sends GET url with c (http.DefaultClient when nil) and returns the
// status and the body; a failed request ends the test.
func Get(t testing.TB, c *http.Client, url string) (int, string) {
	t.Helper()
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
