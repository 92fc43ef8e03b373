package vendorsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// The Ironclad profile (ShapeIronclad): the Ironclad Clickwrap REST API
// with the request and response shapes of its public docs, each naming
// the page it comes from (vendors/ironclad/README.md lists them):
//   - "Create/Regenerate Access Token", "Authentication (REST API)":
//     OAuth 2.0 client credentials (RFC 6749 §4.4) at POST /oauth/token,
//     then Authorization: Bearer <access token> on every request (the
//     simulator's token endpoint and AuthOAuth2).
//   - "Pagination" (REST API reference): GET /v1.1/users with page and
//     per_page (25 a page by default, the docs advise at most 100), and
//     the envelope IroncladPage whose has_more says whether to ask for
//     more.
//   - "Rate Limits": 2000 authenticated requests a minute per token; past
//     it, 429 with a Retry-After header in seconds and a body
//     {"error": {"message", "status", "name": "RateLimitExceededError"}}
//     (ironcladError). Config.ThrottleEvery and the rate limit serve it.

// IroncladUser is one user of the account. The field names follow the
// seed's mapping list (Email, Locale, Name, Time Zone, User Id, Verified,
// Verified Time) in the snake_case the Clickwrap REST API uses for its
// envelope (page, per_page, total_count, has_more); the public pages we
// read do not print a user object, so these names are the assumption the
// default mapping makes (vendors/ironclad/README.md says so too).
type IroncladUser struct {
	ID           int64  `json:"id"`
	Email        string `json:"email"`
	Name         string `json:"name"`
	Locale       string `json:"locale"`
	TimeZone     string `json:"time_zone"`
	Verified     bool   `json:"verified"`
	VerifiedTime string `json:"verified_time"`
}

// IroncladUserAt is user i of the Ironclad profile, every field set,
// computed from i alone so that a simulator of millions of users holds
// none of them.
func IroncladUserAt(i int) IroncladUser {
	locales := [...]string{"en-US", "en-GB", "fr-FR", "de-DE"}
	zones := [...]string{"America/New_York", "Europe/London", "Europe/Paris", "Europe/Berlin"}
	return IroncladUser{
		ID:           int64(1000 + i),
		Email:        fmt.Sprintf("User%04d@Example.com", i),
		Name:         fmt.Sprintf("User Number %d", i),
		Locale:       locales[i%len(locales)],
		TimeZone:     zones[i%len(zones)],
		Verified:     i%3 != 0,
		VerifiedTime: time.Date(2024, 3, 1, 9, 30, 0, 0, time.UTC).Add(time.Duration(i) * time.Hour).Format(time.RFC3339),
	}
}

// IroncladPage is the envelope of one page of users, as "Pagination"
// (REST API reference) shows it.
type IroncladPage struct {
	Page       int            `json:"page"`
	PerPage    int            `json:"per_page"`
	Count      int            `json:"count"`
	TotalCount int            `json:"total_count"`
	HasMore    bool           `json:"has_more"`
	Data       []IroncladUser `json:"data"`
}

// ironcladPage is the Clickwrap envelope over the computed users
// (total_count counts the index space).
func (c Config) ironcladPage(pos position, start, end, span int) []byte {
	p := IroncladPage{Page: pos.page, PerPage: pos.limit, TotalCount: span, HasMore: end < span, Data: []IroncladUser{}}
	for i := start; i < end; i++ {
		if !c.present(i) {
			continue
		}
		u := IroncladUserAt(i)
		if c.changed(i) {
			u.Name += " v" + strconv.Itoa(c.Generation)
		}
		p.Data = append(p.Data, u)
	}
	p.Count = len(p.Data)
	b, _ := json.Marshal(p)
	return b
}

// ironcladError answers with the API's error object ("Rate Limits" shows
// it): {"error": {"message", "status", "name"}}.
func ironcladError(w http.ResponseWriter, code int, name, msg string) {
	b, _ := json.Marshal(map[string]any{"error": map[string]any{"message": msg, "status": code, "name": name}})
	writeJSON(w, code, string(b))
}
