// Package endpoint checks the URLs that credentials travel to: a vendor's
// users and token URLs, a destination's URL, and whether a host is local
// enough for plain http or unencrypted SMTP.
package endpoint

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// secretParams are query parameter names that carry credentials.
var secretParams = []string{"access_token", "api_key", "apikey", "client_secret", "key", "password", "secret", "token"}

// Check returns what is wrong with an endpoint URL that credentials
// travel to (absolute, https unless loopback, no credential in it), or "".
func Check(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Sprintf("%q is not an absolute http(s) URL", raw)
	}
	if port, colon := hostPort(u.Host); colon {
		if n, err := strconv.Atoi(port); port == "" || err != nil || n < 1 || n > 65535 {
			return fmt.Sprintf("%q has an empty or invalid port after ':' (write the host alone, or host:1-65535)", raw)
		}
	}
	if u.Scheme == "http" && !Loopback(u.Hostname()) {
		return fmt.Sprintf("%q must use https (plain http only for a loopback host): credentials travel with every request", raw)
	}
	if u.User != nil {
		return fmt.Sprintf("must not hold credentials (%s@): name a keyring credential instead", u.Scheme+"://…")
	}
	for k := range u.Query() {
		if slices.Contains(secretParams, strings.ToLower(k)) {
			return fmt.Sprintf("must not carry a credential in its query (%s=…): name a keyring credential instead", k)
		}
	}
	if u.Fragment != "" {
		return fmt.Sprintf("%q has a #fragment, which is never sent", raw)
	}
	return ""
}

// hostPort returns the port of a URL's host[:port] and whether a ':'
// introduces one ("h:" gives "", true). url.Parse accepts an empty port,
// which net/http then dials as the scheme's default: a typo, never meant.
func hostPort(host string) (port string, colon bool) {
	if i := strings.LastIndexByte(host, ':'); i >= 0 && i > strings.LastIndexByte(host, ']') {
		return host[i+1:], true
	}
	return "", false
}

// Loopback reports whether host is localhost or a loopback address.
func Loopback(host string) bool {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
