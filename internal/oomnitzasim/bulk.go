package oomnitzasim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
)

// portion is the tenant's state of one portion.
type portion struct {
	Portion
	parts []part
	seen  bool          // a bulk POST or add_ready_portion created it (not only a GET or a cancel)
	done  chan struct{} // closed once finalize has applied it
}

type part struct {
	records []record
	apply   bool // false for error and test-run batches
}

// partBody is one bulk POST (oomnitza-api.md: The bulk path; connector
// lib/connector.py _collect_payload). Keys it does not name, such as
// multi_str_input_value and error_type, are accepted and ignored.
type partBody struct {
	ConnectorVersion string          `json:"connector_version"`
	ConnectorName    string          `json:"connector_name"`
	ConnectorID      json.RawMessage `json:"connector_id"` // managed mode's alternative to connector_name
	DataType         string          `json:"data_type"`
	SyncField        []string        `json:"sync_field"`
	Records          []record        `json:"records"`
	Portion          string          `json:"portion"`
	InsertOnly       bool            `json:"insert_only"`
	UpdateOnly       bool            `json:"update_only"`
	Error            *string         `json:"error"`
	TestRun          bool            `json:"test_run"`
}

// record is one record as sent: its fields, values still JSON. Decoding
// the body straight into these is one pass over the bytes.
type record = map[string]json.RawMessage

// readBody reads a JSON body within Config.MaxBodyBytes into v, answering
// 413 or 400 itself when it cannot.
func (s *Sim) readBody(w http.ResponseWriter, r *http.Request, v any) bool {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body over %d bytes", mb.Limit))
		} else {
			writeError(w, http.StatusBadRequest, "reading the body: "+err.Error())
		}
		return false
	}
	if err := json.Unmarshal(b, v); err != nil {
		writeError(w, http.StatusBadRequest, jsonProblem(b, err))
		return false
	}
	return true
}

func jsonProblem(body []byte, err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		if te.Field == "records" || strings.HasPrefix(te.Field, "records.") {
			// Find which record, on this error path only.
			var b struct{ Records []json.RawMessage }
			if json.Unmarshal(body, &b) == nil {
				for i, r := range b.Records {
					var m record
					if json.Unmarshal(r, &m) != nil || m == nil {
						return fmt.Sprintf("records[%d] is not a JSON object", i)
					}
				}
			}
			return `"records" must be a list of JSON objects`
		}
		return fmt.Sprintf("%q: want %s, got JSON %s", te.Field, te.Type, te.Value)
	}
	return "malformed JSON body: " + err.Error()
}

// validUUID: the connector's portion ids are str(uuid4()) (connector
// lib/connector.py gen_portion_id); any canonical 8-4-4-4-12 form is taken.
func validUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// bulk takes one batch of a portion (oomnitza-api.md: The bulk path). It
// is decoded and validated without a lock; it is stored, never applied,
// until the portion is finalized.
func (s *Sim) bulk(w http.ResponseWriter, r *http.Request, q *Request) {
	var b partBody
	if !s.readBody(w, r, &b) {
		return
	}
	q.Portion = strings.ToLower(b.Portion)
	if msg := b.check(); msg != "" {
		writeError(w, http.StatusBadRequest, msg)
		return
	}
	name := b.ConnectorName
	if name == "" {
		name = strings.Trim(string(b.ConnectorID), `"`)
	}
	errText := ""
	if b.Error != nil {
		errText = *b.Error
	}
	pt := part{apply: errText == "" && !b.TestRun}
	if !s.cfg.Discard {
		pt.records = b.Records
	}
	id := q.Portion

	s.mu.Lock()
	p := s.portionLocked(id)
	if p.Cancelled {
		s.mu.Unlock()
		writeError(w, http.StatusConflict, "portion "+id+" was canceled")
		return
	}
	if p.Finalized {
		s.mu.Unlock()
		writeError(w, http.StatusConflict, "portion "+id+" is already finalized")
		return
	}
	if !p.seen {
		p.seen = true
		p.ConnectorName, p.ConnectorVersion, p.DataType = name, b.ConnectorVersion, b.DataType
		p.SyncField = slices.Clone(b.SyncField)
		p.InsertOnly, p.UpdateOnly, p.TestRun = b.InsertOnly, b.UpdateOnly, b.TestRun
	} else if msg := p.differs(name, &b); msg != "" {
		// Our decision: one portion is one run with one setting.
		s.mu.Unlock()
		writeError(w, http.StatusConflict, "portion "+id+": "+msg+" differs from its first batch")
		return
	}
	p.parts = append(p.parts, pt)
	p.Batches++
	p.Records += len(b.Records)
	if errText != "" {
		p.ErrorBatches++
		p.Error = errText
	}
	batch := p.Batches
	s.mu.Unlock()

	q.Records = len(b.Records)
	writeJSON(w, http.StatusOK, map[string]any{"portion": id, "batch": batch, "accepted": len(b.Records)})
}

