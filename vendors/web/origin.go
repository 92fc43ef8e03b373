package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// ErrCrossOrigin is the error of a redirect to another origin; it arrives
// wrapped.
var ErrCrossOrigin = errors.New("redirect to another origin refused")

// maxRedirects is how many redirects a request follows (Go's own limit).
const maxRedirects = 10

// SameOrigin reports whether a and b are one origin (RFC 6454): the same
// scheme, host and port, a missing port read as the scheme's default. A
// request's credentials (the Authorization header, an API key header,
// cookies) go only to the origin it was built for, so every URL the agent
// follows on its own, a redirect or a next-page link, must pass this.
func SameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) &&
		strings.EqualFold(a.Hostname(), b.Hostname()) &&
		port(a) == port(b)
}

func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch strings.ToLower(u.Scheme) {
	case "http":
		return "80"
	case "https":
		return "443"
	}
	return ""
}

// Origin is u's origin as scheme://host:port, for messages.
func Origin(u *url.URL) string {
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Hostname()) + ":" + port(u)
}

// CheckRedirect is the http.Client redirect policy of every HTTP vendor
// and token request: a redirect within the request's origin is followed
// (with its credentials), one to another origin is refused. Go's own
// policy would follow it and keep the Authorization header when only the
// port differs, and any other header (an API key) always.
func CheckRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return fmt.Errorf("stopped after %d redirects", maxRedirects)
	}
	if from := via[0].URL; !SameOrigin(from, req.URL) {
		return fmt.Errorf("%w: %s redirects to %s; the credential is not sent there: set the final URL in the config", ErrCrossOrigin, Origin(from), Origin(req.URL))
	}
	return nil
}
