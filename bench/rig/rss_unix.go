//go:build unix

package rig

import (
	"os"
	"runtime"
	"syscall"
)

// maxRSS is the peak resident set of an ended child, in bytes (getrusage
// counts kilobytes on Linux, bytes on Darwin).
func maxRSS(ps *os.ProcessState) int64 {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0
	}
	if runtime.GOOS == "darwin" {
		return int64(ru.Maxrss)
	}
	return int64(ru.Maxrss) * 1024
}
