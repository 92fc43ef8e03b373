package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os/user"
	"regexp"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/agentsync/agent/agent/config"
	"github.com/agentsync/agent/credentials"
	"github.com/agentsync/agent/internal/plural"
)

func init() { commands["credentials"] = cmdCredentials }

const credentialsUsage = `usage: agent credentials set NAME [--kind oauth2_client|api_key|basic] [--client-id ID] [--username USER] [--secret-stdin] [--expires YYYY-MM-DD]
       agent credentials list [--json]
       agent credentials delete NAME
       agent credentials test NAME [--token-url URL]`

func cmdCredentials(ctx context.Context, a *app, args []string) error {
	if len(args) == 0 {
		return usagef("%s", credentialsUsage)
	}
	sub := map[string]command{"set": credSet, "list": credList, "delete": credDelete, "test": credTest}[args[0]]
	if sub == nil {
		return usagef("credentials: unknown subcommand %q\n%s", args[0], credentialsUsage)
	}
	return sub(ctx, a, args[1:])
}

// secretFlags are refused: a secret on the command line shows in ps and in
// the shell history.
var secretFlags = regexp.MustCompile(`^--?(secret|client-secret|client_secret|password|token|api-key|api_key|key|passphrase)(=|$)`)

// credArgs parses a credentials subcommand's arguments, wants exactly one
// NAME when one is true, and loads the config. Its errors never quote a
// value: a misplaced secret would show.
func (a *app) credArgs(fs *flag.FlagSet, args []string, one bool) (string, *config.Config, error) {
	for _, arg := range args {
		if secretFlags.MatchString(arg) {
			return "", nil, usagef("credentials %s: refusing to read a secret from the command line (ps and the shell history would show it): pipe it with --secret-stdin, or let the command ask for it", fs.Name())
		}
	}
	names, err := parseArgs(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return "", nil, err
	}
	if err != nil {
		return "", nil, usagef("%s", quotedValue.ReplaceAllString(err.Error(), `"…"`))
	}
	name := ""
	switch {
	case !one && len(names) > 0:
		return "", nil, usagef("credentials %s takes no NAME", fs.Name())
	case one && len(names) != 1:
		return "", nil, usagef("credentials %s takes one NAME (got %d arguments; a secret is never read from the arguments)\n%s", fs.Name(), len(names), credentialsUsage)
	case one:
		if err := credentials.CheckName(names[0]); err != nil {
			return "", nil, usagef("%v", err)
		}
		name = names[0]
	}
	cfg, err := a.loadConfig()
	return name, cfg, err
}

var quotedValue = regexp.MustCompile(`"[^"]*"`)

func credSet(ctx context.Context, a *app, args []string) error {
	fs := flag.NewFlagSet("set", flag.ContinueOnError)
	kind := fs.String("kind", string(credentials.OAuth2Client), "oauth2_client | api_key | basic")
	clientID := fs.String("client-id", "", "oauth2_client: the client ID")
	username := fs.String("username", "", "basic: the username")
	fromStdin := fs.Bool("secret-stdin", false, "read the secret from standard input")
	expires := fs.String("expires", "", "the first day the secret no longer works (YYYY-MM-DD)")
	name, cfg, err := a.credArgs(fs, args, true)
	if err != nil {
		return err
	}
	k := credentials.Kind(*kind)
	if !validKind(k) {
		return usagef("credentials set: --kind must be oauth2_client, api_key or basic, not %q", *kind)
	}
	var exp time.Time
	if *expires != "" {
		if exp, err = time.ParseInLocation(time.DateOnly, *expires, cfg.Location); err != nil {
			return usagef("credentials set: --expires wants a date as YYYY-MM-DD")
		}
	}
	sec, wipe, err := a.readCredential(k, *clientID, *username, *fromStdin)
	defer wipe()
	if err != nil {
		return err
	}

	addr := credentials.SocketPath(cfg.Agent.DataDir)
	m, err := credentials.SendToService(ctx, addr, name, sec, exp)
	direct := errors.Is(err, credentials.ErrServiceNotRunning)
	if direct {
		st := credentials.Open(credentialOptions(cfg))
		defer st.Close()
		m, err = st.Set(ctx, name, sec, exp)
	}
	if err != nil {
		return err
	}
	how := "by the running agent service, in its keyring " + m.Backend
	if direct {
		how = "in keyring " + m.Backend
	}
	fmt.Fprintf(a.stdout, "credential %s (%s) stored %s; %s\n", m.Name, m.Kind, how, expiryText(m, time.Now(), cfg.Location))
	if direct {
		fmt.Fprintf(a.stdout, "note: the agent service is not running (nothing answers on %s), so this command stored it itself, as %s. %s\n", addr, whoami(), directNote(m.Backend))
	}
	if m.Expiry(time.Now()) == credentials.ExpiryExpired {
		fmt.Fprintf(a.stdout, "warning: credential %s has already expired\n", m.Name)
	}
	if users := usedBy(cfg, name); len(users) == 0 {
		fmt.Fprintf(a.stdout, "note: no integration in %s names credential %s yet\n", a.configPath, name)
	}
	return nil
}

