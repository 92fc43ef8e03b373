package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
)

// multiInsert is a multi-row INSERT: with the pure-Go SQLite every statement
// and every bound value costs, so a page is a handful of statements and a
// value common to all rows (the integration, the run, the time) is bound
// once per statement.
type multiInsert struct {
	into   string // INSERT INTO t (cols): the consts' columns, then the rows'
	tail   string // after the statement's SELECT (an ON CONFLICT clause)
	consts []any
	cols   int        // values a row
	cache  *stmtCache // where the full-size statement stays prepared; nil: prepared each time
	// sel, when set, is what the SELECT takes of a row instead of
	// column1..columnN: expressions over them and the consts ({0} the
	// first const).
	sel []string
}

// stmtCache keeps the store's big multi-row statements prepared: SQLite
// parses a 200-row INSERT in about as long as it takes to run it, and a
// run inserts a page at a time. A statement is prepared on the DB, and
// Tx.StmtContext reuses it on each connection it was already prepared on.
type stmtCache struct {
	mu sync.Mutex
	db *sql.DB
	m  map[string]*sql.Stmt
}

func (c *stmtCache) in(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	st := c.m[query]
	if st == nil {
		var err error
		if st, err = c.db.PrepareContext(ctx, query); err != nil {
			c.mu.Unlock()
			return nil, err
		}
		if c.m == nil {
			c.m = map[string]*sql.Stmt{}
		}
		c.m[query] = st
	}
	c.mu.Unlock()
	return tx.StmtContext(ctx, st), nil
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		st.Close()
	}
	c.m = nil
}

// insert inserts the rows whose own values are args (cols a row) and
// returns how many were inserted.
func (r multiInsert) insert(ctx context.Context, tx *sql.Tx, args []any) (int64, error) {
	const perStmt = 200
	var full *sql.Stmt
	defer func() {
		if full != nil {
			full.Close()
		}
	}()
	var inserted int64
	for len(args) > 0 {
		n := min(len(args)/r.cols, perStmt)
		chunk := append(append(make([]any, 0, n*r.cols+len(r.consts)), args[:n*r.cols]...), r.consts...)
		args = args[n*r.cols:]
		var err error
		var res sql.Result
		if n == perStmt {
			if full == nil {
				if r.cache != nil {
					full, err = r.cache.in(ctx, tx, r.sql(n))
				} else {
					full, err = tx.PrepareContext(ctx, r.sql(n))
				}
				if err != nil {
					return inserted, err
				}
			}
			res, err = full.ExecContext(ctx, chunk...)
		} else {
			res, err = tx.ExecContext(ctx, r.sql(n), chunk...)
		}
		if err != nil {
			return inserted, err
		}
		if n, err := res.RowsAffected(); err == nil {
			inserted += n
		}
	}
	return inserted, nil
}

// sql is the statement for n rows. The rows' values are plain ?s; the
// consts come after them, numbered: the driver looks every parameter's
// name up in a list of the named ones, so those must stay few.
func (r multiInsert) sql(n int) string {
	var b strings.Builder
	b.WriteString("WITH v AS (VALUES ")
	row := "(?" + strings.Repeat(",?", r.cols-1) + ")"
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(row)
	}
	b.WriteString(") ")
	b.WriteString(r.into)
	b.WriteString(" SELECT ")
	var consts []string
	for i := range r.consts {
		p := fmt.Sprintf("?%d", n*r.cols+i+1)
		fmt.Fprintf(&b, "%s, ", p)
		consts = append(consts, fmt.Sprintf("{%d}", i), p)
	}
	if r.sel != nil {
		b.WriteString(strings.NewReplacer(consts...).Replace(strings.Join(r.sel, ", ")))
	}
	for i := range r.cols {
		if r.sel != nil {
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "column%d", i+1)
	}
	b.WriteString(" FROM v WHERE true") // WHERE: the parser's cue that ON CONFLICT is an upsert
	b.WriteString(r.tail)
	return b.String()
}
