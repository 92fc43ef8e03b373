package credentials

import (
	"context"
	"net"

	"github.com/Microsoft/go-winio"
)

// PipeName is the channel's named pipe on Windows.
const PipeName = `\\.\pipe\agentsync-agent`

// adminName is who may use the channel.
const adminName = "an Administrator from an elevated prompt"

// SocketPath is the service's channel address: on Windows the named pipe
// PipeName, whatever data_dir.
func SocketPath(dataDir string) string { return PipeName }

// Listen opens the named pipe with PipeSDDL: only Administrators (an
// elevated prompt) and SYSTEM may connect, and never over the network.
//
// go-winio reserves the name with a first pipe instance opened without
// read or write access, which Windows keeps disconnected so that clients
// reach only the instances Accept serves. Wine 8 does not: it hands the
// first client after a start to that instance, which nobody reads, and the
// client waits for its timeout. The client's handshake (PingService: a
// short timeout, one retry) absorbs that; the listener is right as it is.
func Listen(addr string) (net.Listener, error) {
	return winio.ListenPipe(addr, &winio.PipeConfig{
		SecurityDescriptor: PipeSDDL,
		InputBufferSize:    maxRequest,
		OutputBufferSize:   maxRequest,
	})
}

func dial(ctx context.Context, addr string) (net.Conn, error) {
	return winio.DialPipeContext(ctx, addr)
}
