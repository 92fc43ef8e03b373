package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agentsync/agent/credentials"
	"github.com/agentsync/agent/credentials/tokentest"
)

// credBox is a config with a file keyring in a temp folder, for the
// credentials commands.
type credBox struct {
	t    *testing.T
	dir  string
	cfg  string
	data string
	// out gathers everything the commands printed, for the hygiene test.
	out bytes.Buffer
}

const restIntegration = `
[[integration]]
name = "vx"
vendor = "rest"
credential = "vx-cred"
schedule = "manual"
contacts = ["ops@example.com"]
  [integration.mapping]
  "user.email" = "email | lower"
  "user.full_name" = "name"
  [integration.rest]
  users_url = "%[1]s/users"
  records_path = "users"
  auth = "oauth2_client_credentials"
  token_url = "%[1]s/token"
  scopes = ["users:read"]
  client_auth = "%[2]s"
    [integration.rest.pagination]
    type = "none"
`

func newCredBox(t *testing.T, integrations string) *credBox {
	t.Helper()
	t.Setenv("AGENT_KEYRING_PASSPHRASE", "cred-box-passphrase")
	t.Setenv("CREDENTIALS_DIRECTORY", "")
	dir := t.TempDir()
	b := &credBox{t: t, dir: dir, cfg: filepath.Join(dir, "config.toml"), data: filepath.Join(dir, "data")}
	text := "[agent]\ndata_dir = \"data\"\nlog_level = \"debug\"\n[keyring]\nbackend = \"file\"\n" + integrations
	if err := os.WriteFile(b.cfg, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return b
}

// agent runs the CLI in-process with stdin.
func (b *credBox) agent(stdin string, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"--config", b.cfg}, args...), strings.NewReader(stdin), &out, &errb)
	b.out.Write(out.Bytes())
	b.out.Write(errb.Bytes())
	return code, out.String(), errb.String()
}

