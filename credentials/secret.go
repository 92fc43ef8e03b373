package credentials

// Kind is what a credential holds.
type Kind string

// The credential kinds.
const (
	OAuth2Client Kind = "oauth2_client" // client ID + client secret
	APIKey       Kind = "api_key"       // a token
	Basic        Kind = "basic"         // username + password (SMTP uses this one)
)

// Kinds lists the credential kinds.
var Kinds = []Kind{OAuth2Client, APIKey, Basic}

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

// check reports a secret that lacks what its kind needs. The message names
// fields, never values.
func (s Secret) check() error {
	need := map[Kind][][2]string{
		OAuth2Client: {{"client ID", s.ClientID}, {"client secret", s.ClientSecret}},
		APIKey:       {{"token", s.Token}},
		Basic:        {{"username", s.Username}, {"password", s.Password}},
	}
	fields, ok := need[s.Kind]
	if !ok {
		return errorf("unknown kind %q (want oauth2_client, api_key or basic)", s.Kind)
	}
	for _, f := range fields {
		if f[1] == "" {
			return errorf("%s credential needs a %s", s.Kind, f[0])
		}
	}
	return nil
}

// values are the secret parts, for redaction.
func (s Secret) values() []string {
	var out []string
	for _, v := range []string{s.ClientSecret, s.Token, s.Password} {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}
