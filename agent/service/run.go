package service

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"sync"
	"time"

	kservice "github.com/kardianos/service"
)

// StopWait bounds how long a stop request waits for the daemon: cancelled
// runs record their end well within it, and it is within the service
// managers' timeouts (systemd's TimeoutStopSec, Windows' 20s).
const StopWait = 15 * time.Second

// program is the daemon as kardianos/service runs it.
type program struct {
	d      *Daemon
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	err    error
}

func (p *program) Start(kservice.Service) error {
	go func() {
		err := p.d.Run(p.ctx)
		p.mu.Lock()
		p.err = err
		p.mu.Unlock()
		close(p.done)
		if err != nil && runtime.GOOS == "windows" && !kservice.Interactive() {
			// Exit so that the service's recovery actions restart it.
			p.d.logError(err)
			os.Exit(1)
		}
	}()
	return nil
}

func (p *program) Stop(kservice.Service) error {
	p.cancel()
	select {
	case <-p.done:
	case <-time.After(StopWait):
	}
	return nil
}

// Run runs the daemon until ctx ends (SIGINT, SIGTERM) or the service
// manager stops it: under kardianos/service when a service manager started
// the process (on Windows that is the only way to talk to it), else in the
// foreground.
func Run(ctx context.Context, d *Daemon) error {
	if kservice.Interactive() {
		return d.Run(ctx)
	}
	p := &program{d: d, done: make(chan struct{})}
	p.ctx, p.cancel = context.WithCancel(ctx)
	defer p.cancel()
	c := &kservice.Config{Name: Name, Option: kservice.KeyValue{
		"RunWait": func() {
			select {
			case <-ctx.Done():
			case <-p.done:
			}
		},
	}}
	s, err := kservice.New(p, c)
	if err != nil {
		return d.Run(ctx)
	}
	if runtime.GOOS == "windows" {
		if l, err := s.Logger(nil); err == nil {
			d.Sink = eventLog{out: l}
		}
	}
	if err := s.Run(); err != nil {
		return fmt.Errorf("service: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

func (d *Daemon) logError(err error) {
	if d.log != nil {
		d.log.Error("agent stopped on an error", "error", err)
	} else if d.Sink != nil {
		slog.New(d.Sink).Error("agent stopped on an error", "error", err)
	}
}
