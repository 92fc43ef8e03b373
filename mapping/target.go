package mapping

import (
	"fmt"
	"strings"
)

// Target prefixes. A target is "<prefix><field>" or
// "<prefix>custom.<name>", the prefix naming the record kind.
const (
	PersonPrefix      = "user."
	SaaSUserPrefix    = "saas_user."
	ApplicationPrefix = "application."
	InvoicePrefix     = "invoice."
	ContractPrefix    = "contract."
	customInfix       = "custom."
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

	// The SaaS discovery kinds (seeds 003 and 000). first_seen and
	// last_seen of an application are the store's, not mappable.
	ApplicationFields = []string{"name", "display_name", "app_id", "instance_id", "created", "guests_allowed"}
	InvoiceFields     = []string{"vendor", "invoice_id", "invoice_date", "amount", "currency", "application", "period_start", "period_end"}
	ContractFields    = []string{"contract_id", "vendor", "application", "start", "end", "value", "currency", "seats", "owner"}
)

// kinds pairs each target prefix with its fixed fields.
var kinds = []struct {
	prefix string
	fields []string
}{
	{PersonPrefix, PersonFields},
	{SaaSUserPrefix, SaaSUserFields},
	{ApplicationPrefix, ApplicationFields},
	{InvoicePrefix, InvoiceFields},
	{ContractPrefix, ContractFields},
}

// engineOwned are the fields a mapping may not write.
var engineOwned = []string{"status", "deactivated_at", "first_seen", "last_seen"}

// ValidTarget checks a target field name.
func ValidTarget(t string) error {
	prefix, fields := "", []string(nil)
	for _, k := range kinds {
		if strings.HasPrefix(t, k.prefix) {
			prefix, fields = k.prefix, k.fields
			break
		}
	}
	if prefix == "" {
		return fmt.Errorf("unknown target field: it must start with %q, %q, %q, %q or %q",
			PersonPrefix, SaaSUserPrefix, ApplicationPrefix, InvoicePrefix, ContractPrefix)
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
