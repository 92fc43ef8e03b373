package credentials

import (
	"fmt"
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// authorize admits a peer running as root or as the service's own user
// (SO_PEERCRED), on top of the socket's 0600 mode.
func authorize(c net.Conn) error {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return nil
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return err
	}
	var cred *unix.Ucred
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return err
	}
	if credErr != nil {
		return fmt.Errorf("credentials channel: peer credentials: %v", credErr)
	}
	if cred.Uid != 0 && int(cred.Uid) != os.Getuid() {
		return fmt.Errorf("credentials channel: uid %d may not use the channel (root or uid %d only)", cred.Uid, os.Getuid())
	}
	return nil
}
