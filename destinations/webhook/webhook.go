// Package webhook delivers changes to any HTTP endpoint: one POST per
// batch, signed with HMAC-SHA256 under the credential's key, acknowledged
// by a 2xx (DESIGN.md, "Webhook body").
package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/agentsync/agent/credentials"
	"github.com/agentsync/agent/destinations"
)

// Type is the type name of [[destination]].
const Type = "webhook"

func init() {
	destinations.Register(Type, destinations.Type{
		NewSettings:    func() destinations.Settings { return &Settings{} },
		New:            New,
		CredentialKind: credentials.APIKey,
	})
}

// Settings are the webhook's own keys: none beyond the common ones.
type Settings struct{}

// Check has nothing to check.
func (*Settings) Check() []destinations.Problem { return nil }

// Header names of a delivery.
const (
	SignatureHeader   = "X-Agent-Signature"
	IdempotencyHeader = "Idempotency-Key"
)

type webhook struct {
	cfg    destinations.Config
	client *destinations.Client
}

// New builds a webhook destination.
func New(cfg destinations.Config) (destinations.Destination, error) {
	c, err := destinations.NewClient(cfg)
	if err != nil {
		return nil, err
	}
	return &webhook{cfg: cfg, client: c}, nil
}

// Check reads the key: the endpoint has no way to be asked.
func (w *webhook) Check(ctx context.Context) error {
	_, err := w.key(ctx)
	return err
}

func (w *webhook) key(ctx context.Context) ([]byte, error) {
	if w.cfg.Credential == "" {
		return nil, nil
	}
	if w.cfg.Secrets == nil {
		return nil, fmt.Errorf("destination %s: credential %q: no credential store is open", w.cfg.Name, w.cfg.Credential)
	}
	sec, err := w.cfg.Secrets.Get(ctx, w.cfg.Credential)
	if err != nil {
		return nil, fmt.Errorf("destination %s: credential %q: %w", w.cfg.Name, w.cfg.Credential, err)
	}
	if w.cfg.Redactor != nil {
		w.cfg.Redactor.AddSecret(sec)
	}
	if sec.Kind != credentials.APIKey {
		return nil, fmt.Errorf("destination %s: credential %q is of kind %s; a webhook key is %s: %w", w.cfg.Name, w.cfg.Credential, sec.Kind, credentials.APIKey, destinations.ErrCredential)
	}
	return []byte(sec.Token), nil
}

// Wants every change of every kind, each record on its own.
func (w *webhook) Wants() destinations.Wants { return destinations.Wants{} }

func (w *webhook) Begin(ctx context.Context, d destinations.Delivery) (destinations.Session, error) {
	key, err := w.key(ctx)
	if err != nil {
		return nil, err
	}
	return &session{w: w, d: d, key: key}, nil
}

type session struct {
	w   *webhook
	d   destinations.Delivery
	key []byte
}

type change struct {
	Kind   string         `json:"kind"`
	Op     string         `json:"op"`
	RunID  string         `json:"run_id"`
	Record map[string]any `json:"record"`
}

type body struct {
	Integration string   `json:"integration"`
	RunID       string   `json:"run_id"`
	Batch       int      `json:"batch"`
	Changes     []change `json:"changes"`
}

// Sign is the X-Agent-Signature of body under key.
func Sign(key, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func (s *session) Send(ctx context.Context, b destinations.Batch) (bool, error) {
	out := body{Integration: s.d.Integration, RunID: b.RunID, Batch: b.Number, Changes: make([]change, 0, len(b.Changes))}
	for _, c := range b.Changes {
		out.Changes = append(out.Changes, change{Kind: c.Kind, Op: c.Op, RunID: c.RunID, Record: c.Record})
	}
	raw, err := json.Marshal(out)
	if err != nil {
		return false, fmt.Errorf("destination %s: batch %d: %w", s.w.cfg.Name, b.Number, err)
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set(IdempotencyHeader, b.RunID+"-"+s.w.cfg.Name+"-"+strconv.Itoa(b.Number))
	if s.key != nil {
		h.Set(SignatureHeader, Sign(s.key, raw))
	}
	if _, _, err := s.w.client.Do(ctx, http.MethodPost, s.w.cfg.URL, h, raw); err != nil {
		return false, fmt.Errorf("batch %d: %w", b.Number, err)
	}
	return true, nil
}

// Finish has nothing left to acknowledge: each 2xx did.
func (s *session) Finish(context.Context) error { return nil }
