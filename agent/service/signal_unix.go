//go:build unix

package service

import (
	"os"
	"os/signal"
	"syscall"
)

// notifySignals makes SIGHUP (systemctl reload) re-read the config.
func (d *Daemon) notifySignals() (stop func()) {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-c:
				d.log.Info("SIGHUP: re-reading the config")
				d.Reload()
			case <-done:
				return
			}
		}
	}()
	return func() { signal.Stop(c); close(done) }
}
