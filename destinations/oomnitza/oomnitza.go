// Package oomnitza delivers people (and their SaaS users) to an Oomnitza
// tenant through the bulk API that Oomnitza's own local connector uses:
// every batch of one delivery is a part of one portion, and the tenant
// applies the portion once it is finalized. The facts it follows are in
// shared/oomnitza-api.md; internal/oomnitzasim serves the same shapes.
package oomnitza

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/agentsync/agent/credentials"
	"github.com/agentsync/agent/destinations"
)

// Type is the type name of [[destination]].
const Type = "oomnitza"

func init() {
	destinations.Register(Type, destinations.Type{
		NewSettings:    newSettings,
		New:            New,
		CredentialKind: credentials.APIKey,
	})
}

// ErrCancelled marks a portion the tenant cancelled: the delivery stops.
var ErrCancelled = errors.New("portion cancelled by the tenant")

// The headers of the Oomnitza API.
const (
	authHeader = "Authorization2" // the API token, as is
	csrfHeader = "X-CSRF-Token"   // echoed back when the token check carries one
)

type oomnitza struct {
	cfg    destinations.Config
	set    *Settings
	fields map[string]string
	client *destinations.Client
	base   string
	token  string
	csrf   string
}

// New builds an Oomnitza destination.
func New(cfg destinations.Config) (destinations.Destination, error) {
	set, ok := cfg.Settings.(*Settings)
	if !ok || set == nil {
		set = newSettings().(*Settings)
	}
	c, err := destinations.NewClient(cfg)
	if err != nil {
		return nil, err
	}
	return &oomnitza{cfg: cfg, set: set, fields: set.Fields(), client: c, base: strings.TrimRight(cfg.URL, "/")}, nil
}

// Wants the mapped fields and the status of a person, and the status,
// role and last activity of its SaaS user, inside the person's record.
func (o *oomnitza) Wants() destinations.Wants {
	var person []string
	for _, ours := range o.fields {
		person = append(person, ours)
	}
	return destinations.Wants{
		PersonFields: append(person, "status"),
		SaaSFields:   []string{"status", "role", "last_activity"},
		PerPerson:    true,
	}
}

func (o *oomnitza) header() http.Header {
	h := http.Header{}
	h.Set(authHeader, o.token)
	h.Set("Content-Type", "application/json; charset=utf-8")
	if o.csrf != "" {
		h.Set(csrfHeader, o.csrf)
	}
	return h
}

// Check reads the token and asks the tenant whether it is good, as the
// local connector does before it sends anything (the AuthTest mapping).
func (o *oomnitza) Check(ctx context.Context) error {
	if o.cfg.Secrets == nil {
		return fmt.Errorf("destination %s: credential %q: no credential store is open", o.cfg.Name, o.cfg.Credential)
	}
	sec, err := o.cfg.Secrets.Get(ctx, o.cfg.Credential)
	if err != nil {
		return fmt.Errorf("destination %s: credential %q: %w", o.cfg.Name, o.cfg.Credential, err)
	}
	if o.cfg.Redactor != nil {
		o.cfg.Redactor.AddSecret(sec)
	}
	if sec.Kind != credentials.APIKey {
		return fmt.Errorf("destination %s: credential %q is of kind %s; an Oomnitza API token is %s: %w", o.cfg.Name, o.cfg.Credential, sec.Kind, credentials.APIKey, destinations.ErrCredential)
	}
	o.token = sec.Token
	h, _, err := o.client.Do(ctx, http.MethodGet, o.base+"/api/v2/mappings?name=AuthTest", o.header(), nil)
	if err != nil {
		return fmt.Errorf("token check: %w", err)
	}
	o.csrf = h.Get(csrfHeader)
	return nil
}

func (o *oomnitza) Begin(ctx context.Context, d destinations.Delivery) (destinations.Session, error) {
	if o.token == "" {
		if err := o.Check(ctx); err != nil {
			return nil, err
		}
	}
	name := o.set.ConnectorName
	if name == "" {
		name = d.Integration
	}
	return &session{o: o, d: d, portion: newUUID(), connector: name}, nil
}

type session struct {
	o         *oomnitza
	d         destinations.Delivery
	portion   string
	connector string
	sent      int
}

// part is one batch of a portion (oomnitza-api.md, "The bulk path").
type part struct {
	ConnectorVersion string           `json:"connector_version"`
	ConnectorName    string           `json:"connector_name"`
	DataType         string           `json:"data_type"`
	SyncField        []string         `json:"sync_field"`
	Records          []map[string]any `json:"records"`
	Portion          string           `json:"portion"`
	InsertOnly       bool             `json:"insert_only"`
	UpdateOnly       bool             `json:"update_only"`
	Error            *string          `json:"error"`
	TestRun          bool             `json:"test_run"`
}