func (b *credBox) must(stdin string, args ...string) string {
	b.t.Helper()
	code, out, errs := b.agent(stdin, args...)
	if code != exitOK {
		b.t.Fatalf("agent %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

func TestCredentialsSetListTestDelete(t *testing.T) {
	srv := tokentest.New(t, "cid-1", "client-secret-Wq9-one")
	b := newCredBox(t, "")

	out := b.must("client-secret-Wq9-one\n", "credentials", "set", "vx-cred", "--client-id", "cid-1", "--secret-stdin", "--expires", "2099-12-31")
	for _, want := range []string{"credential vx-cred (oauth2_client) stored in keyring file", "expires 2099-12-31", "the agent service is not running"} {
		if !strings.Contains(out, want) {
			t.Fatalf("set said %q; want %q", out, want)
		}
	}
	b.must("tok-Ax3-api\n", "credentials", "set", "--kind", "api_key", "--secret-stdin", "api-cred")
	b.must("smtp-pw-Bz4\n", "credentials", "set", "smtp", "--kind", "basic", "--username", "mailer", "--secret-stdin")

	out = b.must("", "credentials", "list")
	for _, want := range []string{"vx-cred", "oauth2_client", "api-cred", "api_key", "smtp", "basic", "2099-12-31"} {
		if !strings.Contains(out, want) {
			t.Fatalf("list:\n%s\nwant %q", out, want)
		}
	}
	out = b.must("", "credentials", "list", "--json")
	if n := strings.Count(out, "\n"); n != 3 || !strings.Contains(out, `"expires_at":"2099-12-31T`) {
		t.Fatalf("list --json:\n%s", out)
	}

	// test: a token from the given URL; then a wrong secret fails, naming
	// the credential and not the secret.
	out = b.must("", "credentials", "test", "vx-cred", "--token-url", srv.TokenURL())
	if !strings.Contains(out, "credential vx-cred: OK: "+srv.TokenURL()+" issued a Bearer token") || strings.Contains(out, tokentest.AccessToken) {
		t.Fatalf("test said %q", out)
	}
	b.must("a-wrong-secret-Ty7\n", "credentials", "set", "vx-cred", "--client-id", "cid-1", "--secret-stdin")
	code, out, errs := b.agent("", "credentials", "test", "vx-cred", "--token-url", srv.TokenURL())
	if code != exitFailed || !strings.Contains(out, "credential vx-cred: FAILED") || !strings.Contains(out, "invalid_client") {
		t.Fatalf("test with a wrong secret: exit %d\n%s%s", code, out, errs)
	}
	if strings.Contains(out+errs, "a-wrong-secret-Ty7") {
		t.Fatal("the failure shows the secret")
	}
	out = b.must("", "credentials", "test", "api-cred")
	if !strings.Contains(out, "credential api-cred (api_key): OK: readable") {
		t.Fatalf("test api_key: %q", out)
	}
	if code, _, errs := b.agent("", "credentials", "test", "vx-cred"); code != exitUsage || !strings.Contains(errs, "--token-url") {
		t.Fatalf("test without a token URL: exit %d %s", code, errs)
	}

	out = b.must("", "credentials", "delete", "api-cred")
	if !strings.Contains(out, "credential api-cred deleted from keyring file") {
		t.Fatalf("delete said %q", out)
	}
	if code, _, errs := b.agent("", "credentials", "delete", "api-cred"); code != exitFailed || !strings.Contains(errs, `credential "api-cred": not found`) {
		t.Fatalf("second delete: exit %d %s", code, errs)
	}
	if code, _, errs := b.agent("", "credentials", "test", "api-cred"); code != exitFailed || !strings.Contains(errs, "agent credentials set api-cred") {
		t.Fatalf("test a deleted credential: exit %d %s", code, errs)
	}
}

func TestCredentialsRefuseSecretsFromArguments(t *testing.T) {
	b := newCredBox(t, "")
	for _, args := range [][]string{
		{"set", "x", "--secret", "arg-secret-Pp1"},
		{"set", "x", "--client-secret=arg-secret-Pp1", "--client-id", "c"},
		{"set", "x", "--password", "arg-secret-Pp1"},
		{"set", "x", "arg-secret-Pp1"},
		{"set", "x", "--secret-stdin=arg-secret-Pp1"},
		{"set", "x", "--expires", "arg-secret-Pp1"},
	} {
		code, out, errs := b.agent("", append([]string{"credentials"}, args...)...)
		if code != exitUsage {
			t.Fatalf("%q: exit %d; want 2", args, code)
		}
		if strings.Contains(out+errs, "arg-secret-Pp1") {
			t.Fatalf("%q: the refusal repeats the value: %s", args, errs)
		}
	}
	// No terminal and no --secret-stdin: nothing to prompt on.
	if code, _, errs := b.agent("", "credentials", "set", "x", "--client-id", "c"); code != exitUsage || !strings.Contains(errs, "--secret-stdin") {
		t.Fatalf("no terminal: exit %d %s", code, errs)
	}
	if code, _, errs := b.agent("s\n", "credentials", "set", "x", "--secret-stdin"); code != exitUsage || !strings.Contains(errs, "--client-id is required") {
		t.Fatalf("no client ID: exit %d %s", code, errs)
	}
	if code, _, errs := b.agent("\n", "credentials", "set", "x", "--kind", "api_key", "--secret-stdin"); code != exitUsage || !strings.Contains(errs, "empty") {
		t.Fatalf("empty secret: exit %d %s", code, errs)
	}
	if code, _, _ := b.agent("s\n", "credentials", "set", "bad/name", "--kind", "api_key", "--secret-stdin"); code != exitUsage {
		t.Fatalf("bad name: exit %d", code)
	}
}

// TestCredentialsViaService: with a service listening, set and delete hand
// the secret to it, and it stores it in its own keyring.
func TestCredentialsViaService(t *testing.T) {
	b := newCredBox(t, "")
	os.MkdirAll(b.data, 0o750)
	serviceRing := filepath.Join(b.dir, "service-keyring")
	t.Setenv("SERVICE_PASSPHRASE", "the-service-passphrase")
	svc := credentials.Open(credentials.Options{Backend: "file", DataDir: b.data, FileDir: serviceRing, PassphraseEnv: "SERVICE_PASSPHRASE"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	addr := credentials.SocketPath(b.data)
	l, err := credentials.Listen(addr)
	if err != nil {
		t.Fatal(err)
	}
	go func() { done <- credentials.Serve(ctx, svc, l) }()

	out := b.must("svc-secret-Mn2\n", "credentials", "set", "svc-cred", "--client-id", "cid", "--secret-stdin")
	if !strings.Contains(out, "stored by the running agent service, in its keyring file") || strings.Contains(out, "not running") {
		t.Fatalf("set said %q", out)
	}
	if _, err := os.Stat(filepath.Join(serviceRing, "svc-cred")); err != nil {
		t.Fatalf("the service's keyring lacks the entry: %v", err)
	}
	if _, err := os.Stat(filepath.Join(b.data, "keyring", "svc-cred")); err == nil {
		t.Fatal("the CLI stored the entry itself")
	}
	if got, err := svc.Get(ctx, "svc-cred"); err != nil || got.ClientSecret != "svc-secret-Mn2" {
		t.Fatalf("the service reads: %v", err)
	}
	if out := b.must("", "credentials", "list"); !strings.Contains(out, "svc-cred") {
		t.Fatalf("list: %s", out)
	}
	out = b.must("", "credentials", "delete", "svc-cred")
	if !strings.Contains(out, "deleted by the running agent service") {
		t.Fatalf("delete said %q", out)
	}
	if code, _, errs := b.agent("", "credentials", "delete", "svc-cred"); code != exitFailed || !strings.Contains(errs, "not found") {
		t.Fatalf("second delete: exit %d %s", code, errs)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestRunNowUsesStoredSecret: set, then run-now authenticates with the
// stored secret against an OAuth2 token endpoint (RFC 6749 §4.4), with
// either client authentication; a wrong secret fails the run with a message
// naming the credential, not the secret.
func TestRunNowUsesStoredSecret(t *testing.T) {
	for _, style := range []string{"header", "body"} {
		t.Run(style, func(t *testing.T) {
			srv := tokentest.New(t, "cid-run", "run-secret-Kd8-"+style)
			srv.ClientAuth, srv.Scope = style, "users:read"
			srv.Users = []map[string]any{{"email": "Ann@Example.com", "name": "Ann"}, {"email": "bob@example.com", "name": "Bob"}}
			b := newCredBox(t, fmt.Sprintf(restIntegration, srv.URL, style))

			code, out, errs := b.agent("", "run-now", "vx", "--json")
			if code != exitFailed || !strings.Contains(out, "vx-cred") {
				t.Fatalf("run-now before set: exit %d\n%s%s", code, out, errs)
			}
			b.must("run-secret-Kd8-"+style+"\n", "credentials", "set", "vx-cred", "--client-id", "cid-run", "--secret-stdin")
			if out := b.must("", "credentials", "test", "vx-cred"); !strings.Contains(out, "OK: "+srv.TokenURL()) {
				t.Fatalf("test with the integration's token URL: %s", out)
			}
			out = b.must("", "run-now", "vx", "--json")
			var rep struct {
				Outcome string
				Counts  struct{ Fetched, Created int }
			}
			if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Outcome != "success" || rep.Counts.Fetched != 2 || rep.Counts.Created != 2 {
				t.Fatalf("run-now: %s (%v)", out, err)
			}
			for _, s := range srv.Styles() {
				if s != style {
					t.Fatalf("client authenticated by %s; want %s", s, style)
				}
			}

			b.must("wrong-secret-Qr3\n", "credentials", "set", "vx-cred", "--client-id", "cid-run", "--secret-stdin")
			code, out, errs = b.agent("", "run-now", "vx")
			if code != exitFailed || !strings.Contains(out, "vx-cred") || !strings.Contains(out, "failed") {
				t.Fatalf("run-now with a wrong secret: exit %d\n%s%s", code, out, errs)
			}
			if strings.Contains(out+errs, "wrong-secret-Qr3") {
				t.Fatal("the failure shows the secret")
			}
		})
	}
}

// TestCredentialExpiryInStatus: seed 000 through the CLI.
func TestCredentialExpiryInStatus(t *testing.T) {
	srv := tokentest.New(t, "c", "s")
	b := newCredBox(t, fmt.Sprintf(restIntegration, srv.URL, "header"))
	state := func() string {
		var s struct{ State string }
		json.Unmarshal([]byte(b.must("", "status", "--json")), &s)
		return s.State
	}
	if s := state(); s != "warning" {
		t.Fatalf("credential not set: %s", s)
	}
	if out := b.must("", "validate"); !strings.Contains(out, "warning: vx: credential vx-cred is not set") {
		t.Fatalf("validate: %s", out)
	}
	soon := time.Now().AddDate(0, 0, 30).Format(time.DateOnly)
	b.must("s\n", "credentials", "set", "vx-cred", "--client-id", "c", "--secret-stdin", "--expires", soon)
	if s := state(); s != "warning" {
		t.Fatalf("expiring: %s", s)
	}
	b.must("s\n", "credentials", "set", "vx-cred", "--client-id", "c", "--secret-stdin", "--expires", "2020-01-01")
	if s := state(); s != "failed" {
		t.Fatalf("expired: %s", s)
	}
	state()
	out := b.must("", "notifications", "--json")
	if strings.Count(out, `"event":"credential_expired"`) != 1 || strings.Count(out, `"event":"credential_expiring"`) != 1 {
		t.Fatalf("notifications:\n%s", out)
	}
	if out := b.must("", "validate"); !strings.Contains(out, "warning: vx: credential vx-cred expired on 2020-01-01") {
		t.Fatalf("validate: %s", out)
	}
	b.must("s\n", "credentials", "set", "vx-cred", "--client-id", "c", "--secret-stdin")
	if s := state(); s != "ready" {
		t.Fatalf("rotated without expiry: %s", s)
	}
}

// TestSecretsHygiene runs the whole flow with distinctive secrets and
// looks for them everywhere the agent writes: zero hits.
func TestSecretsHygiene(t *testing.T) {
	const secret, wrong = "hygiene-SECRET-7f3Kq9", "hygiene-WRONG-2mXv8"
	srv := tokentest.New(t, "hygiene-client", secret)
	srv.Users = []map[string]any{{"email": "a@example.com", "name": "A"}}
	b := newCredBox(t, fmt.Sprintf(restIntegration, srv.URL, "body"))

	b.must(secret+"\n", "credentials", "set", "vx-cred", "--client-id", "hygiene-client", "--secret-stdin", "--expires", "2099-01-01")
	b.must("", "credentials", "list")
	b.must("", "credentials", "list", "--json")
	b.must("", "credentials", "test", "vx-cred")
	b.must("", "run-now", "vx", "--json", "--verbose") // --verbose: the log is searched too
	b.must("", "run-now", "vx", "--verbose")
	b.must(wrong+"\n", "credentials", "set", "vx-cred", "--client-id", "hygiene-client", "--secret-stdin")
	b.agent("", "credentials", "test", "vx-cred")
	b.agent("", "run-now", "vx", "--json", "--verbose")
	b.agent("", "run-now", "vx", "--verbose")
	for _, args := range [][]string{{"runs", "--json"}, {"runs"}, {"status", "--json"}, {"status"}, {"notifications", "--json"}, {"validate"}, {"export", "--integration", "vx", "--kind", "people", "--format", "jsonl"}} {
		b.agent("", args...)
	}
	if !strings.Contains(b.out.String(), "level=DEBUG") && !strings.Contains(b.out.String(), "level=INFO") {
		t.Log("note: the runs logged nothing at debug level")
	}
	haystacks := map[string][]byte{"stdout+stderr (log)": b.out.Bytes()}
	filepath.Walk(b.dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			data, _ := os.ReadFile(p)
			haystacks[p] = data
		}
		return nil
	})
	for _, f := range []string{"agent.db", "agent.db-wal", credentials.IndexFile} {
		if _, ok := haystacks[filepath.Join(b.data, f)]; !ok && f != "agent.db-wal" {
			t.Fatalf("%s was not written", f)
		}
	}
	for where, data := range haystacks {
		for _, needle := range []string{secret, wrong, tokentest.AccessToken} {
			if bytes.Contains(data, []byte(needle)) {
				t.Errorf("%s contains %q", where, needle)
			}
		}
	}
	for where := range haystacks {
		t.Logf("searched %s", where)
	}
	if os.Getenv("AGENT_TEST_SHOW") != "" {
		t.Log(b.out.String())
	}
}
