package deliver

import (
	"context"
	"fmt"

	"github.com/agentsync/agent/agent/config"
	"github.com/agentsync/agent/agent/export"
	"github.com/agentsync/agent/agent/store"
	"github.com/agentsync/agent/destinations"
)

// job is one delivery of one integration to one destination.
type job struct {
	d     *Deliverer
	in    *config.Integration
	dc    *config.Destination
	st    store.DeliveryState // as the delivery began
	dst   destinations.Destination
	sess  destinations.Session
	wants destinations.Wants
	ex    map[store.Kind]*export.Exporter

	items  []item
	number int             // batches sent
	sent   int             // records sent
	people map[string]bool // person keys sent, when SaaS users travel inside them
}

// item is one record to send; rec is nil when it is read by key.
type item struct {
	kind  store.Kind
	key   string
	op    string
	runID string
	rec   *store.Record
	mark  store.Marks // what acknowledging it acknowledges
}

func (j *job) saasMode() bool { return j.in.Mode == config.ModeUsersAndSaaS }

// perPerson: SaaS users travel inside their person's record.
func (j *job) perPerson() bool { return j.wants.PerPerson && j.saasMode() }

func (j *job) run(ctx context.Context) error {
	if err := j.dst.Check(ctx); err != nil {
		return err
	}
	sess, err := j.dst.Begin(ctx, destinations.Delivery{
		Integration: j.in.Name, Mode: j.in.Mode, Application: j.in.Application,
		Preference: j.in.Preference, Snapshot: j.st.Snapshot,
	})
	if err != nil {
		return err
	}
	j.sess, j.people = sess, map[string]bool{}
	if j.st.Snapshot {
		err = j.snapshot(ctx)
	} else {
		err = j.changes(ctx)
	}
	if err == nil {
		err = j.flush(ctx)
	}
	if err == nil {
		err = j.sess.Finish(ctx)
	}
	if err != nil {
		return err
	}
	// Everything queued when the delivery began is acknowledged now.
	return j.d.Store.Ack(ctx, j.dc.Name, j.in.Name, j.st.Queued, j.st.Snapshot, j.d.now())
}