// check validates a batch; the answer names the problem.
func (b *partBody) check() string {
	switch {
	case b.Portion == "":
		return `"portion" is required (a UUID shared by every batch of a run)`
	case !validUUID(b.Portion):
		return fmt.Sprintf(`"portion" %q is not a UUID`, b.Portion)
	case b.DataType == "":
		return `"data_type" is required`
	case b.DataType != "users":
		return fmt.Sprintf(`"data_type" %q is not simulated; only "users"`, b.DataType)
	case b.ConnectorName == "" && len(b.ConnectorID) == 0:
		return `"connector_name" is required`
	case len(b.SyncField) == 0:
		return `"sync_field" must list at least one field`
	case b.InsertOnly && b.UpdateOnly:
		// connector lib/connector.py _validate_insert_update_only.
		return `"insert_only" and "update_only" cannot both be true`
	case b.Records == nil:
		return `"records" is required (a list)`
	}
	for i, f := range b.SyncField {
		if strings.TrimSpace(f) == "" {
			return fmt.Sprintf(`"sync_field"[%d] is empty`, i)
		}
	}
	if b.Error != nil && *b.Error != "" {
		// connector lib/connector.py send_to_oomnitza: an error batch
		// carries the raw record, stored as the error, never processed.
		return ""
	}
	for i, rec := range b.Records {
		if rec == nil {
			return fmt.Sprintf("records[%d] is not a JSON object", i)
		}
		for _, f := range b.SyncField {
			v, ok := rec[f]
			if !ok {
				return fmt.Sprintf("records[%d]: sync field %q is missing", i, f)
			}
			if !rawScalar(v) {
				return fmt.Sprintf("records[%d]: sync field %q is empty or not a scalar", i, f)
			}
		}
		if msg := checkSaaS(rec); msg != "" {
			return fmt.Sprintf("records[%d].%s", i, msg)
		}
	}
	return ""
}

// checkSaaS validates a record's SaaS user. oomnitza-api.md: The bulk path
// names it "saas"; the connector (connectors/managed.py
// _add_saas_information and the SAAS field mapping) sends it as the field
// "SAAS": both are taken, not both at once.
func checkSaaS(rec record) string {
	key, raw, n := "", json.RawMessage(nil), 0
	for _, k := range []string{"saas", "SAAS"} {
		if v, ok := rec[k]; ok {
			key, raw, n = k, v, n+1
		}
	}
	if n == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return ""
	}
	if n > 1 {
		return `saas: give "saas" or "SAAS", not both`
	}
	var sa struct {
		SyncKey        json.RawMessage `json:"sync_key"`
		Name           json.RawMessage `json:"name"`
		SelectedSaasID json.RawMessage `json:"selected_saas_id"`
	}
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '{' || json.Unmarshal(t, &sa) != nil {
		return key + " is not a JSON object"
	}
	if len(sa.SyncKey) == 0 || sa.SyncKey[0] != '"' || !rawScalar(sa.SyncKey) {
		return key + `: "sync_key" is required (the user field that matches the SaaS user)`
	}
	if !rawScalar(sa.Name) && !rawScalar(sa.SelectedSaasID) {
		return key + `: "name" (the application) or "selected_saas_id" is required`
	}
	return ""
}

