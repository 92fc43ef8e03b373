// Package store is the agent's embedded state: one SQLite file (agent.db)
// holding people, SaaS users, runs, the change history and the in-app
// inbox. It speaks in records and runs; the sync rules live in the engine.
package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"modernc.org/sqlite" // pure-Go driver: the Windows build needs no cgo
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/agentsync/agent/internal/osdir"
)

// FileName is the database's name inside data_dir.
const FileName = "agent.db"

// Store is an open agent.db. It is safe for concurrent use.
type Store struct {
	db      *sql.DB
	path    string
	stmts   stmtCache
	layouts layouts
}

// Open opens (creating if needed) dir/agent.db, switches it to WAL and
// applies pending migrations.
func Open(ctx context.Context, dir string) (*Store, error) {
	// The folder holds personal data: private (on Windows, SYSTEM and
	// Administrators only, tightened if it was not).
	if err := osdir.MkdirPrivate(dir); err != nil {
		return nil, fmt.Errorf("store: data_dir %s: %w", dir, err)
	}
	path := filepath.Join(dir, FileName)
	// The store is the company's user directory: owner-only. SQLite gives
	// the -wal and -shm files the main file's mode.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	f.Close()
	if err := os.Chmod(path, 0o600); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "busy_timeout(15000)", "synchronous(NORMAL)", "foreign_keys(ON)"} {
		q.Add("_pragma", p)
	}
	// Immediate transactions take the write lock up front, so two writers
	// queue on busy_timeout instead of failing on a lock upgrade.
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(path)+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	s := &Store{db: db, path: path, stmts: stmtCache{db: db}}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: %s: %w", path, err)
	}
	return s, nil
}

// OpenReadOnly opens dir/agent.db to read it only, for the commands that
// only look (runs, notifications, export, and status where it cannot
// write). It creates nothing, migrates nothing and leaves the journal mode
// alone, so it works on a store this user may not write: the service's,
// a read-only mount, a copy. Every write on it fails (mode=ro).
//
// A store that does not exist yet reads as empty. One whose schema is
// older than this agent's is refused with ErrSchemaOld rather than
// upgraded; one that is newer, as Open refuses it.
//
// SQLite reads a WAL store through its -shm file. Where the folder is
// writable, SQLite creates the -wal and -shm files a reader needs (as any
// reader does, owned by the database's owner) and leaves them. Where it is
// not and they do not exist, nothing is waiting in a WAL: the file alone
// is the whole store, and it is opened immutable.
func OpenReadOnly(ctx context.Context, dir string) (*Store, error) {
	path := filepath.Join(dir, FileName)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return openEmpty(ctx, path)
	} else if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	s, err := openReadOnly(ctx, path, false)
	if err != nil && cannotInitWAL(err) {
		if _, werr := os.Lstat(path + "-wal"); errors.Is(werr, fs.ErrNotExist) {
			s, err = openReadOnly(ctx, path, true)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("store: %s (read-only): %w", path, err)
	}
	return s, nil
}

// ErrSchemaOld is OpenReadOnly's answer for a store an older agent wrote:
// a read-only command does not upgrade it.
var ErrSchemaOld = errors.New("the store's schema is older than this agent's")

func openReadOnly(ctx context.Context, path string, immutable bool) (*Store, error) {
	q := url.Values{}
	q.Set("mode", "ro")
	if immutable {
		q.Set("immutable", "1")
	}
	q.Add("_pragma", "busy_timeout(15000)")
	q.Add("_pragma", "query_only(1)")
	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(path)+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	var version int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		db.Close()
		return nil, fmt.Errorf("read schema version: %w", err)
	}
	switch {
	case version > len(migrations):
		db.Close()
		return nil, fmt.Errorf("schema version %d is newer than this agent knows (%d): use a newer agent", version, len(migrations))
	case version < len(migrations):
		db.Close()
		return nil, fmt.Errorf("%w (version %d, this agent's is %d): run `agent run-now` or start the service once, as the user that owns the store, to upgrade it", ErrSchemaOld, version, len(migrations))
	}
	return &Store{db: db, path: path, stmts: stmtCache{db: db}}, nil
}

