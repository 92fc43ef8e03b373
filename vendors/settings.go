package vendors

import "fmt"

// SettingsOf returns a copy of the *S a factory's Config carries as its
// Settings: a zero S when it carries none, an error when it carries
// another vendor's.
func SettingsOf[S any, P interface {
	*S
	Settings
}](c Config) (S, error) {
	var zero S
	switch s := c.Settings.(type) {
	case nil:
		return zero, nil
	case P:
		return *s, nil
	default:
		return zero, fmt.Errorf("vendor %s: settings of type %T, not %T", c.Vendor, c.Settings, P(nil))
	}
}