// rawScalar reports whether a raw JSON value is a usable sync value: a
// string that is not blank, a number or a boolean.
func rawScalar(v json.RawMessage) bool {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return false
	}
	switch v[0] {
	case '"':
		var s string
		return json.Unmarshal(v, &s) == nil && strings.TrimSpace(s) != ""
	case 'n', '{', '[':
		return false
	}
	return true
}

// saasApp is the application a SaaS user belongs to: its name, else the
// selected_saas_id.
func saasApp(sa map[string]any) string {
	if n, ok := keyString(sa["name"]); ok {
		return n
	}
	if n, ok := keyString(sa["selected_saas_id"]); ok {
		return n
	}
	return ""
}

func (p *portion) differs(name string, b *partBody) string {
	switch {
	case name != p.ConnectorName:
		return "connector_name"
	case b.DataType != p.DataType:
		return "data_type"
	case !slices.Equal(b.SyncField, p.SyncField):
		return "sync_field"
	case b.InsertOnly != p.InsertOnly:
		return "insert_only"
	case b.UpdateOnly != p.UpdateOnly:
		return "update_only"
	case b.TestRun != p.TestRun:
		return "test_run"
	}
	return ""
}

// portionLocked returns the portion id, creating it; with CancelPortions
// on, an unfinalized portion becomes cancelled. s.mu is held.
func (s *Sim) portionLocked(id string) *portion {
	p := s.portions[id]
	if p == nil {
		p = &portion{Portion: Portion{ID: id}, done: make(chan struct{})}
		s.portions[id] = p
		s.order = append(s.order, id)
	}
	if s.cancelAll && !p.Finalized {
		p.Cancelled = true
	}
	return p
}

// getPortion describes a portion (oomnitza-api.md: The bulk path). The
// connector asks before its first batch (lib/connector.py is_run_canceled
// inside perform_sync_bulk_paginated), so a portion not yet posted
// answers 200 too, empty; it is not listed by Portions unless cancelled.
func (s *Sim) getPortion(w http.ResponseWriter, id string, q *Request) {
	if !validUUID(id) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("portion %q is not a UUID", id))
		return
	}
	id = strings.ToLower(id)
	q.Portion = id
	s.mu.Lock()
	var v Portion
	if p := s.portions[id]; p != nil || s.cancelAll {
		v = s.portionLocked(id).Portion
	} else {
		v = Portion{ID: id}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"id": v.ID, "finalized": v.Finalized, "canceled": v.Cancelled,
		"batches": v.Batches, "records": v.Records,
		"connector_name": v.ConnectorName, "data_type": v.DataType,
	})
}

// finalize applies a portion (oomnitza-api.md: The bulk path; connector
// lib/connector.py: finalize after the last batch, body {}). Our
// decisions: an unknown portion is 404; a second finalize answers 200
// with the first one's outcome and applies nothing again, because an
// at-least-once sender retries a finalize whose answer it lost (the
// connector's urllib3 retries POST on 5xx too) and must not read that
// as a failure.
func (s *Sim) finalize(w http.ResponseWriter, r *http.Request, id string, q *Request) {
	var body map[string]any
	if !s.readBody(w, r, &body) {
		return
	}
	if body == nil {
		writeError(w, http.StatusBadRequest, "body must be a JSON object ({})")
		return
	}
	id = strings.ToLower(id)
	q.Portion = id
	s.mu.Lock()
	p := s.portions[id]
	if p == nil && !s.cancelAll {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "unknown portion "+id)
		return
	}
	p = s.portionLocked(id)
	if p.Cancelled {
		s.mu.Unlock()
		writeError(w, http.StatusConflict, "portion "+id+" was canceled")
		return
	}
	if !p.seen {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "unknown portion "+id)
		return
	}
	if p.Finalized {
		done := p.done
		s.mu.Unlock()
		<-done
		s.mu.Lock()
		v := p.Portion
		s.mu.Unlock()
		writeFinalized(w, v)
		return
	}
	p.Finalized = true
	parts := p.parts
	p.parts = nil
	fields, ins, upd := p.SyncField, p.InsertOnly, p.UpdateOnly
	s.mu.Unlock()

	var st applyStats
	if !s.cfg.Discard {
		st = s.apply(parts, fields, ins, upd)
	}

	s.mu.Lock()
	p.Inserted, p.Updated, p.Skipped = st.inserted, st.updated, st.skipped
	v := p.Portion
	close(p.done)
	s.mu.Unlock()
	writeFinalized(w, v)
}

