package mapping

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Field is one compiled "target = expression" pair.
type Field struct {
	Target string
	Expr   *Expr
}

// Mapping is a compiled [integration.mapping] table. It is immutable.
type Mapping struct {
	Fields []Field // sorted by Target

	values   []Field // non-tracking fields, evaluated by Apply
	tracking []Field // $credential_name / $sync_time fields
}

// Compile parses every target = expression pair and validates every target.
// It reports all problems at once (errors.Join), each prefixed by its target.
func Compile(m map[string]string) (*Mapping, error) {
	targets := make([]string, 0, len(m))
	for t := range m {
		targets = append(targets, t)
	}
	slices.Sort(targets)
	var errs []error
	out := &Mapping{Fields: make([]Field, 0, len(m))}
	for _, t := range targets {
		if err := ValidTarget(t); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", t, err))
		}
		e, err := Parse(m[t])
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", t, err))
			continue
		}
		f := Field{Target: t, Expr: e}
		out.Fields = append(out.Fields, f)
		if e.Tracking() {
			out.tracking = append(out.tracking, f)
		} else {
			out.values = append(out.values, f)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// Apply evaluates the non-tracking fields of one record. Every such field
// gets an entry, "" when its value is empty, so the caller can tell "mapped
// and empty" (clear the stored value) from "not mapped" (leave it alone).
// A field whose expression fails is left out of the map, and the error
// joins one *FieldError per failing field: the caller decides whether the
// record is still usable (a bad optional value should not drop a user).
func (m *Mapping) Apply(rec map[string]any, env Env) (map[string]string, error) {
	out := make(map[string]string, len(m.values))
	err := m.Each(rec, env, func(target, value string) { out[target] = value })
	return out, err
}

// Each is Apply without the map: it calls fn for every non-tracking field
// that evaluates, in target order, and returns the same joined errors.
// The engine fills its own records with it, one allocation less a user.
func (m *Mapping) Each(rec map[string]any, env Env, fn func(target, value string)) error {
	var errs []error
	for _, f := range m.values {
		v, err := f.Expr.Eval(rec, env)
		if err != nil {
			errs = append(errs, &FieldError{Target: f.Target, Err: err})
			continue
		}
		fn(f.Target, v)
	}
	return errors.Join(errs...)
}

// FieldError is one target's evaluation failure in Apply.
type FieldError struct {
	Target string
	Err    error
}

func (e *FieldError) Error() string { return e.Target + ": " + e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

// FailedTargets lists the targets of the FieldErrors in an Apply error.
func FailedTargets(err error) []string {
	var out []string
	var walk func(error)
	walk = func(err error) {
		if fe, ok := err.(*FieldError); ok {
			out = append(out, fe.Target)
			return
		}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
		}
	}
	if err != nil {
		walk(err)
	}
	return out
}

// Tracking returns the fields whose source is $credential_name or
// $sync_time; the caller evaluates them with Eval when it reads records.
func (m *Mapping) Tracking() []Field {
	return slices.Clone(m.tracking)
}

// Has reports whether target is mapped.
func (m *Mapping) Has(target string) bool {
	_, ok := slices.BinarySearchFunc(m.Fields, target, func(f Field, t string) int {
		return strings.Compare(f.Target, t)
	})
	return ok
}

// Person identity targets: a person is keyed by user.username, falling back
// to user.email.
const (
	TargetUsername = "user.username"
	TargetEmail    = "user.email"
)

// HasIdentity reports whether the mapping can key people (the mandatory
// rule: user.username or user.email is mapped). Without it an integration
// stays in draft.
func (m *Mapping) HasIdentity() bool {
	return m.Has(TargetUsername) || m.Has(TargetEmail)
}

// PersonKey returns the key of a person from Apply's output: the username,
// else the email; "" means the record is invalid.
func PersonKey(values map[string]string) string {
	if k := values[TargetUsername]; k != "" {
		return k
	}
	return values[TargetEmail]
}
