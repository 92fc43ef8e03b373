// Package notify tells an integration's contacts what they must know: a run
// failed, a run is still going 24 hours after it started, a scheduled run
// could not run, and that the integration succeeds again.
//
// Every message goes to the in-app inbox first (`agent notifications`);
// e-mail is delivered from there by Delivery, so an SMTP outage never
// touches a run: the message waits in the inbox with its delivery error and
// is retried. Each event is an incident of the store: it sends one message
// when it opens, however often it repeats, and closes when the integration
// succeeds again, which sends a recovery message.
package notify

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/agentsync/agent/agent/config"
	"github.com/agentsync/agent/agent/engine"
	"github.com/agentsync/agent/agent/store"
)

// Events, as the inbox names them.
const (
	EventRunFailed      = "run_failed"
	EventRunOverdue     = "run_overdue" // still going Overdue after it started
	EventRunMissed      = "run_missed"  // a scheduled run could not run
	EventRecovered      = "recovered"
	EventConfigInvalid  = "config_invalid"
	EventDeliveryFailed = "delivery_failed" // a destination kept failing for FailingAfter
)

// Overdue is how long a run may go on before its contacts are told.
const Overdue = 24 * time.Hour

// Reason says why a scheduled run could not run.
type Reason string

// The reasons a scheduled run could not run.
const (
	ReasonMissed     Reason = "missed"     // the service was not running at the scheduled time
	ReasonRunning    Reason = "running"    // the integration's last run was still going
	ReasonCredential Reason = "credential" // its credential could not be read
	ReasonDraft      Reason = "draft"      // the integration is in draft
	ReasonError      Reason = "error"      // its source could not be set up
)

// Notifier turns events into inbox messages for the contacts of one
// loaded config. It is safe for concurrent use.
type Notifier struct {
	Config *config.Config
	Store  *store.Store
	Logger *slog.Logger
	// Queued, when set, is called with the id of each message stored with
	// an e-mail to send (the service wakes its Delivery with it; run-now
	// sends those before it exits).
	Queued func(id int64)
}

// RunFinished reports the end of a run: a failure opens the "run failed"
// incident; a success closes the integration's incidents and, when one of
// them was worth a message, says that it recovered. Dry runs, cancelled and
// skipped runs say nothing.
func (n *Notifier) RunFinished(ctx context.Context, rep engine.Report) {
	if rep.DryRun {
		return
	}
	switch rep.Outcome {
	case store.OutcomeFailed:
		staged := ""
		if len(rep.Staged) > 0 {
			staged = "\n\nIt would have deactivated: " + strings.Join(rep.Staged, ", ") + "."
		}
		n.raise(ctx, rep.Integration, EventRunFailed, EventRunFailed,
			fmt.Sprintf("integration %s failed", rep.Integration),
			fmt.Sprintf("The %s run of integration %s (run %s) started at %s failed:\n\n%s%s\n\n"+
				"Nobody was deactivated by this run. You are not told again while %[2]s keeps failing; "+
				"`agent runs %[2]s` lists every run. A message follows when it succeeds again.",
				kind(rep.Trigger), rep.Integration, rep.RunID, n.when(rep.StartedAt), rep.Error, staged))
	case store.OutcomeSuccess:
		n.recovered(ctx, rep)
	}
}

func (n *Notifier) recovered(ctx context.Context, rep engine.Report) {
	// A run's success says nothing of its destinations: their incidents
	// close when a delivery succeeds.
	keys, err := n.Store.ResolveIncidents(context.WithoutCancel(ctx), rep.Integration, func(k string) bool {
		return !strings.HasPrefix(k, EventDeliveryFailed+":")
	})
	if err != nil {
		n.log().Error("could not close the integration's incidents", "integration", rep.Integration, "error", err)
		return
	}
	var was []string
	for _, k := range keys {
		if s := pastTense(k); s != "" {
			was = append(was, s)
		}
	}
	if len(was) == 0 {
		return
	}
	c := rep.Counts
	n.add(ctx, rep.Integration, EventRecovered,
		fmt.Sprintf("integration %s succeeds again", rep.Integration),
		fmt.Sprintf("The %s run of integration %s (run %s) started at %s succeeded: %d fetched, %d created, %d updated, %d deactivated, %d reactivated.\n\n"+
			"Before it, %s.",
			kind(rep.Trigger), rep.Integration, rep.RunID, n.when(rep.StartedAt), c.Fetched, c.Created, c.Updated, c.Deactivated, c.Reactivated,
			strings.Join(was, "; ")))
}

// kind names a run by its trigger: "scheduled" or "manual".
func kind(trigger string) string {
	if trigger == engine.TriggerSchedule {
		return "scheduled"
	}
	return trigger
}