func writeFinalized(w http.ResponseWriter, v Portion) {
	writeJSON(w, http.StatusOK, map[string]any{
		"id": v.ID, "finalized": true, "records": v.Records,
		"inserted": v.Inserted, "updated": v.Updated, "skipped": v.Skipped, "errors": v.ErrorBatches,
	})
}

// addReady records a synthetic finished portion (oomnitza-api.md: "A run
// that fails or finds nothing still reports", unconfirmed for local mode;
// connector connectors/oomnitza.py create_synthetic_finalized_*_portion).
func (s *Sim) addReady(w http.ResponseWriter, r *http.Request, service string, q *Request) {
	var b struct {
		CorrelationID string `json:"correlation_id"`
		Failed        int    `json:"failed"`
		Added         int    `json:"added"`
		ErrorMessage  string `json:"error_message"`
		IsEmptyRun    bool   `json:"is_empty_run"`
		TestRun       bool   `json:"test_run"`
	}
	if !s.readBody(w, r, &b) {
		return
	}
	if !validUUID(b.CorrelationID) {
		writeError(w, http.StatusBadRequest, fmt.Sprintf(`"correlation_id" %q is not a UUID`, b.CorrelationID))
		return
	}
	id := strings.ToLower(b.CorrelationID)
	q.Portion = id
	s.mu.Lock()
	if p := s.portions[id]; p != nil && p.seen {
		s.mu.Unlock()
		writeError(w, http.StatusConflict, "portion "+id+" already exists")
		return
	}
	p := s.portionLocked(id)
	p.seen, p.Ready, p.Finalized, p.Cancelled = true, true, true, false
	p.ConnectorName, p.TestRun = service, b.TestRun
	p.Failed, p.Empty, p.Error = b.Failed != 0, b.IsEmptyRun, b.ErrorMessage
	close(p.done)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "finalized": true})
}

// CancelPortions makes the tenant cancel portions: while on, every
// unfinalized portion a request names (GET, bulk POST, finalize) becomes
// cancelled for good: GET answers "canceled": true, bulk POSTs and
// finalize answer 409 and nothing of it is applied. Turning it off does
// not revive cancelled portions; a new portion id works again.
func (s *Sim) CancelPortions(on bool) {
	s.mu.Lock()
	s.cancelAll = on
	s.mu.Unlock()
}

// CancelPortion cancels one portion, known or not yet seen, unless it is
// already finalized; it reports whether the portion is now cancelled.
func (s *Sim) CancelPortion(id string) bool {
	id = strings.ToLower(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.portionLocked(id)
	if !p.Finalized {
		p.Cancelled = true
	}
	return p.Cancelled
}

// Portions returns every portion a bulk POST, add_ready_portion or a
// cancellation created, in order of first sight.
func (s *Sim) Portions() []Portion {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Portion, 0, len(s.order))
	for _, id := range s.order {
		v := s.portions[id].Portion
		v.SyncField = slices.Clone(v.SyncField)
		out = append(out, v)
	}
	return out
}