// openEmpty is OpenReadOnly's store where none exists yet: an empty one in
// memory, with the schema, so the commands show "never ran" instead of an
// error, and nothing is created on disk.
func openEmpty(ctx context.Context, path string) (*Store, error) {
	db, err := sql.Open("sqlite", "file::memory:")
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	db.SetMaxOpenConns(1) // each connection to :memory: is a database of its own
	s := &Store{db: db, path: path, stmts: stmtCache{db: db}}
	if err := s.migrate(ctx); err == nil {
		_, err = db.ExecContext(ctx, "PRAGMA query_only = 1")
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store: empty store: %w", err)
	}
	return s, nil
}

// cannotInitWAL reports the errors of a WAL store opened read-only where
// SQLite cannot create its -wal and -shm files (a read-only folder).
func cannotInitWAL(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && (se.Code()&0xff == sqlite3.SQLITE_CANTOPEN || se.Code()&0xff == sqlite3.SQLITE_READONLY)
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Close closes the database.
func (s *Store) Close() error {
	s.stmts.close()
	return s.db.Close()
}

// Ping reads the database's schema: a cheap proof that the file is
// there and readable, for readiness checks.
func (s *Store) Ping(ctx context.Context) error {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema`).Scan(&n); err != nil {
		return fmt.Errorf("store: %s: %w", s.path, err)
	}
	return nil
}

// IntegrityCheck runs PRAGMA integrity_check and returns its verdict as an
// error when it is not "ok".
func (s *Store) IntegrityCheck(ctx context.Context) error {
	var res string
	if err := s.db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&res); err != nil {
		return fmt.Errorf("store: integrity check: %w", err)
	}
	if res != "ok" {
		return fmt.Errorf("store: integrity check: %s", res)
	}
	return nil
}

// migrations are applied in order; PRAGMA user_version records how many
// have run. Append only: never edit a migration that has shipped.
var migrations = []string{
	// 1: the first schema.
	`
CREATE TABLE runs (
	id              TEXT PRIMARY KEY,
	integration     TEXT NOT NULL,
	trigger_kind    TEXT NOT NULL,
	started_at      TEXT NOT NULL,
	finished_at     TEXT,
	outcome         TEXT NOT NULL,
	error           TEXT NOT NULL DEFAULT '',
	counts          TEXT NOT NULL DEFAULT '{}',
	saas_counts     TEXT,
	credential_name TEXT NOT NULL DEFAULT ''
);
CREATE INDEX runs_by_integration ON runs(integration, started_at);

-- seen_until: NULL = seen by the integration's latest successful run;
-- '' = never seen by a successful run; else the id of the last successful
-- run that saw it. Kept lazily so an unchanged record costs no write.
-- (Migration 3 adds created_run; see there.)
CREATE TABLE people (
	integration    TEXT NOT NULL,
	key            TEXT NOT NULL,
	username       TEXT NOT NULL DEFAULT '',
	email          TEXT NOT NULL DEFAULT '',
	data           TEXT NOT NULL,
	status         TEXT NOT NULL,
	deactivated_at TEXT,
	seen_until     TEXT,
	created_at     TEXT NOT NULL,
	updated_at     TEXT NOT NULL,
	PRIMARY KEY (integration, key)
) WITHOUT ROWID;

CREATE TABLE saas_users (
	integration    TEXT NOT NULL,
	application    TEXT NOT NULL,
	key            TEXT NOT NULL,
	username       TEXT NOT NULL DEFAULT '',
	email          TEXT NOT NULL DEFAULT '',
	data           TEXT NOT NULL,
	status         TEXT NOT NULL,
	deactivated_at TEXT,
	seen_until     TEXT,
	created_at     TEXT NOT NULL,
	updated_at     TEXT NOT NULL,
	PRIMARY KEY (integration, application, key)
) WITHOUT ROWID;

CREATE TABLE changes (
	id          INTEGER PRIMARY KEY,
	run_id      TEXT NOT NULL,
	integration TEXT NOT NULL,
	kind        TEXT NOT NULL,
	application TEXT NOT NULL DEFAULT '',
	key         TEXT NOT NULL,
	field       TEXT NOT NULL,
	old         TEXT,
	new         TEXT,
	at          TEXT NOT NULL
);
CREATE INDEX changes_by_record ON changes(integration, kind, key);
CREATE INDEX changes_by_run ON changes(run_id);

CREATE TABLE notifications (
	id           INTEGER PRIMARY KEY,
	created_at   TEXT NOT NULL,
	integration  TEXT NOT NULL,
	event        TEXT NOT NULL,
	subject      TEXT NOT NULL,
	body         TEXT NOT NULL,
	recipients   TEXT NOT NULL DEFAULT '[]',
	email_status TEXT NOT NULL DEFAULT 'none',
	email_error  TEXT NOT NULL DEFAULT '',
	attempts     INTEGER NOT NULL DEFAULT 0,
	delivered_at TEXT,
	read_at      TEXT
);
`,
	// 2: e-mail retries, open incidents (one message per event), and since
	// when each integration has been on its schedule (missed runs).
	`
ALTER TABLE notifications ADD COLUMN next_attempt_at TEXT;

CREATE TABLE incidents (
	integration TEXT NOT NULL,
	key         TEXT NOT NULL,
	opened_at   TEXT NOT NULL,
	PRIMARY KEY (integration, key)
) WITHOUT ROWID;

CREATE TABLE schedules (
	integration TEXT PRIMARY KEY,
	spec        TEXT NOT NULL,
	since       TEXT NOT NULL
) WITHOUT ROWID;
`,
	// 3: the run that created a record. Creations start as seen by the
	// latest success (seen_until NULL), so a first sync rewrites nothing
	// at commit; a run that fails or dies marks its creations unseen.
	`
ALTER TABLE people ADD COLUMN created_run TEXT;
ALTER TABLE saas_users ADD COLUMN created_run TEXT;
`,
	// 4: no query reads the history by run; its index only cost a B-tree
	// insert per history row.
	`
DROP INDEX IF EXISTS changes_by_run;
`,
	// 5: a hash of each record's data, so a resync compares eight bytes
	// instead of reading every stored record back.
	`
ALTER TABLE people ADD COLUMN data_hash INTEGER;
ALTER TABLE saas_users ADD COLUMN data_hash INTEGER;
`,
	// 6: records get an integer id. A run keeps the ids it saw in a bitmap
	// (an eighth of a byte a record) instead of a TEMP row per key, the
	// key lookup is a narrow index, and a creation appends to the table.
	// username and email were never read: they are in data. A creation
	// leaves updated_at NULL.
	`
CREATE TABLE people_v6 (
	id             INTEGER PRIMARY KEY,
	integration    TEXT NOT NULL,
	key            TEXT NOT NULL,
	data           TEXT NOT NULL,
	data_hash      INTEGER,
	status         TEXT NOT NULL,
	deactivated_at TEXT,
	seen_until     TEXT,
	created_run    TEXT,
	created_at     TEXT NOT NULL,
	updated_at     TEXT -- NULL: not changed since its creation
);
INSERT INTO people_v6 (integration, key, data, data_hash, status, deactivated_at, seen_until, created_run, created_at, updated_at)
	SELECT integration, key, data, data_hash, status, deactivated_at, seen_until, created_run, created_at, updated_at
	FROM people ORDER BY integration, key;
DROP TABLE people;
ALTER TABLE people_v6 RENAME TO people;
CREATE UNIQUE INDEX people_by_key ON people(integration, key);

CREATE TABLE saas_users_v6 (
	id             INTEGER PRIMARY KEY,
	integration    TEXT NOT NULL,
	application    TEXT NOT NULL,
	key            TEXT NOT NULL,
	data           TEXT NOT NULL,
	data_hash      INTEGER,
	status         TEXT NOT NULL,
	deactivated_at TEXT,
	seen_until     TEXT,
	created_run    TEXT,
	created_at     TEXT NOT NULL,
	updated_at     TEXT -- NULL: not changed since its creation
);
INSERT INTO saas_users_v6 (integration, application, key, data, data_hash, status, deactivated_at, seen_until, created_run, created_at, updated_at)
	SELECT integration, application, key, data, data_hash, status, deactivated_at, seen_until, created_run, created_at, updated_at
	FROM saas_users ORDER BY integration, application, key;
DROP TABLE saas_users;
ALTER TABLE saas_users_v6 RENAME TO saas_users;
CREATE UNIQUE INDEX saas_users_by_key ON saas_users(integration, application, key);
`,
	// 7: what each destination has been given of each integration (see
	// outbox.go). The queue is three ranges of ids per pair, not a row per
	// change: record and change ids only grow.
	`
CREATE TABLE deliveries (
	destination       TEXT NOT NULL,
	integration       TEXT NOT NULL,
	snapshot          INTEGER NOT NULL DEFAULT 1,
	queued_change     INTEGER NOT NULL DEFAULT 0,
	queued_person     INTEGER NOT NULL DEFAULT 0,
	queued_saas       INTEGER NOT NULL DEFAULT 0,
	acked_change      INTEGER NOT NULL DEFAULT 0,
	acked_person      INTEGER NOT NULL DEFAULT 0,
	acked_saas        INTEGER NOT NULL DEFAULT 0,
	queued_run        TEXT NOT NULL DEFAULT '',
	queued_at         TEXT,
	last_delivered_at TEXT,
	last_error        TEXT NOT NULL DEFAULT '',
	failing_since     TEXT,
	PRIMARY KEY (destination, integration)
) WITHOUT ROWID;
`,
	// 8 (the status page: a run's history): each run keeps where the three
	// id sequences stood when it started and when it ended, so its changes
	// and creations are a rowid range read (see history.go) instead of a
	// per-row index on run ids (migration 4). Existing runs get the ends
	// of what they wrote, once, here; a run that wrote nothing gets an
	// empty range; a run still going keeps no end.
	`
ALTER TABLE runs ADD COLUMN from_change INTEGER;
ALTER TABLE runs ADD COLUMN from_person INTEGER;
ALTER TABLE runs ADD COLUMN from_saas   INTEGER;
ALTER TABLE runs ADD COLUMN to_change   INTEGER;
ALTER TABLE runs ADD COLUMN to_person   INTEGER;
ALTER TABLE runs ADD COLUMN to_saas     INTEGER;
UPDATE runs SET from_change = g.lo - 1, to_change = g.hi
	FROM (SELECT run_id, min(id) AS lo, max(id) AS hi FROM changes GROUP BY run_id) AS g WHERE g.run_id = runs.id;
UPDATE runs SET from_person = g.lo - 1, to_person = g.hi
	FROM (SELECT created_run, min(id) AS lo, max(id) AS hi FROM people WHERE created_run IS NOT NULL GROUP BY created_run) AS g
	WHERE g.created_run = runs.id;
UPDATE runs SET from_saas = g.lo - 1, to_saas = g.hi
	FROM (SELECT created_run, min(id) AS lo, max(id) AS hi FROM saas_users WHERE created_run IS NOT NULL GROUP BY created_run) AS g
	WHERE g.created_run = runs.id;
UPDATE runs SET
	from_change = coalesce(from_change, (SELECT coalesce(max(id), 0) FROM changes)),
	from_person = coalesce(from_person, (SELECT coalesce(max(id), 0) FROM people)),
	from_saas   = coalesce(from_saas, (SELECT coalesce(max(id), 0) FROM saas_users));
UPDATE runs SET to_change = coalesce(to_change, from_change), to_person = coalesce(to_person, from_person),
	to_saas = coalesce(to_saas, from_saas) WHERE outcome <> 'running';
UPDATE runs SET to_change = NULL, to_person = NULL, to_saas = NULL WHERE outcome = 'running';
`,
	// 9 (push ingest): the event and actor a push names (?event=, ?actor=).
	// They belong to the run, which is the push; the change history
	// reads them through its run_id. Empty for every other run.
	`
ALTER TABLE runs ADD COLUMN event TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN actor TEXT NOT NULL DEFAULT '';
`,
	// 10 (SaaS discovery, seeds 003 and 000): the catalogue of SaaS
	// applications, invoices (spend) and contracts. The shape is people's
	// (schema 6): an integer id, the key index, the mapped fields as
	// canonical JSON in data (amounts as decimal text, never floats).
	forEachTable(`
CREATE TABLE {table} (
	id             INTEGER PRIMARY KEY,
	integration    TEXT NOT NULL,
	key            TEXT NOT NULL,
	data           TEXT NOT NULL,
	data_hash      INTEGER,
	status         TEXT NOT NULL,
	deactivated_at TEXT,
	seen_until     TEXT,
	created_run    TEXT,
	created_at     TEXT NOT NULL,
	updated_at     TEXT
);
CREATE UNIQUE INDEX {table}_by_key ON {table}(integration, key);
`, "applications", "invoices", "contracts"),
	// 11 (issue 15): the number of active records of each scope
	// (integration, kind, and for SaaS users the application), kept in the
	// transaction of every write that changes a status, so that the end of
	// a run knows without a scan whether everybody active was listed
	// (counts.go). A scope with no row has none. The partial indexes hold
	// the inactive records the latest successful run saw (seen_until
	// NULL): a run that did not list one of them records that it was not
	// seen, and finds them there instead of in a scan of the whole scope.
	`
CREATE TABLE active_counts (
	integration TEXT NOT NULL,
	kind        TEXT NOT NULL,
	application TEXT NOT NULL,
	active      INTEGER NOT NULL,
	PRIMARY KEY (integration, kind, application)
) WITHOUT ROWID;
INSERT INTO active_counts (integration, kind, application, active)
	SELECT integration, 'saas_user', application, count(*) FROM saas_users WHERE status = 'active' GROUP BY integration, application;
CREATE INDEX saas_users_seen_inactive ON saas_users(integration, application) WHERE status = 'inactive' AND seen_until IS NULL;
` + forEachTable(`
INSERT INTO active_counts (integration, kind, application, active)
	SELECT integration, '{kind}', '', count(*) FROM {table} WHERE status = 'active' GROUP BY integration;
CREATE INDEX {table}_seen_inactive ON {table}(integration) WHERE status = 'inactive' AND seen_until IS NULL;
`, "people", "applications", "invoices", "contracts"),
	// 12 (rosters across applications): the catalogue's renames, found by
	// the old name, so that a roster's accounts follow their application
	// to its new name (Store.RenamedApplications). Only those history
	// rows are in it.
	`
CREATE INDEX changes_application_renames ON changes(old) WHERE kind = 'application' AND field = 'name';
`,
	// 13 (issue 15): a slimmer record, about 180 bytes instead of 310. A
	// run gets a number (num), which its records name in created_run
	// instead of its 25-byte id. Times on records are milliseconds since
	// 1970 (integers: a deactivation no longer grows the row by 30 bytes
	// and splits its page). data is stored by position against a layout
	// (layout.go); migrate13 rewrites each record table that way.
	`
ALTER TABLE runs ADD COLUMN num INTEGER;
UPDATE runs SET num = rowid;
CREATE UNIQUE INDEX runs_by_num ON runs(num);
CREATE TABLE layouts (
	id   INTEGER PRIMARY KEY,
	spec TEXT NOT NULL UNIQUE
);
` + forEachTable(`
CREATE TABLE {table}_v13 (
	id             INTEGER PRIMARY KEY,
	integration    TEXT NOT NULL,{application}
	key            TEXT NOT NULL,
	layout         INTEGER NOT NULL,
	data           TEXT NOT NULL,
	data_hash      INTEGER,
	status         TEXT NOT NULL,
	deactivated_at INTEGER,
	seen_until     TEXT,
	created_run    INTEGER,
	created_at     INTEGER NOT NULL,
	updated_at     INTEGER
);
`, "people", "saas_users", "applications", "invoices", "contracts"),
}

// goMigrations are the steps of a migration that SQL alone does not do,
// run after its SQL in the same transaction.
var goMigrations = map[int]func(context.Context, *sql.Tx) error{
	13: migrate13,
}

// migrate13 copies each record table into its schema 13 form (created by
// the migration's SQL), a chunk of rows at a time, keeping every id.
func migrate13(ctx context.Context, tx *sql.Tx) error {
	var ls layouts
	pending := map[string]int64{}
	var p Packer
	for _, k := range Kinds {
		t := k.table()
		app, appCol, cols := "", "", 12
		if k == SaaSUser {
			app, appCol, cols = "application, ", "application, ", 13
		}
		ins := multiInsert{
			into: `INSERT INTO ` + t + `_v13 (id, integration, ` + appCol + `key, layout, data, data_hash, status, deactivated_at, seen_until, created_run, created_at, updated_at)`,
			cols: cols,
		}
		var after int64
		for {
			rows, err := tx.QueryContext(ctx, `SELECT id, integration, `+app+`key, data, data_hash, status, `+msSQL("deactivated_at")+`, seen_until,
				(SELECT num FROM runs WHERE runs.id = t.created_run), coalesce(`+msSQL("created_at")+`, 0), `+msSQL("updated_at")+`
				FROM `+t+` t WHERE id > ? ORDER BY id LIMIT 5000`, after)
			if err != nil {
				return fmt.Errorf("%s: %w", t, err)
			}
			var args []any
			for rows.Next() {
				var id int64
				var integration, application, key, data, status string
				var hash, deact, createdRun, updated sql.NullInt64
				var seen sql.NullString
				var created int64
				dest := []any{&id, &integration, &key, &data, &hash, &status, &deact, &seen, &createdRun, &created, &updated}
				if k == SaaSUser {
					dest = append(dest[:2], append([]any{&application}, dest[2:]...)...)
				}
				if err := rows.Scan(dest...); err != nil {
					rows.Close()
					return fmt.Errorf("%s: %w", t, err)
				}
				lid, packed := int64(rawLayout), data
				if pk := p.Pack([]byte(data), key); pk.l != nil {
					if lid, err = ls.id(ctx, tx, pk.l, pending); err != nil {
						rows.Close()
						return err
					}
					packed = pk.data
				}
				args = append(args, id, integration)
				if k == SaaSUser {
					args = append(args, application)
				}
				args = append(args, key, lid, packed, hash, status, deact, seen, createdRun, created, updated)
				after = id
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return fmt.Errorf("%s: %w", t, err)
			}
			if len(args) == 0 {
				break
			}
			if _, err := ins.insert(ctx, tx, args); err != nil {
				return fmt.Errorf("%s: %w", t, err)
			}
		}
	}
	_, err := tx.ExecContext(ctx, forEachTable(`
DROP TABLE {table};
ALTER TABLE {table}_v13 RENAME TO {table};
CREATE UNIQUE INDEX {table}_by_key ON {table}(integration, {application_}key);
CREATE INDEX {table}_seen_inactive ON {table}(integration{_application}) WHERE status = 'inactive' AND seen_until IS NULL;
`, "people", "saas_users", "applications", "invoices", "contracts"))
	return err
}

// msSQL converts a stored time's text (timeText) to milliseconds since
// 1970, NULL staying NULL.
func msSQL(col string) string {
	return `CAST(round((julianday(` + col + `) - 2440587.5) * 86400000.0) AS INTEGER)`
}

// textSQL is msSQL's inverse: milliseconds as timeText's fixed-width text,
// for the history, which sorts a record's creation among the changes.
func textSQL(col string) string {
	return `(strftime('%Y-%m-%dT%H:%M:%S', ` + col + ` / 1000, 'unixepoch') || printf('.%03d000000Z', ` + col + ` % 1000))`
}

// forEachTable repeats a migration's statements for each table, {table}
// standing for the table and {kind} for its kind.
func forEachTable(sql string, tables ...string) string {
	kinds := map[string]Kind{}
	for k, n := range kindNames {
		kinds[n.table] = k
	}
	var b strings.Builder
	for _, t := range tables {
		app, app_, _app := "", "", ""
		if t == "saas_users" {
			app, app_, _app = "\n\tapplication    TEXT NOT NULL,", "application, ", ", application"
		}
		b.WriteString(strings.NewReplacer("{table}", t, "{kind}", string(kinds[t]), "{application}", app,
			"{application_}", app_, "{_application}", _app).Replace(sql))
	}
	return b.String()
}

func (s *Store) migrate(ctx context.Context) error {
	conn, err := s.firstConn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	first, rewrote := 0, false
	for {
		version, err := migrateOne(ctx, conn)
		if err != nil {
			return err
		}
		if version == 0 {
			break
		}
		first = cmp.Or(first, version)
		rewrote = rewrote || version == 13
	}
	if rewrote && first > 1 { // not a new store
		// Migration 13 left the old record tables' pages free in the
		// file, as big as the store was: give them back (an upgrade
		// should not double the file). Should it fail (no room for its
		// temporary copy), the store is whole all the same, and its
		// free pages take the next writes.
		_, _ = conn.ExecContext(ctx, `VACUUM`)
	}
	return nil
}

// firstConn opens the first connection. Its journal_mode pragma switches
// a new store to WAL, which needs an exclusive lock and does not wait on
// busy_timeout: a second process creating the store at the same moment
// gets SQLITE_BUSY. That one waits and tries again, up to busy_timeout.
func (s *Store) firstConn(ctx context.Context) (*sql.Conn, error) {
	deadline := time.Now().Add(15 * time.Second)
	for {
		conn, err := s.db.Conn(ctx)
		var se *sqlite.Error
		if err == nil || !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return conn, err
		}
		select {
		case <-time.After(20 * time.Millisecond):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// migrateOne applies the next pending migration and returns its version,
// 0 when none was pending. The version is read inside the write
// transaction (immediate), so two processes opening a new store at once
// cannot both apply the same migration.
func migrateOne(ctx context.Context, conn *sql.Conn) (applied int, err error) {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var version int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	switch {
	case version > len(migrations):
		return 0, fmt.Errorf("schema version %d is newer than this agent knows (%d): use a newer agent", version, len(migrations))
	case version == len(migrations):
		return 0, nil
	}
	if _, err := tx.ExecContext(ctx, migrations[version]); err != nil {
		return 0, fmt.Errorf("migration %d: %w", version+1, err)
	}
	if step := goMigrations[version+1]; step != nil {
		if err := step(ctx, tx); err != nil {
			return 0, fmt.Errorf("migration %d: %w", version+1, err)
		}
	}
	// PRAGMA takes no parameters; version+1 is our own integer.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", version+1)); err != nil {
		return 0, fmt.Errorf("migration %d: %w", version+1, err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("migration %d: %w", version+1, err)
	}
	return version + 1, nil
}

// timeText renders times the one way the store keeps them.
// Fixed width, so that the text sorts as the time does (ORDER BY).
func timeText(t time.Time) string { return t.UTC().Format(storeTime) }

const storeTime = "2006-01-02T15:04:05.000000000Z07:00"

func parseTime(s sql.NullString) time.Time {
	if !s.Valid || s.String == "" {
		return time.Time{}
	}
	t, _ := time.Parse(time.RFC3339Nano, s.String)
	return t
}

// msTime is a record's time (milliseconds since 1970, schema 13).
func msTime(ms sql.NullInt64) time.Time {
	if !ms.Valid {
		return time.Time{}
	}
	return time.UnixMilli(ms.Int64).UTC()
}

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")
