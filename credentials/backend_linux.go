package credentials

import (
	"context"
	"fmt"
	"path"
	"time"

	"github.com/godbus/dbus"
)

// autoOrder is what backend = "auto" tries before the file backend.
var autoOrder = []string{"secret-service"}

const (
	secretsName = "org.freedesktop.secrets"
	secretsPath = "/org/freedesktop/secrets"
)

// secretServiceReady checks that a Secret Service runs on the session bus
// and that its default collection exists and is unlocked. The keyring
// library would otherwise wait forever for an unlock prompt.
func secretServiceReady() error {
	_, err := secretServiceCollection()
	return err
}

// secretServiceCollection returns the name of the Secret Service's default
// collection ("login" for gnome-keyring). The agent files its entries
// there: creating a collection of its own would need an interactive
// prompt, which a headless session cannot answer.
func secretServiceCollection() (string, error) {
	if !available("secret-service") {
		return "", unavailable("secret-service")
	}
	// The keyring library connected when the program started; this is
	// that cached connection, never a new dbus-launch.
	conn, err := dbus.SessionBus()
	if err != nil {
		return "", unavailable("secret-service")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var owned bool
	if err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, secretsName).Store(&owned); err != nil || !owned {
		return "", fmt.Errorf(`keyring secret-service: no Secret Service runs on the session bus (%s has no owner): start gnome-keyring-daemon or KeePassXC in the session, or use [keyring] backend = "file"`, secretsName)
	}
	var coll dbus.ObjectPath
	if err := conn.Object(secretsName, secretsPath).CallWithContext(ctx, "org.freedesktop.Secret.Service.ReadAlias", 0, "default").Store(&coll); err != nil {
		return "", fmt.Errorf("keyring secret-service: reading the default collection: %v; %s", err, fix("secret-service"))
	}
	if coll == "/" || coll == "" {
		return "", fmt.Errorf(`keyring secret-service: the Secret Service has no default collection: log in to the desktop once, or run "gnome-keyring-daemon --unlock" (it reads the new keyring's password on stdin); or use [keyring] backend = "file"`)
	}
	name := path.Base(string(coll))
	v, err := conn.Object(secretsName, coll).GetProperty("org.freedesktop.Secret.Collection.Locked")
	if err != nil {
		return "", fmt.Errorf("keyring secret-service: collection %q: %v; %s", name, err, fix("secret-service"))
	}
	if locked, _ := v.Value().(bool); locked {
		return "", fmt.Errorf(`keyring secret-service: the collection %q is locked: unlock it (log in to the desktop, or "gnome-keyring-daemon --replace --unlock" with its password on stdin), or use [keyring] backend = "file"`, name)
	}
	return name, nil
}