// pastTense describes a closed incident for the recovery message, or ""
// for incidents that closing says nothing about (a missed or overlapping
// scheduled run is over once a run succeeds).
func pastTense(key string) string {
	switch {
	case key == EventRunFailed:
		return "its runs failed"
	case strings.HasPrefix(key, EventRunOverdue+":"):
		return "run " + strings.TrimPrefix(key, EventRunOverdue+":") + " went on for more than 24 hours"
	case key == missedKey(ReasonCredential):
		return "its credential could not be read"
	case key == missedKey(ReasonDraft):
		return "it was in draft"
	case key == missedKey(ReasonError):
		return "its source could not be set up"
	}
	return ""
}

func missedKey(r Reason) string { return EventRunMissed + ":" + string(r) }

// RunOverdue reports a run still going Overdue after it started, once per run.
func (n *Notifier) RunOverdue(ctx context.Context, run store.Run, now time.Time) {
	n.raise(ctx, run.Integration, EventRunOverdue+":"+run.ID, EventRunOverdue,
		fmt.Sprintf("integration %s is still running after %s", run.Integration, roundHours(now.Sub(run.StartedAt))),
		fmt.Sprintf("Run %s of integration %s started at %s and is still going. It goes on, and scheduled runs of %[2]s are skipped until it ends.\n\n"+
			"To stop it, stop the process that runs it (the service: `agent service restart`): the run is then recorded as cancelled and nobody is deactivated.",
			run.ID, run.Integration, n.when(run.StartedAt)))
}

func roundHours(d time.Duration) string {
	return fmt.Sprintf("%d hours", int(d/time.Hour))
}

// NotRun reports that the scheduled run of in at the given time could not
// run, and why; detail is the error or condition behind the reason.
func (n *Notifier) NotRun(ctx context.Context, in *config.Integration, at time.Time, reason Reason, detail string) {
	var why, then string
	switch reason {
	case ReasonMissed:
		why = "the service was not running at that time"
		if in.CatchUp {
			then = "It runs once now that the service has started (catch_up = true)."
		} else {
			then = fmt.Sprintf("With catch_up = false it waits for its next scheduled time, %s.", n.when(in.Schedule.Next(at, n.location())))
		}
	case ReasonRunning:
		why = "its previous run was still going (" + detail + ")"
		then = "It runs at its next scheduled time after that run ends. If this happens often, runs take longer than the schedule allows."
	case ReasonCredential:
		why = fmt.Sprintf("its credential %q could not be read: %s", in.Credential, detail)
		then = fmt.Sprintf("Store it with `agent credentials set %s`; the next scheduled run uses it.", in.Credential)
	case ReasonDraft:
		why = "the integration is in draft (missing: " + strings.Join(in.Missing(), ", ") + ")"
		then = "Add what is missing to the config to launch it."
	default:
		why = detail
		then = "Fix the integration's settings; `agent validate` checks the config."
	}
	n.raise(ctx, in.Name, missedKey(reason), EventRunMissed,
		fmt.Sprintf("scheduled run of %s at %s did not run", in.Name, n.when(at)),
		fmt.Sprintf("The scheduled run of integration %s at %s did not run: %s.\n\n%s", in.Name, n.when(at), why, then))
}

// Missed is the scheduled runs of an integration that did not run while
// the service was down: how many, the first and the last.
type Missed struct {
	Count       int
	More        bool // more than Count: counting stopped there
	First, Last time.Time
}

// RunsMissed reports scheduled runs missed while the service was not
// running: one message naming how many, the first and the last (one run
// reads as NotRun's ReasonMissed message).
func (n *Notifier) RunsMissed(ctx context.Context, in *config.Integration, m Missed) {
	if m.Count <= 1 || m.First.Equal(m.Last) {
		n.NotRun(ctx, in, m.Last, ReasonMissed, "")
		return
	}
	then := "It runs once now that the service has started (catch_up = true)."
	if !in.CatchUp {
		then = fmt.Sprintf("With catch_up = false it waits for its next scheduled time, %s.", n.when(in.Schedule.Next(m.Last, n.location())))
	}
	count := fmt.Sprint(m.Count)
	if m.More {
		count += " or more"
	}
	n.raise(ctx, in.Name, missedKey(ReasonMissed), EventRunMissed,
		fmt.Sprintf("%s scheduled runs of %s, %s to %s, did not run", count, in.Name, n.when(m.First), n.when(m.Last)),
		fmt.Sprintf("%s scheduled runs of integration %s, the first at %s and the last at %s, did not run: the service was not running at that time.\n\n%s",
			count, in.Name, n.when(m.First), n.when(m.Last), then))
}

