package vendorsim

import (
	"net/http"
	"strings"
	"time"
)

// Faults the simulator can inject: the fault table of the vendors issue
// (issue 3) and the other ways a real API lets a client down. Each acts on
// page FaultPage unless it says otherwise; a "once" fault is served once
// per Set.
const (
	FaultNone = ""

	// A client that retries, refreshes and waits gets through these.
	Fault500Once     = "500_once"     // one 500
	Fault429Once     = "429_once"     // one 429 with Retry-After: 1
	FaultExpireToken = "expire_token" // every token expires there: one 401, then a new token works
	FaultDropOnce    = "drop_once"    // the connection is cut in the middle of the body, once
	FaultStallOnce   = "stall_once"   // the page hangs for Stall (past the client's request timeout), once

	// These must fail the fetch.
	Fault500Always       = "500_always"       // always 500
	Fault429Long         = "429_long"         // 429 with Retry-After: 3600, always
	FaultRepeatCursor    = "repeat_cursor"    // hands out the cursor it was given (cursor pagination)
	FaultRepeatPage      = "repeat_page"      // ignores the position asked for: serves the first page again, with its signals
	FaultEnvelopeChanged = "envelope_changed" // the users are under another key
	FaultTruncatedJSON   = "truncated_json"   // the body is cut in the middle, with status 200
	FaultHTMLPage        = "html_page"        // a 200 HTML error page
	FaultOversized       = "oversized"        // the body is padded past 2 MiB
	FaultTokenDown       = "token_down"       // the token endpoint answers 503 (every request)
	FaultUnauthorized    = "unauthorized"     // 401 whatever the token, always

	// The source lists nobody: every page is empty and says it is the
	// last. Fine on a first sync; after one that saw users it must fail.
	FaultEmpty = "empty"
)

// FaultEchoSecrets is a vendor that quotes credentials back in its
// errors, for tests of a client's redaction: the token endpoint's
// invalid_client answer quotes the client secret it was given and, when
// the client authenticated by HTTP Basic, the Authorization header (in
// error_description), and every 401 of the users endpoint quotes the
// credential the request presented (in message), page FaultPage answering
// 401 whatever the credential. It is not in Faults: it tests what a client
// writes down, not how a fetch ends.
const FaultEchoSecrets = "echo_secrets"

// Faults lists every fault, for tests that must cover them all.
var Faults = []string{
	Fault500Once, Fault429Once, FaultExpireToken, FaultDropOnce, FaultStallOnce,
	Fault500Always, Fault429Long, FaultRepeatCursor, FaultRepeatPage, FaultEnvelopeChanged,
	FaultTruncatedJSON, FaultHTMLPage, FaultOversized, FaultTokenDown, FaultUnauthorized,
	FaultEmpty,
}

// oversize is how far FaultOversized pads a page.
const oversize = 2<<20 + 1

// failPage serves the faults that replace page FaultPage's answer and
// reports whether it answered the request. FaultStallOnce returns false
// after its stall, unless the client hung up.
func (s *Sim) failPage(w http.ResponseWriter, r *http.Request, cfg Config) bool {
	switch cfg.Fault {
	case Fault500Once:
		if s.oneShot(cfg.Fault) {
			writeJSON(w, http.StatusInternalServerError, `{"error":"internal"}`)
			return true
		}
	case Fault429Once:
		if s.oneShot(cfg.Fault) {
			w.Header().Set("Retry-After", "1")
			s.throttle(w, cfg)
			return true
		}
	case Fault429Long:
		w.Header().Set("Retry-After", "3600")
		s.throttle(w, cfg)
		return true
	case FaultExpireToken:
		if s.oneShot(cfg.Fault) {
			s.expireTokens()
			refuse(w, r, cfg)
			return true
		}
	case FaultDropOnce:
		if s.oneShot(cfg.Fault) {
			return drop(w)
		}
	case FaultStallOnce:
		if s.oneShot(cfg.Fault) {
			t := time.NewTimer(cfg.Stall)
			defer t.Stop()
			select {
			case <-t.C:
			case <-r.Context().Done():
				return true
			}
		}
	case Fault500Always:
		writeJSON(w, http.StatusInternalServerError, `{"error":"internal"}`)
		return true
	case FaultHTMLPage:
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<!DOCTYPE html><html><head><title>Service Unavailable</title></head><body><h1>Service temporarily unavailable</h1></body></html>"))
		return true
	case FaultUnauthorized, FaultEchoSecrets:
		refuse(w, r, cfg)
		return true
	}
	return false
}

// drop announces a body and cuts the connection after a piece of it.
func drop(w http.ResponseWriter) bool {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return false
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		return false
	}
	defer conn.Close()
	buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"data\":{\"users\":[{\"id\":")
	buf.Flush()
	return true
}

// spoilBody applies the faults that damage a page that is otherwise
// served: b is the page's JSON object, users the key its users are under.
func spoilBody(b []byte, cfg Config, users string) []byte {
	switch cfg.Fault {
	case FaultEnvelopeChanged:
		i := strings.Index(string(b), `"`+users+`":`)
		if i >= 0 {
			b = append(b[:i:i], append([]byte(`"members":`), b[i+len(users)+3:]...)...)
		}
	case FaultTruncatedJSON:
		b = b[:len(b)/2]
	case FaultOversized:
		b = append(b[:len(b)-1], `,"padding":"`...)
		b = append(b, strings.Repeat("x", oversize)...)
		b = append(b, `"}`...)
	}
	return b
}
