package mapping

import (
	"fmt"
	"strings"
)

// Target prefixes. A target is "user.<field>", "saas_user.<field>",
// "user.custom.<name>" or "saas_user.custom.<name>".
const (
	PersonPrefix   = "user."
	SaaSUserPrefix = "saas_user."
	customInfix    = "custom."
)

// PersonFields and SaaSUserFields are the fixed mappable fields, in the
// store's column order. status and deactivated_at are absent on purpose:
// the engine owns them.
var (
	PersonFields = []string{
		"username", "email", "first_name", "last_name", "full_name", "employee_id",
		"department", "title", "locale", "time_zone", "verified", "verified_at",
	}
	SaaSUserFields = []string{"username", "email", "role", "last_activity", "licenses"}
)

// engineOwned are the fields a mapping may not write.
var engineOwned = []string{"status", "deactivated_at"}

// ValidTarget checks a target field name.
func ValidTarget(t string) error {
	prefix, fields := PersonPrefix, PersonFields
	switch {
	case strings.HasPrefix(t, PersonPrefix):
	case strings.HasPrefix(t, SaaSUserPrefix):
		prefix, fields = SaaSUserPrefix, SaaSUserFields
	default:
		return fmt.Errorf("unknown target field: it must start with %q or %q", PersonPrefix, SaaSUserPrefix)
	}
	name := t[len(prefix):]
	if c, ok := strings.CutPrefix(name, customInfix); ok {
		if c == "" {
			return fmt.Errorf("invalid custom field name: missing after %q", prefix+customInfix)
		}
		if !isIdent(c) {
			return fmt.Errorf("invalid custom field name %q: want a letter or _ then letters, digits or _", c)
		}
		return nil
	}
	for _, f := range fields {
		if name == f {
			return nil
		}
	}
	for _, f := range engineOwned {
		if name == f {
			return fmt.Errorf("not mappable: the engine sets %s%s", prefix, f)
		}
	}
	return fmt.Errorf("unknown target field (known: %s%s, %scustom.<name>)", prefix, strings.Join(fields, ", "+prefix), prefix)
}

// isIdent matches [A-Za-z_][A-Za-z0-9_]*.
func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