// ConfigRejected puts an invalid edit of the config file in the inbox (no
// e-mail: it concerns whoever edits the file), once per content.
func (n *Notifier) ConfigRejected(ctx context.Context, contentHash string, problems error, lastGood time.Time) {
	n.raise(ctx, "", EventConfigInvalid+":"+contentHash, EventConfigInvalid,
		"config edit rejected",
		fmt.Sprintf("The service re-read %s and found problems:\n\n%s\n\nIt keeps running on the last good config, loaded at %s. "+
			"Fix the file and check it with `agent validate`; the service picks it up by itself.",
			n.Config.Path, problems, n.when(lastGood)))
}

// ConfigAccepted closes the config incidents: a later bad edit is told again.
func (n *Notifier) ConfigAccepted(ctx context.Context) {
	if _, err := n.Store.ResolveIncidents(context.WithoutCancel(ctx), "", nil); err != nil {
		n.log().Error("could not close the config incidents", "error", err)
	}
}

// DeliveryFailing tells the integration's contacts, once, that delivering
// to destination has been failing since since.
func (n *Notifier) DeliveryFailing(ctx context.Context, integration, destination string, since time.Time, reason string) {
	n.raise(ctx, integration, EventDeliveryFailed+":"+destination, EventDeliveryFailed,
		fmt.Sprintf("delivery of %s to %s is failing", integration, destination),
		fmt.Sprintf("Delivering the changes of integration %s to destination %s has failed since %s:\n\n%s\n\n"+
			"Nothing is lost: the changes stay queued and the agent keeps trying; `agent status` shows the queue and `agent deliver %[1]s` tries now. "+
			"You are not told again while it keeps failing. A message follows when a delivery succeeds.",
			integration, destination, n.when(since), reason))
}

// DeliveryRecovered closes the failing incident of the pair and, when
// there was one, says that delivery works again.
func (n *Notifier) DeliveryRecovered(ctx context.Context, integration, destination string, at time.Time) {
	key := EventDeliveryFailed + ":" + destination
	keys, err := n.Store.ResolveIncidents(context.WithoutCancel(ctx), integration, func(k string) bool { return k == key })
	if err != nil {
		n.log().Error("could not close the delivery incident", "integration", integration, "destination", destination, "error", err)
		return
	}
	if len(keys) == 0 {
		return
	}
	n.add(ctx, integration, EventRecovered,
		fmt.Sprintf("delivery of %s to %s works again", integration, destination),
		fmt.Sprintf("Delivering the changes of integration %s to destination %s succeeded at %s; what was queued while it failed has been delivered.",
			integration, destination, n.when(at)))
}

// raise opens an incident and stores its message when it was not open.
func (n *Notifier) raise(ctx context.Context, integration, key, event, subject, body string) {
	msg := n.message(integration, event, subject, body)
	ctx = context.WithoutCancel(ctx)
	id, err := n.Store.RaiseIncident(ctx, integration, key, msg)
	switch {
	case err != nil:
		n.log().Error("could not record the notification", "integration", integration, "event", event, "error", err)
	case id == 0:
		n.log().Info("already told; no new message", "integration", integration, "event", event)
	default:
		n.stored(integration, event, id, msg)
	}
}

// add stores a message outside any incident.
func (n *Notifier) add(ctx context.Context, integration, event, subject, body string) {
	msg := n.message(integration, event, subject, body)
	id, err := n.Store.AddNotification(context.WithoutCancel(ctx), msg)
	if err != nil {
		n.log().Error("could not record the notification", "integration", integration, "event", event, "error", err)
		return
	}
	n.stored(integration, event, id, msg)
}

func (n *Notifier) stored(integration, event string, id int64, msg store.Notification) {
	n.log().Info("notification", "integration", integration, "event", event, "id", id, "subject", msg.Subject, "email", msg.EmailStatus)
	if msg.EmailStatus == store.EmailPending && n.Queued != nil {
		n.Queued(id)
	}
}

// message addresses a message to the integration's contacts; it is mailed
// when [smtp] has a host.
func (n *Notifier) message(integration, event, subject, body string) store.Notification {
	msg := store.Notification{Integration: integration, Event: event, Subject: "agent: " + subject, Body: body, EmailStatus: store.EmailNone}
	if in, ok := n.Config.Integration(integration); ok && integration != "" {
		msg.Recipients = in.Contacts
	}
	if len(msg.Recipients) > 0 && n.Config.SMTP.Host != "" {
		msg.EmailStatus = store.EmailPending
	}
	return msg
}

func (n *Notifier) location() *time.Location {
	if n.Config.Location != nil {
		return n.Config.Location
	}
	return time.Local
}

// when formats a time for a message, in the agent's time zone.
func (n *Notifier) when(t time.Time) string {
	if t.IsZero() {
		return "an unknown time"
	}
	return t.In(n.location()).Format("2006-01-02 15:04 MST")
}

func (n *Notifier) log() *slog.Logger {
	if n.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return n.Logger
}
