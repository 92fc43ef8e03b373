package page

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/agentsync/agent/agent/runner"
	"github.com/agentsync/agent/internal/filelock"
)

// csrf makes and checks the token of the Run now forms: an HMAC of the
// integration's name under a key made when the process starts (a restart
// invalidates the forms on screen; reloading the page fixes that).
type csrf struct{ key []byte }

func newCSRF() csrf {
	k := make([]byte, 32)
	rand.Read(k) // never fails (crypto/rand)
	return csrf{key: k}
}

func (c csrf) token(integration string) string {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte("run-now\x00" + integration))
	return hex.EncodeToString(m.Sum(nil))
}

// valid compares in constant time.
func (c csrf) valid(integration, token string) bool {
	got, err := hex.DecodeString(token)
	if err != nil {
		return false
	}
	want, _ := hex.DecodeString(c.token(integration))
	return hmac.Equal(got, want)
}

// localRequest says why r may not run an integration ("" when it may).
// There are no sessions yet: only a browser on this machine may, talking
// to the server directly (a proxy in front makes every request look
// local) by a loopback name (a DNS name rebound to 127.0.0.1 is refused).
func localRequest(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Sprintf("Run now is allowed only from this machine (loopback); this request came from %s.", host)
	}
	for _, h := range []string{"Forwarded", "X-Forwarded-For", "X-Real-Ip"} {
		if r.Header.Get(h) != "" {
			return "Run now is allowed only from this machine, not through a proxy (the request has a " + h + " header)."
		}
	}
	name := r.Host
	if h, _, err := net.SplitHostPort(name); err == nil {
		name = h
	}
	name = strings.TrimSuffix(strings.TrimPrefix(name, "["), "]")
	if ip := net.ParseIP(name); (ip == nil || !ip.IsLoopback()) && !strings.EqualFold(name, "localhost") {
		return fmt.Sprintf("Run now is allowed only at a loopback address (localhost, 127.0.0.1, [::1]), not at %q.", r.Host)
	}
	return ""
}

// maxForm bounds the Run now form's body.
const maxForm = 4 << 10

// runNow is POST /integration/{name}/run: it runs the integration and
// sends the browser back to it (303), where the new run is listed.
func (h *handler) runNow(w http.ResponseWriter, r *http.Request) {
	if h.d.RunNow == nil {
		h.fail(w, r, http.StatusForbidden, "This server shows the status only (read-only): it does not run integrations. Use `agent run-now` or the service's page.")
		return
	}
	if why := localRequest(r); why != "" {
		h.fail(w, r, http.StatusForbidden, why)
		return
	}
	cfg := h.d.Config()
	name := r.PathValue("name")
	in, ok := cfg.Integration(name)
	if !ok {
		h.fail(w, r, http.StatusNotFound, fmt.Sprintf("No integration is named %q in %s.", name, cfg.Path))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, http.StatusBadRequest, "The form could not be read: "+err.Error())
		return
	}
	if !h.csrf.valid(name, r.PostForm.Get("csrf")) {
		h.fail(w, r, http.StatusForbidden, "The form's CSRF token is missing or wrong (the agent may have restarted): reload the page and press Run now again.")
		return
	}
	if missing := in.Missing(); len(missing) > 0 {
		h.fail(w, r, http.StatusConflict, fmt.Sprintf("%s is in draft (missing: %s): it never runs.", name, strings.Join(missing, ", ")))
		return
	}
	err := h.d.RunNow(r.Context(), name)
	switch {
	case errors.Is(err, filelock.ErrHeld) || (err != nil && strings.Contains(err.Error(), filelock.ErrHeld.Error())):
		h.fail(w, r, http.StatusConflict, fmt.Sprintf("%s is already running: %v", name, err))
		return
	case errors.Is(err, runner.ErrDraft):
		h.fail(w, r, http.StatusConflict, err.Error())
		return
	case err != nil:
		h.internal(w, r, fmt.Errorf("run %s now: %w", name, err))
		return
	}
	h.logger.Info("run now from the status page", "integration", name, "remote", r.RemoteAddr)
	http.Redirect(w, r, "/integration/"+url.PathEscape(name), http.StatusSeeOther)
}
