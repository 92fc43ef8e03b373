package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Run outcomes.
const (
	OutcomeRunning   = "running"
	OutcomeSuccess   = "success"
	OutcomeFailed    = "failed"
	OutcomeSkipped   = "skipped"
	OutcomeCancelled = "cancelled"
)

// Counts are a run's per-kind tallies; the JSON names are the run report's.
type Counts struct {
	Fetched             int `json:"fetched"`
	Filtered            int `json:"filtered"`
	Created             int `json:"created"`
	Updated             int `json:"updated"`
	Unchanged           int `json:"unchanged"`
	Deactivated         int `json:"deactivated"`
	Reactivated         int `json:"reactivated"`
	SkippedByPreference int `json:"skipped_by_preference"`
	Invalid             int `json:"invalid"`
}

// Run is one row of the run history.
type Run struct {
	ID             string
	Integration    string
	Trigger        string
	StartedAt      time.Time
	FinishedAt     time.Time
	Outcome        string
	Error          string
	Counts         Counts
	SaaSCounts     *Counts
	CredentialName string
	// Event and Actor are what a push named (?event=, ?actor=); "" for
	// the other runs.
	Event, Actor string
}

// StartRun records a run as running.
func (s *Store) StartRun(ctx context.Context, r Run) error {
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO runs (id, integration, trigger_kind, started_at, outcome, credential_name, event, actor, from_change, from_person, from_saas, num)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, `+idEnds+`, (SELECT coalesce(max(num), 0) + 1 FROM runs))`,
		r.ID, r.Integration, r.Trigger, timeText(r.StartedAt), OutcomeRunning, r.CredentialName, r.Event, r.Actor)
	if err != nil {
		return fmt.Errorf("store: run %s: %w", r.ID, err)
	}
	return nil
}

// idEnds are where the three id sequences stand: a run's history lies
// between their values at its start and at its end (history.go). Each is
// the last entry of a rowid B-tree.
const idEnds = `(SELECT coalesce(max(id), 0) FROM changes), (SELECT coalesce(max(id), 0) FROM people),
	(SELECT coalesce(max(id), 0) FROM saas_users)`

// setIDEnds records them as a run's end.
const setIDEnds = `(to_change, to_person, to_saas) = (SELECT ` + idEnds + `)`

// FinishRun records a run's end. A successful run is finished by
// Sync.Commit instead, in the same transaction as its status changes.
func (s *Store) FinishRun(ctx context.Context, r Run) error {
	return finishRun(ctx, s.db, r)
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func finishRun(ctx context.Context, db execer, r Run) error {
	if r.Outcome != OutcomeSuccess {
		if err := forgetCreations(ctx, db, r.Integration, r.ID); err != nil {
			return err
		}
	}
	counts, err := json.Marshal(r.Counts)
	if err != nil {
		return err
	}
	var saas any
	if r.SaaSCounts != nil {
		b, err := json.Marshal(r.SaaSCounts)
		if err != nil {
			return err
		}
		saas = string(b)
	}
	_, err = db.ExecContext(ctx,
		`UPDATE runs SET finished_at = ?, outcome = ?, error = ?, counts = ?, saas_counts = ?, `+setIDEnds+` WHERE id = ?`,
		timeText(r.FinishedAt), r.Outcome, r.Error, string(counts), saas, r.ID)
	if err != nil {
		return fmt.Errorf("store: run %s: %w", r.ID, err)
	}
	return nil
}

const runColumns = `id, integration, trigger_kind, started_at, finished_at, outcome, error, counts, saas_counts, credential_name, event, actor`

func scanRun(sc rowScanner) (Run, error) {
	var (
		r              Run
		started        string
		finished, saas sql.NullString
		counts         string
	)
	if err := sc.Scan(&r.ID, &r.Integration, &r.Trigger, &started, &finished, &r.Outcome, &r.Error, &counts, &saas, &r.CredentialName, &r.Event, &r.Actor); err != nil {
		return r, err
	}
	r.StartedAt = parseTime(sql.NullString{String: started, Valid: true})
	r.FinishedAt = parseTime(finished)
	if err := json.Unmarshal([]byte(counts), &r.Counts); err != nil {
		return r, fmt.Errorf("run %s: counts: %w", r.ID, err)
	}
	if saas.Valid {
		r.SaaSCounts = new(Counts)
		if err := json.Unmarshal([]byte(saas.String), r.SaaSCounts); err != nil {
			return r, fmt.Errorf("run %s: saas counts: %w", r.ID, err)
		}
	}
	return r, nil
}

// Runs lists runs newest first; integration "" means all; limit <= 0 means all.
func (s *Store) Runs(ctx context.Context, integration string, limit int) ([]Run, error) {
	q := `SELECT ` + runColumns + ` FROM runs WHERE (? = '' OR integration = ?) ORDER BY started_at DESC, id DESC`
	if limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", limit)
	}
	return s.queryRuns(ctx, "runs", q, integration, integration)
}

// queryRuns runs q, which selects runColumns; what names the list in errors.
func (s *Store) queryRuns(ctx context.Context, what, q string, args ...any) ([]Run, error) {
	return collect(ctx, s.db, what, scanRun, q, args...)
}

// Run returns one run by id.
func (s *Store) Run(ctx context.Context, id string) (Run, error) {
	r, err := scanRun(s.db.QueryRowContext(ctx, `SELECT `+runColumns+` FROM runs WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("store: run %s: %w", id, ErrNotFound)
	}
	return r, err
}