// directNote says whether the service will see a credential the CLI
// stored itself.
func directNote(backend string) string {
	switch {
	case backend == "wincred" || runtime.GOOS == "windows":
		return "The service runs as LocalSystem and does not see this account's Credential Manager: start it (agent service start) and set the credential again from an elevated prompt."
	case backend == "secret-service":
		return `A service outside this desktop session cannot read the Secret Service: for the service, use [keyring] backend = "file".`
	case backend == "keyctl":
		return "The service reads it from this user's kernel keyring when it runs as the same user; the kernel keyring is emptied at reboot."
	case backend == "file":
		return "The service reads it from the same file keyring when it runs as the same user with the same passphrase."
	}
	return "The service sees it only when it runs as the same user."
}

func whoami() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return "this user"
}

func validKind(k credentials.Kind) bool {
	for _, v := range credentials.Kinds {
		if k == v {
			return true
		}
	}
	return false
}

// expiryText is "expires 2026-03-01 (in 90 days)", "expired on …" or
// "no expiry".
func expiryText(m credentials.Meta, now time.Time, loc *time.Location) string {
	if m.ExpiresAt.IsZero() {
		return "no expiry"
	}
	day := m.ExpiresAt.In(loc).Format(time.DateOnly)
	if m.Expiry(now) == credentials.ExpiryExpired {
		return "expired on " + day
	}
	return fmt.Sprintf("expires %s (in %s)", day, plural.Count(int(m.ExpiresAt.Sub(now).Hours()/24), "day", "days"))
}

// usedBy lists what names credential name in the config.
func usedBy(cfg *config.Config, name string) []string {
	var out []string
	for _, in := range cfg.Integrations {
		if in.Credential == name {
			out = append(out, in.Name)
		}
	}
	if cfg.SMTP.Credential == name {
		out = append(out, "[smtp]")
	}
	for _, d := range cfg.Destinations {
		if d.Credential == name {
			out = append(out, "destination "+d.Name)
		}
	}
	return out
}

func credList(ctx context.Context, a *app, args []string) error {
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "one JSON object per credential")
	_, cfg, err := a.credArgs(fs, args, false)
	if err != nil {
		return err
	}
	metas, err := credentials.ReadIndex(cfg.Agent.DataDir)
	if err != nil {
		return err
	}
	// Names the config uses but nobody stored show as missing.
	stored := map[string]bool{}
	for _, m := range metas {
		stored[m.Name] = true
	}
	for _, n := range referencedCredentials(cfg) {
		if !stored[n] {
			metas = append(metas, credentials.Meta{Name: n})
		}
	}
	now := time.Now()
	if *asJSON {
		return jsonLines(a.stdout, metas, func(m credentials.Meta) any {
			obj := map[string]any{"name": m.Name, "stored": m.Kind != "", "used_by": usedBy(cfg, m.Name)}
			if m.Kind != "" {
				obj["kind"], obj["backend"], obj["created"], obj["rotated"], obj["expiry"] = m.Kind, m.Backend, m.Created, m.Rotated, m.Expiry(now)
				obj["expires_at"] = nil
				if !m.ExpiresAt.IsZero() {
					obj["expires_at"] = m.ExpiresAt
				}
			}
			return obj
		})
	}
	if len(metas) == 0 {
		fmt.Fprintf(a.stdout, "no credentials (store one with: agent credentials set NAME)\n")
		return nil
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKIND\tBACKEND\tCREATED\tROTATED\tEXPIRES\tUSED BY")
	for _, m := range metas {
		users := strings.Join(usedBy(cfg, m.Name), ", ")
		if users == "" {
			users = "-"
		}
		if m.Kind == "" {
			fmt.Fprintf(tw, "%s\t-\t-\t-\t-\tnot set (agent credentials set %s)\t%s\n", m.Name, m.Name, users)
			continue
		}
		day := func(t time.Time) string { return t.In(cfg.Location).Format(time.DateOnly) }
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m.Name, m.Kind, m.Backend, day(m.Created), day(m.Rotated), expiryText(m, now, cfg.Location), users)
	}
	return tw.Flush()
}

// referencedCredentials lists the credential names the config uses.
func referencedCredentials(cfg *config.Config) []string {
	seen := map[string]bool{}
	var out []string
	add := func(n string) {
		if n != "" && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	for _, in := range cfg.Integrations {
		add(in.Credential)
	}
	if cfg.SMTP.Host != "" {
		add(cfg.SMTP.Credential)
	}
	for _, d := range cfg.Destinations {
		add(d.Credential)
	}
	return out
}

func credDelete(ctx context.Context, a *app, args []string) error {
	fs := flag.NewFlagSet("delete", flag.ContinueOnError)
	name, cfg, err := a.credArgs(fs, args, true)
	if err != nil {
		return err
	}
	addr := credentials.SocketPath(cfg.Agent.DataDir)
	how := "by the running agent service"
	err = credentials.DeleteViaService(ctx, addr, name)
	if errors.Is(err, credentials.ErrServiceNotRunning) {
		st := credentials.Open(credentialOptions(cfg))
		defer st.Close()
		b, _ := st.Backend()
		how = "from keyring " + b + " (the agent service is not running)"
		err = st.Delete(ctx, name)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "credential %s deleted %s\n", name, how)
	if users := usedBy(cfg, name); len(users) > 0 {
		fmt.Fprintf(a.stdout, "note: %s still name it; their runs fail until it is set again\n", strings.Join(users, ", "))
	}
	return nil
}
