package mapping

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestValidTarget(t *testing.T) {
	tests := []struct {
		target string
		want   string // "" = valid, else a substring of the error
	}{
		{"user.username", ""},
		{"user.email", ""},
		{"user.verified_at", ""},
		{"user.time_zone", ""},
		{"saas_user.role", ""},
		{"saas_user.licenses", ""},
		{"saas_user.last_activity", ""},
		{"user.custom.connect_credentials", ""},
		{"saas_user.custom._x9", ""},
		{"user.custom.A", ""},
		{"user.emial", "unknown target field (known: user.username, user.email,"},
		{"saas_user.first_name", "unknown target field (known: saas_user.username"},
		{"user.status", "not mappable"},
		{"user.deactivated_at", "not mappable"},
		{"saas_user.status", "not mappable"},
		{"user.custom.", "invalid custom field name"},
		{"user.custom.9x", "invalid custom field name"},
		{"user.custom.a-b", "invalid custom field name"},
		{"user.custom.a.b", "invalid custom field name"},
		{"User.email", "must start with"},
		{"email", "must start with"},
		{"", "must start with"},
		{"user.", "unknown target field"},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			err := ValidTarget(tt.target)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("ValidTarget(%q) = %v, want nil", tt.target, err)
			case tt.want != "" && err == nil:
				t.Fatalf("ValidTarget(%q) = nil, want error containing %q", tt.target, tt.want)
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Fatalf("ValidTarget(%q) = %q, want it to contain %q", tt.target, err, tt.want)
			}
		})
	}
}

func TestFieldLists(t *testing.T) {
	for _, f := range PersonFields {
		if err := ValidTarget(PersonPrefix + f); err != nil {
			t.Error(err)
		}
	}
	for _, f := range SaaSUserFields {
		if err := ValidTarget(SaaSUserPrefix + f); err != nil {
			t.Error(err)
		}
	}
}

// mustCompile compiles exprs, failing t on an error.
func mustCompile(t testing.TB, exprs map[string]string) *Mapping {
	t.Helper()
	m, err := Compile(exprs)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestCompileCollectsAllErrors(t *testing.T) {
	_, err := Compile(map[string]string{
		"user.emial":        "email",
		"user.email":        "email | lowr",
		"user.status":       "state",
		"user.custom.x":     `"{unclosed"`,
		"user.first_name":   "first", // fine
		"saas_user.custom.": "",
	})
	if err == nil {
		t.Fatal("Compile: want an error")
	}
	want := []string{
		"user.emial: unknown target field (known: ",
		`user.email: transform "lowr": unknown`,
		"user.status: not mappable",
		"user.custom.x: template: unclosed",
		"saas_user.custom.: invalid custom field name",
		"saas_user.custom.: empty expression",
	}
	msg := err.Error()
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("Compile error lacks %q:\n%s", w, msg)
		}
	}
	if strings.Contains(msg, "user.first_name:") {
		t.Errorf("Compile error mentions a valid field:\n%s", msg)
	}
	// Sorted by target, one line each.
	if lines := strings.Split(msg, "\n"); len(lines) != len(want) || !strings.HasPrefix(lines[0], "saas_user.custom.") {
		t.Errorf("Compile error lines:\n%s", msg)
	}
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Errorf("Compile error does not wrap a *ParseError")
	}
}

func TestMapping(t *testing.T) {
	m := mustCompile(t, map[string]string{
		"user.email":                      "email | trim | lower",
		"user.full_name":                  `"{first} {last}"`,
		"user.verified_at":                "nope | time",
		"user.custom.connect_credentials": "$credential_name",
		"user.custom.connector_sync_time": "$sync_time",
		"saas_user.last_activity":         "ms | time",
	})
	var targets []string
	for _, f := range m.Fields {
		targets = append(targets, f.Target)
	}
	wantTargets := []string{"saas_user.last_activity", "user.custom.connect_credentials", "user.custom.connector_sync_time", "user.email", "user.full_name", "user.verified_at"}
	if !reflect.DeepEqual(targets, wantTargets) {
		t.Fatalf("Fields = %v, want %v", targets, wantTargets)
	}

	got, err := m.Apply(decode(t, testRecord), testEnv)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"user.email":              "ada@example.com",
		"user.full_name":          "Ada Lovelace",
		"user.verified_at":        "",
		"saas_user.last_activity": "2023-11-14T22:13:20Z",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Apply = %v, want %v", got, want)
	}

	tr := m.Tracking()
	if len(tr) != 2 || tr[0].Target != "user.custom.connect_credentials" || tr[1].Target != "user.custom.connector_sync_time" {
		t.Fatalf("Tracking() = %v", tr)
	}
	if v, _ := tr[1].Expr.Eval(nil, testEnv); v != "2024-01-02T02:04:05Z" {
		t.Fatalf("sync time = %q", v)
	}

	for target, want := range map[string]bool{"user.email": true, "user.custom.connector_sync_time": true, "user.username": false, "": false, "zzz": false} {
		if m.Has(target) != want {
			t.Errorf("Has(%q) = %v, want %v", target, !want, want)
		}
	}
	if !m.HasIdentity() {
		t.Error("HasIdentity() = false with user.email mapped")
	}
	if PersonKey(got) != "ada@example.com" {
		t.Errorf("PersonKey = %q", PersonKey(got))
	}
}

func TestApplyErrorsNameTheTarget(t *testing.T) {
	m := mustCompile(t, map[string]string{
		"user.verified":    "maybe | bool",
		"user.verified_at": "junk | time",
		"user.email":       "email",
	})
	got, err := m.Apply(decode(t, testRecord), testEnv)
	if err == nil {
		t.Fatalf("Apply = %v, want an error", got)
	}
	for _, w := range []string{`user.verified: transform "bool": "maybe"`, `user.verified_at: transform "time": cannot parse "yesterday"`} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("Apply error %q lacks %q", err, w)
		}
	}
}

func TestEmptyMapping(t *testing.T) {
	m, err := Compile(nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.HasIdentity() || len(m.Tracking()) != 0 {
		t.Fatal("empty mapping has fields")
	}
	got, err := m.Apply(nil, Env{})
	if err != nil || len(got) != 0 {
		t.Fatalf("Apply = %v, %v", got, err)
	}
}

func TestApplyConcurrent(t *testing.T) {
	m := mustCompile(t, map[string]string{
		"user.email":      "email | trim | lower",
		"user.first_name": "rev | split_name(first)",
		"user.verified":   "yes | bool",
	})
	rec := decode(t, testRecord)
	done := make(chan map[string]string)
	for range 8 {
		go func() {
			var last map[string]string
			for range 100 {
				last, _ = m.Apply(rec, testEnv)
			}
			done <- last
		}()
	}
	for range 8 {
		if got := <-done; got["user.first_name"] != "Ada Augusta" || got["user.verified"] != "true" {
			t.Errorf("concurrent Apply = %v", got)
		}
	}
}
