//go:build !unix

package service

// notifySignals: no SIGHUP here; `agent service reload` and editing the
// file re-read the config.
func (d *Daemon) notifySignals() (stop func()) { return func() {} }
