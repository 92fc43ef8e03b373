package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// multiInsert is a multi-row INSERT: with the pure-Go SQLite every statement
// and every bound value costs, so a page is a handful of statements and a
// value common to all rows (the integration, the run, the time) is bound
// once per statement.
type multiInsert struct {
	into   string // INSERT INTO t (cols): the consts' columns, then the rows'
	tail   string // after the statement's SELECT (an ON CONFLICT clause)
	consts []any
	cols   int // values a row
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
				if full, err = tx.PrepareContext(ctx, r.sql(n)); err != nil {
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
	for i := range r.consts {
		fmt.Fprintf(&b, "?%d, ", n*r.cols+i+1)
	}
	for i := range r.cols {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "column%d", i+1)
	}
	b.WriteString(" FROM v WHERE true") // WHERE: the parser's cue that ON CONFLICT is an upsert
	b.WriteString(r.tail)
	return b.String()
}
