package credentials

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// redacted is what a secret is replaced with.
const redacted = "[redacted]"

// minSecret is the shortest value a Redactor takes: shorter ones cannot be
// told from ordinary text.
const minSecret = 4

// Redactor removes the secrets in play (a credential's secret parts, the
// tokens issued for it) from text that came from elsewhere, in every form
// a server is likely to echo them in: as given, URL-encoded (either hex
// case, space as + or %20), JSON-escaped, and as the HTTP Basic value of
// a client ID or username with its secret. Apply it to a string before it
// is shortened: a secret cut in half no longer matches. The zero value is
// ready to use, a nil *Redactor redacts nothing, and it is safe for
// concurrent use.
type Redactor struct {
	mu    sync.RWMutex
	seen  map[string]bool
	forms []string
}

// AddSecret adds the secret parts of sec (client secret, token, password)
// and the HTTP Basic values built from them.
func (r *Redactor) AddSecret(sec Secret) {
	r.Add(sec.values()...)
	if sec.ClientSecret != "" {
		r.addBasic(sec.ClientID, sec.ClientSecret)
	}
	if sec.Password != "" {
		r.addBasic(sec.Username, sec.Password)
	}
}

// Add adds secret values, such as an issued access token, with their
// encoded forms.
func (r *Redactor) Add(values ...string) {
	var forms []string
	for _, v := range values {
		if len(v) >= minSecret && !r.has(v) {
			forms = append(forms, encodings(v)...)
		}
	}
	r.add(forms...)
}

// addBasic adds the Basic credentials of user and secret: as a client
// sends them (RFC 7617) and as an OAuth2 client does (RFC 6749 §2.3.1
// form-encodes both parts first).
func (r *Redactor) addBasic(user, secret string) {
	if len(secret) < minSecret {
		return
	}
	b64 := base64.StdEncoding.EncodeToString
	// Through Add: a Basic value, too, may come back URL-encoded or with
	// its slashes JSON-escaped.
	r.Add(b64([]byte(user+":"+secret)), b64([]byte(url.QueryEscape(user)+":"+url.QueryEscape(secret))))
}

// has reports whether v is known already: a token is added again on
// every request that carries it.
func (r *Redactor) has(v string) bool {
	if r == nil {
		return true
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.seen[v]
}

func (r *Redactor) add(forms ...string) {
	if r == nil || len(forms) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen == nil {
		r.seen = map[string]bool{}
	}
	for _, f := range forms {
		if !r.seen[f] {
			r.seen[f] = true
			r.forms = append(r.forms, f)
		}
	}
}

var escapeHex = regexp.MustCompile(`%[0-9A-F]{2}`)

// encodings are v and the forms it takes in a URL or JSON string.
func encodings(v string) []string {
	q := url.QueryEscape(v) // upper-case hex, space as +
	out := []string{v, q, strings.ReplaceAll(q, "+", "%20")}
	for _, f := range out[1:] {
		out = append(out, escapeHex.ReplaceAllStringFunc(f, strings.ToLower))
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.Encode(v) // Go's form: <, > and & as \u003c…
	enc.SetEscapeHTML(false)
	enc.Encode(v) // most other encoders'
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		s := line[1 : len(line)-1]
		out = append(out, s, strings.ReplaceAll(s, "/", `\/`)) // PHP escapes /
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// String returns s with every secret form replaced by "[redacted]". Where two
// secrets overlap in s, the whole stretch is replaced.
func (r *Redactor) String(s string) string {
	if r == nil || s == "" {
		return s
	}
	r.mu.RLock()
	forms := r.forms
	r.mu.RUnlock()
	// Mark every byte any form covers, then replace each covered run: a
	// secret that holds another, or overlaps it, goes whole.
	var covered []bool
	for _, f := range forms {
		for i := 0; ; {
			j := strings.Index(s[i:], f)
			if j < 0 {
				break
			}
			if covered == nil {
				covered = make([]bool, len(s))
			}
			for k := i + j; k < i+j+len(f); k++ {
				covered[k] = true
			}
			i += j + 1 // overlapping occurrences count too
		}
	}
	if covered == nil {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if !covered[i] {
			b.WriteByte(s[i])
			i++
			continue
		}
		b.WriteString(redacted)
		for i < len(s) && covered[i] {
			i++
		}
	}
	return b.String()
}

// Error returns err with its text redacted, or err itself when its text
// holds no secret. errors.Is and errors.As still see the original chain.
func (r *Redactor) Error(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if out := r.String(msg); out != msg {
		return &redactedError{msg: out, err: err}
	}
	return err
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
