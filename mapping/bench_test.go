package mapping

import (
	"testing"
	"time"
)

func BenchmarkApply(b *testing.B) {
	m := mustCompile(b, map[string]string{
		"user.username":                   "login | lower",
		"user.email":                      "email | trim | lower",
		"user.first_name":                 "name | split_name(first)",
		"user.last_name":                  "name | split_name(last)",
		"user.department":                 "profile.department | default(Unknown)",
		"user.verified":                   "verified | bool",
		"user.verified_at":                "verified_time | time",
		"saas_user.last_activity":         "last_login | time",
		"user.custom.connector_sync_time": "$sync_time",
	})
	rec := decode(b, `{
		"login": "ALovelace", "email": " Ada@Example.com", "name": "Ada King Lovelace",
		"profile": {"department": "Engineering"}, "verified": true,
		"verified_time": "2024-03-05T10:11:12.345Z", "last_login": 1700000000123
	}`)
	env := Env{CredentialName: "c", SyncTime: time.Now()}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Apply(rec, env); err != nil {
			b.Fatal(err)
		}
	}
}
