// Package credentials keeps vendor secrets in the operating system's
// keyring (github.com/99designs/keyring) and never lets one reach a log,
// an error, the config or the store. It also answers the local channel
// through which the CLI hands a secret to the running service, and tests
// an oauth2_client credential against its token endpoint (TestToken).
//
// # Credentials
//
// A credential has a name (what the config's credential = "…" names), a
// Kind (oauth2_client, api_key, basic) and metadata that is not secret
// (Meta: created, rotated, optional expires_at). The secret lives in the
// keyring; the metadata also lives in data_dir/credentials.json (the
// index), so listing, validating and status never read a secret. The
// index is the record of what is set: Store.Get reads only a credential
// it lists, from the backend it names, so a run never uses a secret that
// status calls not set; Store.Delete removes the entry by name.
//
// # Backends and the key scheme
//
// [keyring] backend picks the keyring (Options.Backend); "auto" is wincred
// on Windows, keychain on macOS, the Secret Service where one runs on the
// session D-Bus, else "file". Every backend files credential NAME under the
// service name "agentsync":
//
//	secret-service  default collection ("login"), item labelled agentsync/NAME,
//	                attribute profile=agentsync/NAME
//	                  secret-tool search --all profile agentsync/NAME
//	keyctl          user keyring (@u) → keyring "agentsync" → user key NAME,
//	                permissions: possessor and owner only (lost at reboot)
//	                  keyctl pipe $(keyctl search $(keyctl search @u keyring agentsync) user NAME)
//	wincred         generic credential agentsync:credential:NAME (Credential Manager)
//	keychain        service agentsync, account NAME
//	pass            agentsync/NAME in the password store
//	file            file_dir/NAME (default data_dir/keyring), a JWE encrypted with
//	                PBES2 from the passphrase: $AGENT_KEYRING_PASSPHRASE (passphrase_env),
//	                else $CREDENTIALS_DIRECTORY/agent-keyring-passphrase (systemd
//	                LoadCredentialEncrypted=), else data_dir/keyring.key (0600,
//	                created on first use). Folder 0700, files 0600; on Windows
//	                SYSTEM and Administrators only (internal/osdir), and the
//	                key file is checked by its DACL.
//
// The entry's value is a JSON object holding the secret fields and a copy
// of the metadata.
//
// # The channel to the service
//
// The service must see what the CLI stored (Windows Credential Manager is
// per account and the service runs as LocalSystem). The CLI therefore
// hands the secret to the running service, which stores it in its own
// keyring:
//
//	addr := credentials.SocketPath(dataDir)      // data_dir/agent.sock, or the pipe \\.\pipe\agentsync-agent
//	go credentials.ListenAndServe(ctx, store, addr) // in the service; returns nil when ctx ends
//	meta, err := credentials.SendToService(ctx, addr, name, secret, expiresAt) // in the CLI
//	err = credentials.DeleteViaService(ctx, addr, name)
//
// Errors wrap ErrServiceNotRunning when nothing listens; the CLI then
// stores directly and says so. The Unix socket is 0600 and admits only
// root or the service's user (SO_PEERCRED on Linux); the named pipe's DACL
// (PipeSDDL) admits only Administrators and SYSTEM, never remote clients.
// Listen and Serve split ListenAndServe for a service that wants to report
// a listen error before it starts.
package credentials
