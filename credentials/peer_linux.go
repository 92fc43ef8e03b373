package credentials

import (
	"errors"
	"fmt"
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// authorize admits a peer running as root or as the service's own user
// (SO_PEERCRED), on top of the socket's 0600 mode. A connection whose peer
// it cannot identify (not a Unix socket, no credentials) is refused.
func authorize(c net.Conn) error {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return fmt.Errorf("credentials channel: cannot identify the peer of a %T connection: refused", c)
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return fmt.Errorf("credentials channel: peer credentials: %v", err)
	}
	var cred *unix.Ucred
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return fmt.Errorf("credentials channel: peer credentials: %v", err)
	}
	if credErr == nil && cred == nil {
		credErr = errors.New("none")
	}
	if credErr != nil {
		return fmt.Errorf("credentials channel: peer credentials: %v", credErr)
	}
	if cred.Uid != 0 && int(cred.Uid) != os.Getuid() {
		return fmt.Errorf("credentials channel: uid %d may not use the channel (root or uid %d only)", cred.Uid, os.Getuid())
	}
	return nil
}
