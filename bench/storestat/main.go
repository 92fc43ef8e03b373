// Command storestat says where an SQLite file's bytes go, without the
// sqlite3 shell: the pages of each table and index (the dbstat virtual
// table), and for each table with rows the bytes a row spends on each
// column (its value in the record: text and blob lengths, the integer's
// serial size; NULL costs nothing but the header byte).
//
//	go run ./bench/storestat DB [DB...]
//
// Point it at a bench store (go run ./bench/compare -keep ... keeps them),
// the agent's data/agent.db or the peer's database.
package main

import (
	"database/sql"
	"fmt"
	"log"
	"os"
	"strings"

	_ "modernc.org/sqlite"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("storestat: ")
	if len(os.Args) < 2 {
		log.Fatal("usage: storestat DB [DB...]")
	}
	for _, p := range os.Args[1:] {
		if err := stat(p); err != nil {
			log.Fatalf("%s: %v", p, err)
		}
	}
}

func stat(path string) error {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Printf("# %s\n\n| name | pages | bytes | payload | unused | |\n| --- | ---: | ---: | ---: | ---: | ---: |\n", path)
	rows, err := db.Query(`SELECT name, count(*), sum(pgsize), sum(payload), sum(unused) FROM dbstat GROUP BY name ORDER BY sum(pgsize) DESC`)
	if err != nil {
		return err
	}
	var total int64
	type stat struct {
		name                          string
		pages, bytes, payload, unused int64
	}
	var all []stat
	for rows.Next() {
		var s stat
		if err := rows.Scan(&s.name, &s.pages, &s.bytes, &s.payload, &s.unused); err != nil {
			return err
		}
		all = append(all, s)
		total += s.bytes
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, s := range all {
		fmt.Printf("| %s | %d | %d | %d | %d | %.1f%% |\n", s.name, s.pages, s.bytes, s.payload, s.unused, 100*float64(s.bytes)/float64(total))
	}
	fmt.Printf("| total | | %d | | | |\n\n", total)

	tables, err := strings1(db, `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		return err
	}
	for _, t := range tables {
		var n int64
		if err := db.QueryRow(`SELECT count(*) FROM "` + t + `"`).Scan(&n); err != nil {
			return err
		}
		if n < 1000 {
			continue
		}
		cols, err := strings1(db, `SELECT name FROM pragma_table_info(?)`, t)
		if err != nil {
			return err
		}
		var exprs []string
		for _, c := range cols {
			q := `"` + c + `"`
			exprs = append(exprs, `avg(CASE typeof(`+q+`) WHEN 'text' THEN length(CAST(`+q+` AS BLOB)) WHEN 'blob' THEN length(`+q+`) WHEN 'real' THEN 8
				WHEN 'integer' THEN CASE WHEN `+q+` IN (0, 1) THEN 0 WHEN abs(`+q+`) < 128 THEN 1 WHEN abs(`+q+`) < 32768 THEN 2
				WHEN abs(`+q+`) < 8388608 THEN 3 WHEN abs(`+q+`) < 2147483648 THEN 4 WHEN abs(`+q+`) < 140737488355328 THEN 6 ELSE 8 END ELSE 0 END)`)
		}
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := db.QueryRow(`SELECT ` + strings.Join(exprs, ", ") + ` FROM "` + t + `"`).Scan(ptrs...); err != nil {
			return err
		}
		fmt.Printf("%s: %d rows; bytes a row, by column (the value in the record, not its header byte or the cell's overhead):\n\n| column | bytes a row |\n| --- | ---: |\n", t, n)
		var sum float64
		for i, c := range cols {
			f, _ := vals[i].(float64)
			sum += f
			fmt.Printf("| %s | %.1f |\n", c, f)
		}
		fmt.Printf("| all values | %.1f |\n\n", sum)
		var sample string
		if err := db.QueryRow(`SELECT quote(` + strings.Join(quoted(cols), ") || ', ' || quote(") + `) FROM "` + t + `" LIMIT 1 OFFSET 12345`).Scan(&sample); err == nil {
			fmt.Printf("a row: %s\n\n", sample)
		}
	}
	return nil
}

func quoted(cols []string) []string {
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = `"` + c + `"`
	}
	return q
}

func strings1(db *sql.DB, q string, args ...any) ([]string, error) {
	rows, err := db.Query(q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