// snapshot sends every record as it is now: people (with their SaaS user
// inside, or SaaS users after them).
func (j *job) snapshot(ctx context.Context) error {
	kinds := []store.Kind{store.Person}
	if j.saasMode() && !j.perPerson() {
		kinds = append(kinds, store.SaaSUser)
	}
	for _, k := range kinds {
		err := j.scan(ctx, k, 0, 0, func(r *store.Record) item {
			return item{kind: k, key: r.Key, op: destinations.OpSnapshot, runID: j.st.QueuedRun, rec: r}
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// scan adds the records of the kind with ids in (after, upTo], in id order.
func (j *job) scan(ctx context.Context, k store.Kind, after, upTo int64, mk func(*store.Record) item) error {
	size := j.dc.BatchSize
	for {
		recs, err := j.d.Store.RecordsAfter(ctx, j.in.Name, k, after, upTo, size)
		if err != nil {
			return err
		}
		for i := range recs {
			if it := mk(&recs[i]); it.key != "" {
				if err := j.add(ctx, it); err != nil {
					return err
				}
			}
		}
		if len(recs) < size {
			return nil
		}
		after = recs[len(recs)-1].ID
	}
}

// changes sends what was queued since the last acknowledgement: the
// records created, whole, then the records changed in a field the
// destination sends, in the order of their last change.
func (j *job) changes(ctx context.Context) error {
	st := j.st
	err := j.scan(ctx, store.Person, st.Acked.Person, st.Queued.Person, func(r *store.Record) item {
		return item{kind: store.Person, key: r.Key, op: destinations.OpCreate, runID: r.CreatedRun, rec: r, mark: store.Marks{Person: r.ID}}
	})
	if err != nil {
		return err
	}
	if j.saasMode() {
		err := j.scan(ctx, store.SaaSUser, st.Acked.SaaS, st.Queued.SaaS, func(r *store.Record) item {
			if j.perPerson() {
				// A new SaaS user of a known person: the person's record
				// carries it.
				return item{kind: store.Person, key: r.Key, op: destinations.OpUpdate, runID: r.CreatedRun, mark: store.Marks{SaaS: r.ID}}
			}
			return item{kind: store.SaaSUser, key: r.Key, op: destinations.OpCreate, runID: r.CreatedRun, rec: r, mark: store.Marks{SaaS: r.ID}}
		})
		if err != nil {
			return err
		}
	}
	changed, err := j.d.Store.Changed(ctx, j.in.Name, st.Acked.Change, st.Queued.Change, st.Acked, j.wants.PersonFields, j.wants.SaaSFields)
	if err != nil {
		return err
	}
	for _, p := range changed {
		op := destinations.OpUpdate
		switch p.Status {
		case store.Inactive:
			op = destinations.OpDeactivate
		case store.Active:
			op = destinations.OpReactivate
		}
		kind := p.Kind
		if j.perPerson() {
			kind = store.Person
		}
		if err := j.add(ctx, item{kind: kind, key: p.Key, op: op, runID: p.RunID, mark: store.Marks{Change: p.Last}}); err != nil {
			return err
		}
	}
	return nil
}

// add queues an item for the current batch and sends the batch when full.
// A person already sent in this delivery is not sent again (its record
// was read whole, SaaS user included).
func (j *job) add(ctx context.Context, it item) error {
	if j.perPerson() && it.kind == store.Person && !j.st.Snapshot {
		if j.people[it.key] {
			return nil
		}
		j.people[it.key] = true
	}
	j.items = append(j.items, it)
	if len(j.items) >= j.dc.BatchSize {
		return j.flush(ctx)
	}
	return nil
}

// flush sends the current batch.
func (j *job) flush(ctx context.Context) error {
	if len(j.items) == 0 {
		return nil
	}
	items := j.items
	j.items = j.items[:0]
	recs, err := j.read(ctx, items)
	if err != nil {
		return err
	}
	var saas map[string]store.Record
	if j.perPerson() {
		keys := make([]string, 0, len(items))
		for _, it := range items {
			keys = append(keys, it.key)
		}
		if saas, err = j.d.Store.RecordsByKey(ctx, j.in.Name, store.SaaSUser, j.in.Application, keys); err != nil {
			return err
		}
	}
	b := destinations.Batch{Number: j.number + 1, Changes: make([]destinations.Change, 0, len(items))}
	var marks store.Marks
	for i, it := range items {
		r := recs[i]
		if r == nil {
			continue // gone since it was queued: nothing to send
		}
		c := destinations.Change{Kind: string(it.kind), Op: it.op, RunID: it.runID, Record: j.ex[it.kind].Object(*r)}
		if s, ok := saas[it.key]; ok {
			c.SaaS = &destinations.Change{Kind: string(store.SaaSUser), Op: it.op, RunID: it.runID, Record: j.ex[store.SaaSUser].Object(s)}
		}
		b.Changes = append(b.Changes, c)
		b.RunID = max(b.RunID, it.runID) // run ids sort by their start
		marks = store.Marks{Change: max(marks.Change, it.mark.Change), Person: max(marks.Person, it.mark.Person), SaaS: max(marks.SaaS, it.mark.SaaS)}
	}
	if len(b.Changes) == 0 {
		return nil
	}
	acked, err := j.sess.Send(ctx, b)
	if err != nil {
		return err
	}
	j.number++
	j.sent += len(b.Changes)
	if acked && !j.st.Snapshot {
		// A snapshot is acknowledged as a whole: one cut short starts over.
		if err := j.d.Store.Ack(ctx, j.dc.Name, j.in.Name, marks, false, j.d.now()); err != nil {
			return err
		}
	}
	return nil
}

// read returns the items' records, reading by key those not in hand.
func (j *job) read(ctx context.Context, items []item) ([]*store.Record, error) {
	out := make([]*store.Record, len(items))
	need := map[store.Kind][]string{}
	for i, it := range items {
		if out[i] = it.rec; it.rec == nil {
			need[it.kind] = append(need[it.kind], it.key)
		}
	}
	for kind, keys := range need {
		app := ""
		if kind == store.SaaSUser {
			app = j.in.Application
		}
		got, err := j.d.Store.RecordsByKey(ctx, j.in.Name, kind, app, keys)
		if err != nil {
			return nil, fmt.Errorf("destination %s: %w", j.dc.Name, err)
		}
		for i, it := range items {
			if it.rec == nil && it.kind == kind {
				if r, ok := got[it.key]; ok {
					out[i] = &r
				}
			}
		}
	}
	return out, nil
}
