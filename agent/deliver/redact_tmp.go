package deliver

import (
	"strings"
	"sync"

	"github.com/agentsync/agent/credentials"
	"github.com/agentsync/agent/destinations"
)

// TEMPORARY until credentials.Redactor lands.
type tmpRedactor struct {
	mu   sync.Mutex
	vals []string
}

func newRedactor() destinations.Redactor { return &tmpRedactor{} }

func (r *tmpRedactor) AddSecret(s credentials.Secret) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, v := range []string{s.Token, s.ClientSecret, s.Password} {
		if v != "" {
			r.vals = append(r.vals, v)
		}
	}
}

func (r *tmpRedactor) String(s string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, v := range r.vals {
		s = strings.ReplaceAll(s, v, "[redacted]")
	}
	return s
}
