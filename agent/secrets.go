package main

import (
	"context"

	"github.com/agentsync/agent/agent/config"
	"github.com/agentsync/agent/credentials"
	"github.com/agentsync/agent/vendors"
)

// openSecrets opens the credential store the config names, for the
// vendors and the mailer. The returned close func is never nil. The source
// is a *credentials.Store: the service also hands it to
// credentials.ListenAndServe(ctx, store, credentials.SocketPath(data_dir)).
// Opening costs nothing: the keyring is opened when a secret is first read.
func openSecrets(ctx context.Context, cfg *config.Config) (vendors.SecretSource, func(), error) {
	st := credentials.Open(credentialOptions(cfg))
	return st, func() { st.Close() }, nil
}

// credentialOptions maps [agent] data_dir and [keyring] to the store's
// options.
func credentialOptions(cfg *config.Config) credentials.Options {
	return credentials.Options{
		Backend:       cfg.Keyring.Backend,
		DataDir:       cfg.Agent.DataDir,
		FileDir:       cfg.Keyring.FileDir,
		PassphraseEnv: cfg.Keyring.PassphraseEnv,
	}
}
