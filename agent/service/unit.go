package service

import (
	_ "embed"
	"fmt"
	"regexp"
	"strings"
)

// unitTemplate is the systemd unit, with @NAME@ placeholders. The agent
// writes it itself (systemdUnits) rather than let kardianos/service
// generate one, whose RestartSec=120 is fixed and which has no hardening.
//
//go:embed agent.service
var unitTemplate string

// Description is the service's description in the service manager.
const Description = "agent: syncs SaaS vendors' user lists into people and SaaS users on a schedule"

// SystemdUnit renders the unit of def: the executable and config path
// baked into ExecStart, the data folder as the only writable path.
func SystemdUnit(def Definition) (string, error) {
	for _, p := range []string{def.Executable, def.ConfigPath, def.DataDir} {
		// Newlines would end the setting.
		if strings.ContainsAny(p, "\n\r\x00") {
			return "", fmt.Errorf("path %q cannot be written into a systemd unit", p)
		}
	}
	user := ""
	if def.User != "" {
		if !userName.MatchString(def.User) {
			return "", fmt.Errorf("user %q is not a valid account name for a systemd unit", def.User)
		}
		user = "User=" + def.User + "\n"
	}
	exec := []string{def.Executable}
	exec = append(exec, def.Arguments()...)
	quoted := make([]string, len(exec))
	for i, a := range exec {
		quoted[i] = execArg(a)
	}
	return strings.NewReplacer(
		"@DESCRIPTION@", Description,
		"@USER@\n", user,
		"@EXECUTABLE@", specifiers(def.Executable),
		"@EXEC_START@", strings.Join(quoted, " "),
		"@DATA_DIR@", specifiers(def.DataDir),
		"@ENVIRONMENT_FILE@", specifiers(def.EnvironmentFile()),
		"@READ_WRITE_PATHS@", execArg(def.DataDir),
	).Replace(unitTemplate), nil
}

// userName is the account names the unit accepts: the portable subset
// systemd and useradd agree on (no specifiers, spaces or newlines).
var userName = regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,30}$`)

// specifiers escapes what systemd expands in a setting's value: %
// specifiers and $ variables.
func specifiers(s string) string {
	return strings.NewReplacer("%", "%%", "$", "$$").Replace(s)
}

// execArg writes one word of a command line (ExecStart=) or path list
// (ReadWritePaths=): escaped, and double-quoted when it holds spaces,
// quotes or backslashes.
func execArg(s string) string {
	s = specifiers(s)
	if s != "" && !strings.ContainsAny(s, " \t\"'\\;") {
		return s
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
