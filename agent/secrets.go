package main

import (
	"context"

	"github.com/agentsync/agent/agent/config"
	"github.com/agentsync/agent/vendors"
)

// openSecrets opens the credential store the config names, for the
// vendors and the mailer. The returned close func is never nil.
// TODO(credentials): open the keyring-backed store.
func openSecrets(ctx context.Context, cfg *config.Config) (vendors.SecretSource, func(), error) {
	return nil, func() {}, nil
}
