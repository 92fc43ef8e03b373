package service

import (
	"bytes"
	"context"
	"log/slog"
	"strings"

	kservice "github.com/kardianos/service"
)

// eventLog is a slog handler writing to the service manager's logger (the
// Windows Event Log): one entry per record, the record as logfmt text,
// its type (error, warning, information) from the level.
type eventLog struct {
	out  kservice.Logger
	wrap []func(slog.Handler) slog.Handler // WithAttrs and WithGroup, in order
}

func (h eventLog) Enabled(context.Context, slog.Level) bool { return true }

func (h eventLog) Handle(ctx context.Context, r slog.Record) error {
	var b bytes.Buffer
	var th slog.Handler = slog.NewTextHandler(&b, &slog.HandlerOptions{
		// The Event Log has its own time and level.
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && (a.Key == slog.TimeKey || a.Key == slog.LevelKey) {
				return slog.Attr{}
			}
			return a
		},
	})
	for _, w := range h.wrap {
		th = w(th)
	}
	if err := th.Handle(ctx, r); err != nil {
		return err
	}
	msg := strings.TrimSpace(b.String())
	switch {
	case r.Level >= slog.LevelError:
		return h.out.Error(msg)
	case r.Level >= slog.LevelWarn:
		return h.out.Warning(msg)
	}
	return h.out.Info(msg)
}

func (h eventLog) WithAttrs(attrs []slog.Attr) slog.Handler {
	return h.with(func(x slog.Handler) slog.Handler { return x.WithAttrs(attrs) })
}

func (h eventLog) WithGroup(name string) slog.Handler {
	return h.with(func(x slog.Handler) slog.Handler { return x.WithGroup(name) })
}

func (h eventLog) with(w func(slog.Handler) slog.Handler) eventLog {
	return eventLog{out: h.out, wrap: append(h.wrap[:len(h.wrap):len(h.wrap)], w)}
}