func (s *session) Send(ctx context.Context, b destinations.Batch) (bool, error) {
	p := part{
		ConnectorVersion: s.o.cfg.Version,
		ConnectorName:    s.connector,
		DataType:         "users",
		SyncField:        s.o.set.SyncField,
		Portion:          s.portion,
		InsertOnly:       s.d.Preference == "create_only",
		UpdateOnly:       s.d.Preference == "update_only",
		Records:          make([]map[string]any, 0, len(b.Changes)),
	}
	for _, c := range b.Changes {
		r := s.record(c)
		if f := s.missingSyncField(r); f != "" {
			// The tenant would refuse the whole batch for it.
			s.o.log().Warn("a person without a value for a sync field is not sent", "destination", s.o.cfg.Name,
				"integration", s.d.Integration, "sync_field", f, "username", c.Record["username"], "email", c.Record["email"])
			continue
		}
		p.Records = append(p.Records, r)
	}
	if len(p.Records) == 0 {
		return false, nil
	}
	raw, err := json.Marshal(p)
	if err != nil {
		return false, fmt.Errorf("destination %s: batch %d: %w", s.o.cfg.Name, b.Number, err)
	}
	if _, _, err := s.o.client.Do(ctx, http.MethodPost, s.o.base+"/api/v3/bulk", s.o.header(), raw); err != nil {
		// A portion the tenant cancelled answers 409: say so plainly.
		var se *destinations.StatusError
		if errors.As(err, &se) && se.Code == http.StatusConflict {
			if cerr := s.cancelled(ctx); errors.Is(cerr, ErrCancelled) {
				return false, cerr
			}
		}
		return false, fmt.Errorf("portion %s, batch %d: %w", s.portion, b.Number, err)
	}
	s.sent++
	return false, nil // acknowledged only by the finalize
}

// record is a person as Oomnitza fields: the mapped ones, the status and,
// with a SaaS user, the "saas" object of its application.
func (s *session) record(c destinations.Change) map[string]any {
	set := s.o.set
	out := make(map[string]any, len(s.o.fields)+2)
	custom, _ := c.Record["custom"].(map[string]string)
	for oom, ours := range s.o.fields {
		if name, ok := strings.CutPrefix(ours, "custom."); ok {
			out[oom] = custom[name]
			continue
		}
		out[oom] = c.Record[ours]
	}
	out[set.Status.Field] = set.Status.Active
	if c.Record["status"] == "inactive" {
		out[set.Status.Field] = set.Status.Inactive
	}
	if c.SaaS != nil && len(set.SyncField) > 0 {
		r := c.SaaS.Record
		out["saas"] = map[string]any{
			"name":          s.d.Application,
			"sync_key":      set.SyncField[0],
			"status":        r["status"],
			"role":          r["role"],
			"last_activity": r["last_activity"],
		}
	}
	return out
}

func (s *session) missingSyncField(r map[string]any) string {
	for _, f := range s.o.set.SyncField {
		if v, _ := r[f].(string); v == "" {
			return f
		}
	}
	return ""
}

func (o *oomnitza) log() *slog.Logger {
	if o.cfg.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.cfg.Logger
}

// Finish finalizes the portion, unless the tenant cancelled it meanwhile.
func (s *session) Finish(ctx context.Context) error {
	if s.sent == 0 {
		return nil
	}
	if err := s.cancelled(ctx); err != nil {
		return err
	}
	if _, _, err := s.o.client.Do(ctx, http.MethodPost, s.o.base+"/api/v3/bulk/"+url.PathEscape(s.portion)+"/finalize", s.o.header(), []byte("{}")); err != nil {
		return fmt.Errorf("portion %s: finalize: %w", s.portion, err)
	}
	return nil
}

// cancelled asks the tenant about the portion (the connector's own check
// before it goes on) and returns ErrCancelled when the tenant cancelled it.
func (s *session) cancelled(ctx context.Context) error {
	_, body, err := s.o.client.Do(ctx, http.MethodGet, s.o.base+"/api/v3/bulk/"+url.PathEscape(s.portion), s.o.header(), nil)
	if err != nil {
		return fmt.Errorf("portion %s: %w", s.portion, err)
	}
	var desc struct {
		Canceled bool `json:"canceled"`
	}
	if json.Unmarshal(body, &desc) == nil && desc.Canceled {
		return fmt.Errorf("destination %s: portion %s: %w; nothing of it was applied, and the changes stay queued", s.o.cfg.Name, s.portion, ErrCancelled)
	}
	return nil
}

// newUUID is a random (version 4) UUID: a portion's id.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
