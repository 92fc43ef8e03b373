package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/agentsync/agent/agent/engine"
	"github.com/agentsync/agent/agent/runner"
	"github.com/agentsync/agent/vendors"
	ingestvendor "github.com/agentsync/agent/vendors/ingest"
)

// push applies a POST: every record is read, validated against the
// schema and mapped before the first write.
func (h *handler) push(q *request) {
	s := ingestvendor.SettingsOf(q.in.Settings)
	if !jsonType(q.r.Header.Get("Content-Type")) {
		writeError(q.w, http.StatusUnsupportedMediaType, "Content-Type must be application/json")
		return
	}
	if q.r.ContentLength > int64(s.MaxBodyBytes) {
		writeError(q.w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is over %d bytes (max_body_bytes)", s.MaxBodyBytes))
		return
	}
	data, err := io.ReadAll(http.MaxBytesReader(q.w, q.r.Body, int64(s.MaxBodyBytes)))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		writeError(q.w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is over %d bytes (max_body_bytes)", s.MaxBodyBytes))
		return
	case err != nil:
		writeError(q.w, http.StatusBadRequest, "reading the body: "+err.Error())
		return
	}
	values, bulk, err := decodeBody(data)
	if err != nil {
		writeError(q.w, http.StatusBadRequest, err.Error())
		return
	}
	if len(values) > s.MaxRecords {
		writeError(q.w, http.StatusRequestEntityTooLarge, fmt.Sprintf("%d records is over the %d of a push (max_records)", len(values), s.MaxRecords))
		return
	}
	sch, ok := q.cfg.Schema(q.in.Schema)
	if !ok || sch.Compiled == nil {
		q.log.Error("the integration's schema is not loaded", "schema", q.in.Schema)
		writeError(q.w, http.StatusInternalServerError, "the integration's schema is not loaded; see the agent's log")
		return
	}
	records, bad := validate(sch.Compiled, values, bulk)
	if bad != nil {
		q.log.Info("push refused", "status", http.StatusUnprocessableEntity, "reason", "schema", "record", bad.Record)
		writeJSON(q.w, http.StatusUnprocessableEntity, bad)
		return
	}
	spec := runner.Spec(q.in)
	if err := engine.Check(spec, records); err != nil {
		var re *engine.RecordError
		errors.As(err, &re)
		bad := refusal{Error: err.Error(), Pointer: new(string)}
		if bulk {
			bad.Record, *bad.Pointer = &re.Index, "/"+strconv.Itoa(re.Index)
		} else {
			bad.Error = re.Err.Error()
		}
		q.log.Info("push refused", "status", http.StatusUnprocessableEntity, "reason", "mapping", "record", re.Index)
		writeJSON(q.w, http.StatusUnprocessableEntity, bad)
		return
	}
	if len(records) == 0 {
		writeJSON(q.w, http.StatusOK, result{Integration: q.in.Name})
		return
	}
	unlock, ok := h.lock(q)
	if !ok {
		return
	}
	defer unlock()
	rep, err := engine.Push(q.r.Context(), h.Store, spec, records, engine.PushOptions{Event: q.event, Actor: q.actor, Logger: h.Logger})
	if err != nil {
		h.failed(q, rep, err)
		return
	}
	code := http.StatusOK
	if rep.Counts.Created > 0 || (rep.SaaSCounts != nil && rep.SaaSCounts.Created > 0) {
		code = http.StatusCreated
	}
	h.done(q, code, rep)
}

// jsonType accepts application/json and any application/*+json.
func jsonType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "application/json" || strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}

// decodeBody reads a push: one JSON value, an object (one record) or an
// array (a bulk), numbers kept as json.Number. Anything else, or anything
// after the value, is an error.
func decodeBody(data []byte) (values []any, bulk bool, err error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, false, errors.New("the body is empty: send a JSON object or an array of them")
		}
		return nil, false, fmt.Errorf("the body is not JSON: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, false, errors.New("the body holds more than one JSON value: send one object or one array")
	}
	switch x := v.(type) {
	case []any:
		return x, true, nil
	case map[string]any:
		return []any{x}, false, nil
	}
	return nil, false, errors.New("the body must be a JSON object (one record) or an array of objects")
}

var printer = message.NewPrinter(language.English)

// validate checks every value against the schema and that it is an
// object; the first failure is the refusal, its pointer relative to the
// body (a bulk's starts with the record's index).
func validate(sch *jsonschema.Schema, values []any, bulk bool) ([]vendors.Record, *refusal) {
	records := make([]vendors.Record, len(values))
	for i, v := range values {
		prefix := ""
		fail := func(msg, at string) *refusal {
			r := &refusal{Error: msg, Pointer: new(string)}
			*r.Pointer = prefix + at
			if bulk {
				r.Record = &i
				r.Error = fmt.Sprintf("record %d: %s", i, msg)
			}
			return r
		}
		if bulk {
			prefix = "/" + strconv.Itoa(i)
		}
		if err := sch.Validate(v); err != nil {
			var ve *jsonschema.ValidationError
			if !errors.As(err, &ve) {
				return nil, fail(err.Error(), "")
			}
			leaf := firstLeaf(ve)
			at := pointer(leaf.InstanceLocation)
			msg := leaf.ErrorKind.LocalizedString(printer)
			if _, no := leaf.ErrorKind.(*kind.FalseSchema); no {
				msg = "not allowed by the schema (an unknown property, or a value the schema forbids)"
			}
			return nil, fail(fmt.Sprintf("at %q: %s", at, msg), at)
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fail("a record must be a JSON object", "")
		}
		records[i] = m
	}
	return records, nil
}

// firstLeaf is the first innermost cause: the value that failed, not the
// schema that gathered the failures.
func firstLeaf(e *jsonschema.ValidationError) *jsonschema.ValidationError {
	for len(e.Causes) > 0 {
		e = e.Causes[0]
	}
	return e
}

// pointer encodes an instance location as a JSON pointer (RFC 6901).
func pointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(t))
	}
	return b.String()
}
