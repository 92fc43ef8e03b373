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