// LastRun returns the integration's newest run with the given outcome
// ("" for any); ErrNotFound when there is none.
func (s *Store) LastRun(ctx context.Context, integration, outcome string) (Run, error) {
	r, err := scanRun(s.db.QueryRowContext(ctx,
		`SELECT `+runColumns+` FROM runs WHERE integration = ? AND (? = '' OR outcome = ?) ORDER BY started_at DESC, id DESC LIMIT 1`,
		integration, outcome, outcome))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("store: last run of %s: %w", integration, ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("store: last run of %s: %w", integration, err)
	}
	return r, nil
}

// LastRuns returns the newest run of each integration the store has runs
// of, by integration name: what `agent status` can still show without a
// valid config.
func (s *Store) LastRuns(ctx context.Context) ([]Run, error) {
	return s.queryRuns(ctx, "last runs", `SELECT `+runColumns+` FROM runs r WHERE id = (SELECT id FROM runs l WHERE l.integration = r.integration
		ORDER BY started_at DESC, id DESC LIMIT 1) ORDER BY integration`)
}

// forgetCreations marks the records a failed run created as never seen by
// a successful run, so their $sync_time stays empty.
func forgetCreations(ctx context.Context, db execer, integration, runID string) error {
	for _, k := range Kinds {
		if _, err := db.ExecContext(ctx, `UPDATE `+k.table()+` SET seen_until = '' WHERE integration = ? AND created_run = (SELECT num FROM runs WHERE id = ?) AND seen_until IS NULL`, integration, runID); err != nil {
			return fmt.Errorf("store: creations of run %s: %w", runID, err)
		}
	}
	return nil
}

// Interrupted is the error of a run a dead process left running.
const Interrupted = "interrupted: the agent stopped during this run; nothing was deactivated"

// FailInterrupted marks the integration's runs still recorded as running
// as failed, and returns them as they now are. Call it while holding the
// integration's lock: no run can be going on then, so such a row is left
// from a process that died.
func (s *Store) FailInterrupted(ctx context.Context, integration string) ([]Run, error) {
	runs, err := s.queryRuns(ctx, "runs of "+integration, `SELECT `+runColumns+` FROM runs WHERE integration = ? AND outcome = ? ORDER BY started_at, id`, integration, OutcomeRunning)
	if err != nil || len(runs) == 0 {
		return nil, err
	}
	now := time.Now().UTC()
	for i := range runs {
		r := &runs[i]
		r.Outcome, r.FinishedAt, r.Error = OutcomeFailed, now, Interrupted
		// finishRun also forgets the run's creations (no $sync_time); the
		// outcome condition keeps a row a live run finished meanwhile.
		if err := forgetCreations(ctx, s.db, integration, r.ID); err != nil {
			return nil, err
		}
		if _, err := s.db.ExecContext(ctx, `UPDATE runs SET outcome = ?, finished_at = ?, error = ?, `+setIDEnds+` WHERE id = ? AND outcome = ?`,
			OutcomeFailed, timeText(now), Interrupted, r.ID, OutcomeRunning); err != nil {
			return nil, fmt.Errorf("store: run %s: %w", r.ID, err)
		}
	}
	return runs, nil
}
