// Package credentials keeps vendor secrets in the operating system's
// keyring and never lets one reach a log, an error or the store.
package credentials

// Kind is what a credential holds.
type Kind string

// The credential kinds.
const (
	OAuth2Client Kind = "oauth2_client" // client ID + client secret
	APIKey       Kind = "api_key"       // a token
	Basic        Kind = "basic"         // username + password (SMTP uses this one)
)

// Secret is a credential's value. Its String and GoString redact, so a
// Secret printed by mistake (%v, %+v, %#v, slog) shows no secret.
type Secret struct {
	Kind         Kind
	ClientID     string // oauth2_client
	ClientSecret string // oauth2_client
	Token        string // api_key
	Username     string // basic
	Password     string // basic
}

func (s Secret) String() string   { return "credentials.Secret{" + string(s.Kind) + ", redacted}" }
func (s Secret) GoString() string { return s.String() }
