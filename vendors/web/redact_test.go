package web

import (
	"net/http"
	"strings"
	"testing"
)

type redactorFunc func(string) string

func (f redactorFunc) String(s string) string { return f(s) }

// TestDescribeRedactsBeforeShortening: a secret that the 160-rune cut of
// an error text would split is still found.
func TestDescribeRedactsBeforeShortening(t *testing.T) {
	secret := strings.Repeat("Zq9", 70)
	red := redactorFunc(func(s string) string { return strings.ReplaceAll(s, secret, "[redacted]") })
	resp := &http.Response{StatusCode: 401, Status: "401 Unauthorized"}
	got := Describe(resp, []byte(`{"error":"invalid_client","error_description":"bad secret `+secret+`"}`), red)
	if strings.Contains(got, "Zq9Zq9Zq") || !strings.Contains(got, "bad secret [redacted]") {
		t.Fatalf("Describe = %q", got)
	}
	got = Describe(&http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"text/html"}}}, []byte("<html><title>Hello "+secret+"</title></html>"), red)
	if strings.Contains(got, "Zq9Zq9Zq") || !strings.Contains(got, "[redacted]") {
		t.Fatalf("Describe of HTML = %q", got)
	}
}
