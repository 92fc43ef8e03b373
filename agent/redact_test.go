package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/internal/vendorsim"
)

// TestRunNowRedactsEchoedSecrets runs run-now --json against a token
// endpoint that quotes back what the client presented: the Basic header
// (client_auth = "header") or the form's client_secret (client_auth =
// "body"), with a 200-character secret, so that a message shortened
// before redaction would keep a piece of it. No 8-character piece of the
// secret, and no Basic value of it, may appear in stdout, stderr (the
// log, at debug), the reports, the run history, the inbox or any file
// the agent wrote (agent.db and its WAL included).
func TestRunNowRedactsEchoedSecrets(t *testing.T) {
	for _, style := range []string{vendorsim.ClientAuthHeader, vendorsim.ClientAuthBody} {
		t.Run(style, func(t *testing.T) {
			a := newSimAgent(t, vendorsim.Config{Users: 5, Pagination: vendorsim.None, ClientAuth: style, Fault: vendorsim.FaultEchoSecrets},
				vendorsim.Integration{Extra: "  client_auth = \"" + style + "\"\n  http.attempts = 1\n"})
			cfg, _ := os.ReadFile(a.cfg)
			os.WriteFile(a.cfg, bytes.Replace(cfg, []byte(`log_level = "error"`), []byte(`log_level = "debug"`), 1), 0o600)

			secret := randomSecret(200)
			var seen bytes.Buffer
			cli := func(stdin string, args ...string) int {
				code, out, errs := a.cli(strings.NewReader(stdin), args...)
				seen.WriteString(out + errs)
				return code
			}
			if code := cli(secret+"\n", "credentials", "set", "sim", "--kind", "oauth2_client", "--client-id", a.sim.Config().ClientID, "--secret-stdin"); code != exitOK {
				t.Fatalf("credentials set: exit %d\n%s", code, seen.String())
			}
			// A second connection keeps agent.db-wal from being folded
			// away when the CLI closes its own, so the WAL is searched too.
			keep, err := store.Open(context.Background(), filepath.Join(a.dir, "data"))
			if err != nil {
				t.Fatal(err)
			}
			defer keep.Close()
			before := seen.Len()
			if code := cli("", "run-now", "--json", "--verbose", "sim"); code != exitFailed { // --verbose: the log too
				t.Fatalf("run-now with a wrong secret: exit %d\n%s", code, seen.String())
			}
			rep := seen.String()[before:]
			if !strings.Contains(rep, `"outcome":"failed"`) || !strings.Contains(rep, "[redacted]") || !strings.Contains(rep, "invalid_client") {
				t.Errorf("the report does not show the echoed, redacted refusal:\n%s", rep)
			}
			for _, args := range [][]string{{"runs", "--json"}, {"runs"}, {"notifications", "--json"}, {"notifications"}, {"status", "--json"}} {
				cli("", args...)
			}
			files := map[string][]byte{"stdout and stderr": seen.Bytes()}
			filepath.Walk(a.dir, func(p string, fi os.FileInfo, err error) error {
				if err == nil && !fi.IsDir() && fi.Name() != "keyring.key" {
					files[p], _ = os.ReadFile(p)
				}
				return nil
			})
			for _, f := range []string{"agent.db", "agent.db-wal"} {
				if _, ok := files[filepath.Join(a.dir, "data", f)]; !ok {
					t.Errorf("%s was not written", f)
				}
			}
			id := a.sim.Config().ClientID
			basic := []string{
				base64.StdEncoding.EncodeToString([]byte(id + ":" + secret)),
				base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id) + ":" + url.QueryEscape(secret))),
			}
			for where, data := range files {
				for i := 0; i+8 <= len(secret); i++ {
					if piece := secret[i : i+8]; bytes.Contains(data, []byte(piece)) {
						t.Errorf("%s holds %q, characters %d to %d of the secret", where, piece, i+1, i+8)
						break
					}
				}
				for _, b := range basic {
					if bytes.Contains(data, []byte(b[:40])) {
						t.Errorf("%s holds the Basic value of the secret", where)
					}
				}
			}
		})
	}
}

// randomSecret is n characters of letters, digits and the characters a
// form and a URL encode, fixed by the seed so that a failure repeats.
func randomSecret(n int) string {
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=&%"
	r := rand.New(rand.NewPCG(7, 11))
	b := make([]byte, n)
	for i := range b {
		b[i] = chars[r.IntN(len(chars))]
	}
	return string(b)
}
