package endpoint

import (
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name, url, want string // want: a substring of the problem; "" = fine
	}{
		{"https", "https://api.example.com/v1/users", ""},
		{"https with a port", "https://api.example.com:443/x", ""},
		{"http on loopback", "http://127.0.0.1:8080/x", ""},
		{"http on ::1", "http://[::1]:8080/x", ""},
		{"http on localhost", "http://localhost/x", ""},
		{"relative", "/v1/users", "is not an absolute http(s) URL"},
		{"another scheme", "ftp://example.com/x", "is not an absolute http(s) URL"},
		{"plain http", "http://login.example.com/token", "must use https (plain http only for a loopback host)"},
		{"empty port", "http://127.0.0.1:/x", "has an empty or invalid port"},
		{"port 0", "https://api.example.com:0", "has an empty or invalid port"},
		{"empty port in brackets", "https://[::1]:/token", "has an empty or invalid port"},
		{"user info", "https://bob:pw@api.example.com", "must not hold credentials (https://…@)"},
		{"secret in the query", "https://api.example.com/users?api_key=abc", "must not carry a credential in its query (api_key=…)"},
		{"fragment", "https://api.example.com/users#x", "has a #fragment"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Check(tc.url)
			if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
				t.Errorf("Check(%q) = %q, want %q", tc.url, got, tc.want)
			}
		})
	}
}

func TestLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "LOCALHOST": true, "127.0.0.1": true, "127.1.2.3": true, "::1": true, "[::1]": true,
		"example.com": false, "10.0.0.1": false, "": false,
	} {
		if got := Loopback(host); got != want {
			t.Errorf("Loopback(%q) = %v", host, got)
		}
	}
}
