package file

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// usageKey identifies a SaaS user of one application instance.
type usageKey struct {
	uniqueID, appInstanceID string
}

// lastActivityField is the field a folded record gets.
const lastActivityField = "lastActivity"

// readUsage reads the SsoApplicationUsage JSONL at usage_path and returns,
// per (uniqueId, appInstanceId), the newest occurredAt as the file wrote it.
func (s *source) readUsage(ctx context.Context) (map[usageKey]string, error) {
	f, err := openFile(s.usagePath, s.usageName)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	type newest struct {
		at  time.Time
		raw string
	}
	seen := map[usageKey]newest{}
	lr := newLineReader(f, s.usageName, s.maxLine)
	for n := 1; ; n++ {
		if n%s.pageSize == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		line, err := lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if blank(line) {
			continue
		}
		ev, err := lr.object(line)
		if err != nil {
			return nil, err
		}
		bad := func(format string, args ...any) error {
			return &Error{File: s.usageName, Line: lr.line, Err: fmt.Errorf("%w: "+format, append([]any{ErrUsageEvent}, args...)...)}
		}
		uid, ok := idString(ev["uniqueId"])
		if !ok {
			return nil, bad("missing uniqueId")
		}
		app, ok := idString(ev["appInstanceId"])
		if !ok {
			return nil, bad("missing appInstanceId")
		}
		raw, ok := ev["occurredAt"].(string)
		if !ok {
			if ev["occurredAt"] == nil {
				return nil, bad("missing occurredAt")
			}
			return nil, bad("occurredAt is a %s, want an RFC 3339 time", kind(ev["occurredAt"]))
		}
		at, err := time.Parse(time.RFC3339Nano, raw)
		if err != nil {
			return nil, bad("occurredAt %q is not an RFC 3339 time: %w", raw, err)
		}
		k := usageKey{uid, app}
		if old, ok := seen[k]; !ok || at.After(old.at) {
			seen[k] = newest{at, raw}
		}
	}
	out := make(map[usageKey]string, len(seen))
	for k, v := range seen {
		out[k] = v.raw
	}
	return out, nil
}

// idString returns an identifier field as a string: a non-empty string, or
// a number as written.
func idString(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, v != ""
	case json.Number:
		return string(v), true
	}
	return "", false
}

// foldUsage sets r's lastActivity from the usage events of its uniqueId and
// appInstanceId, if there are any.
func foldUsage(r map[string]any, usage map[usageKey]string) {
	uid, ok := idString(r["uniqueId"])
	if !ok {
		return
	}
	app, ok := idString(r["appInstanceId"])
	if !ok {
		return
	}
	if at, ok := usage[usageKey{uid, app}]; ok {
		r[lastActivityField] = at
	}
}
