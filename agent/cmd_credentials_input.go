package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/agentsync/agent/credentials"
)

// maxSecret bounds what --secret-stdin reads.
const maxSecret = 64 << 10

// readCredential assembles the secret of kind k: the non-secret part from
// its flag (or a prompt), the secret from standard input with
// --secret-stdin, else from the terminal without echo. wipe zeroes the
// buffers the secret went through; it is never nil.
func (a *app) readCredential(k credentials.Kind, clientID, username string, fromStdin bool) (credentials.Secret, func(), error) {
	var bufs [][]byte
	wipe := func() {
		for _, b := range bufs {
			clear(b)
		}
	}
	sec := credentials.Secret{Kind: k}
	in := bufio.NewReader(a.stdin)
	ask := func(what, flagName string, value *string) error {
		if *value != "" {
			return nil
		}
		if fromStdin {
			return usagef("credentials set: --%s is required with --secret-stdin", flagName)
		}
		if !a.stdinIsTerminal() {
			return usagef("credentials set: give --%s (standard input is not a terminal)", flagName)
		}
		fmt.Fprintf(a.stderr, "%s: ", what)
		line, err := in.ReadString('\n')
		if err != nil && line == "" {
			return fmt.Errorf("credentials set: reading the %s: %w", what, err)
		}
		*value = strings.TrimSpace(line)
		return nil
	}
	var secretName string
	switch k {
	case credentials.OAuth2Client:
		if err := ask("Client ID", "client-id", &clientID); err != nil {
			return sec, wipe, err
		}
		sec.ClientID, secretName = clientID, "client secret"
	case credentials.Basic:
		if err := ask("Username", "username", &username); err != nil {
			return sec, wipe, err
		}
		sec.Username, secretName = username, "password"
	case credentials.APIKey:
		secretName = "API key"
	}

	var raw []byte
	var err error
	if fromStdin {
		raw, err = io.ReadAll(io.LimitReader(in, maxSecret+1))
		bufs = append(bufs, raw)
		if err == nil && len(raw) > maxSecret {
			err = fmt.Errorf("credentials set: the %s on standard input is longer than %d bytes", secretName, maxSecret)
		}
		raw = bytes.TrimRight(raw, "\r\n")
	} else {
		if !a.stdinIsTerminal() {
			return sec, wipe, usagef("credentials set: standard input is not a terminal: pipe the %s with --secret-stdin", secretName)
		}
		fmt.Fprintf(a.stderr, "%s (not shown): ", strings.ToUpper(secretName[:1])+secretName[1:])
		raw, err = term.ReadPassword(int(a.stdin.(*os.File).Fd()))
		fmt.Fprintln(a.stderr)
		bufs = append(bufs, raw)
	}
	if err != nil {
		return sec, wipe, err
	}
	if len(raw) == 0 {
		return sec, wipe, usagef("credentials set: the %s is empty", secretName)
	}
	switch k {
	case credentials.OAuth2Client:
		sec.ClientSecret = string(raw)
	case credentials.Basic:
		sec.Password = string(raw)
	case credentials.APIKey:
		sec.Token = string(raw)
	}
	return sec, wipe, nil
}

func (a *app) stdinIsTerminal() bool {
	f, ok := a.stdin.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
