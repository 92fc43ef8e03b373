//go:build !linux

package credentials

import "runtime"

// autoOrder is what backend = "auto" tries before the file backend.
var autoOrder = map[string][]string{"windows": {"wincred"}, "darwin": {"keychain"}}[runtime.GOOS]

func secretServiceReady() error { return unavailable("secret-service") }

func secretServiceCollection() (string, error) { return "", unavailable("secret-service") }
