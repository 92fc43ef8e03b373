package notify

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/agentsync/agent/agent/store"
)

// Delivery retry policy: after the n-th failed attempt the next one waits
// RetryBase·2^(n-1), at most RetryMax; after MaxAttempts it gives up and
// the message stays in the inbox as failed (about two days of trying).
const (
	RetryBase   = time.Minute
	RetryMax    = time.Hour
	MaxAttempts = 48
)

// RetryAfter is the wait before the attempt after the n-th failed one;
// zero when there is none.
func RetryAfter(attempts int) time.Duration {
	if attempts >= MaxAttempts {
		return 0
	}
	d := RetryBase
	for i := 1; i < attempts && d < RetryMax; i++ {
		d *= 2
	}
	return min(d, RetryMax)
}

// Delivery mails the inbox's pending messages: at once when Kick says a
// message was stored, and every Every for messages stored by other
// processes (`agent run-now`) or due for a retry.
type Delivery struct {
	Store  *store.Store
	Clock  clockwork.Clock // nil: the real clock
	Logger *slog.Logger
	Every  time.Duration // default 30s

	mu     sync.Mutex
	mailer *Mailer
	kick   chan struct{}
	once   sync.Once
}

// SetMailer sets how messages are sent (the config's [smtp]); nil leaves
// them pending.
func (d *Delivery) SetMailer(m *Mailer) {
	d.mu.Lock()
	d.mailer = m
	d.mu.Unlock()
}

func (d *Delivery) init() {
	d.once.Do(func() {
		d.kick = make(chan struct{}, 1)
		if d.Clock == nil {
			d.Clock = clockwork.NewRealClock()
		}
		if d.Logger == nil {
			d.Logger = slog.New(slog.DiscardHandler)
		}
		if d.Every <= 0 {
			d.Every = 30 * time.Second
		}
	})
}

// Kick asks for a delivery pass now; it never blocks.
func (d *Delivery) Kick() {
	d.init()
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// Run delivers until ctx is done.
func (d *Delivery) Run(ctx context.Context) {
	d.init()
	for {
		d.Flush(ctx)
		t := d.Clock.NewTimer(d.Every)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-d.kick:
		case <-t.Chan():
		}
		t.Stop()
	}
}

// Flush makes one pass: every message due now is sent, or its failure
// recorded with the time of its next attempt. It returns how many were
// sent and how many failed.
func (d *Delivery) Flush(ctx context.Context) (sent, failed int) {
	m := d.current()
	if m == nil {
		return 0, 0
	}
	due, err := d.Store.PendingEmails(ctx, d.Clock.Now(), 100)
	if err != nil {
		d.Logger.Error("e-mail delivery: reading the inbox failed", "error", err)
		return 0, 0
	}
	for _, n := range due {
		if ctx.Err() != nil {
			return sent, failed
		}
		switch attempted, err := d.deliver(ctx, m, n); {
		case !attempted:
		case err == nil:
			sent++
		default:
			failed++
		}
	}
	return sent, failed
}

// Unsent is a message whose e-mail Send could not send, and why.
type Unsent struct {
	store.Notification
	Err error
}

// Send delivers now the pending e-mails of the messages ids (`agent
// run-now`: those its runs queued), once each, as far as ctx allows, and
// returns those it could not send. A failed attempt is recorded as Flush
// records it: the message stays pending with its error, and the service
// retries it. A message another process is sending is left to it.
func (d *Delivery) Send(ctx context.Context, ids []int64) []Unsent {
	m := d.current()
	if m == nil || len(ids) == 0 {
		return nil
	}
	due, err := d.Store.PendingEmails(ctx, d.Clock.Now(), 0)
	if err != nil {
		unsent := make([]Unsent, len(ids))
		for i, id := range ids {
			unsent[i] = Unsent{store.Notification{ID: id}, err}
		}
		return unsent
	}
	var unsent []Unsent
	for _, n := range due {
		if !slices.Contains(ids, n.ID) {
			continue
		}
		if err := ctx.Err(); err != nil {
			unsent = append(unsent, Unsent{n, fmt.Errorf("not tried: %w", err)})
			continue
		}
		if _, err := d.deliver(ctx, m, n); err != nil {
			unsent = append(unsent, Unsent{n, err})
		}
	}
	return unsent
}

// current is the mailer, nil when e-mail is off.
func (d *Delivery) current() *Mailer {
	d.init()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.mailer == nil || d.mailer.SMTP.Host == "" {
		return nil
	}
	return d.mailer
}

// deliver claims n's e-mail, sends it and records the outcome. It returns
// whether it tried, and the error of the claim or the attempt.
func (d *Delivery) deliver(ctx context.Context, m *Mailer, n store.Notification) (attempted bool, err error) {
	now := d.Clock.Now()
	// The claim outlasts one attempt, so nobody else sends it meanwhile.
	if ok, err := d.Store.ClaimEmail(ctx, n.ID, now, now.Add(m.timeout()+time.Minute)); err != nil || !ok {
		if err != nil {
			d.Logger.Error("e-mail delivery: claiming the message failed", "notification", n.ID, "error", err)
		}
		return false, err
	}
	err = m.Send(ctx, n)
	now = d.Clock.Now()
	// The outcome is recorded even when ctx ended meanwhile.
	rctx := context.WithoutCancel(ctx)
	if err == nil {
		if err := d.Store.EmailSentAt(rctx, n.ID, now); err != nil {
			d.Logger.Error("e-mail delivery: recording the delivery failed", "notification", n.ID, "error", err)
		}
		d.Logger.Info("e-mail sent", "notification", n.ID, "integration", n.Integration, "event", n.Event, "recipients", n.Recipients)
		return true, nil
	}
	var next time.Time
	if wait := RetryAfter(n.Attempts + 1); wait > 0 {
		next = now.Add(wait)
	}
	if rerr := d.Store.EmailAttemptFailed(rctx, n.ID, err.Error(), next); rerr != nil {
		d.Logger.Error("e-mail delivery: recording the failure failed", "notification", n.ID, "error", rerr)
	}
	if next.IsZero() {
		d.Logger.Error("e-mail not sent; giving up, the message stays in the inbox", "notification", n.ID, "integration", n.Integration, "attempts", n.Attempts+1, "error", err)
	} else {
		d.Logger.Warn("e-mail not sent; will retry", "notification", n.ID, "integration", n.Integration, "attempt", n.Attempts+1, "retry_at", next, "error", err)
	}
	return true, err
}
