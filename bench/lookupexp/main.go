// Command lookupexp is an experiment, not a tool: what the no-change
// resync's lookups of 1,000,000 keys cost in the pure-Go SQLite, done as
// the store does them (a page's keys as a JSON array, an index probe a key,
// three integers a record back: store.lookupSQL) and other ways: reading
// the records in rowid order (the source's order on a first sync), with
// the key or with the id and hash only; the probes with one row a page
// back; one scan inside SQLite. It makes a store with a first sync of
// 1,000,000 users (1% inactive) in DIR the first time:
//
//	go run ./bench/lookupexp DIR
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"strconv"
	"time"

	"github.com/agentsync/agent/bench/rig"
	"github.com/agentsync/agent/internal/vendorsim"
	_ "modernc.org/sqlite"
)

func main() {
	n := 1_000_000
	dir := os.Args[1]
	db := dir + "/data/agent.db"
	if _, err := os.Stat(db); err != nil {
		sim, err := rig.StartSim(vendorsim.Config{Users: n, Generation: 1, Churn: vendorsim.Churn{Inactive: 1}})
		if err != nil {
			log.Fatal(err)
		}
		a, err := rig.NewAgent(dir, sim, vendorsim.Integration{})
		if err != nil {
			log.Fatal(err)
		}
		r, err := a.RunInProcess(context.Background())
		log.Printf("first sync %v %+v %v", r.Wall, r.Counts, err)
	}
	d, err := sql.Open("sqlite", "file:"+db+"?mode=ro")
	if err != nil {
		log.Fatal(err)
	}
	d.SetMaxOpenConns(1)
	ctx := context.Background()
	probe := `SELECT (j.key << 3) | (t.status = 'active') | ((t.seen_until IS NULL) << 1) | ((t.created_run IS ?) << 2), t.id, t.data_hash
		FROM json_each(?) j CROSS JOIN people t ON t.integration = ? AND t.key = j.value`
	seq := `SELECT id, key, data_hash, status = 'active', seen_until IS NULL FROM people WHERE id > ? ORDER BY id LIMIT 1000`
	for round := 0; round < 2; round++ {
		start := time.Now()
		found := 0
		for p := 0; p < n; p += 1000 {
			keys := make([]string, 1000)
			for i := range keys {
				keys[i] = "user" + strconv.Itoa(p+i) + "@example.com"
			}
			js, _ := json.Marshal(keys)
			rows, err := d.QueryContext(ctx, probe, "x", string(js), "sim")
			if err != nil {
				log.Fatal(err)
			}
			for rows.Next() {
				var packed, id int64
				var h sql.NullInt64
				rows.Scan(&packed, &id, &h)
				found++
			}
			rows.Close()
		}
		t1 := time.Since(start)
		start = time.Now()
		matched, last := 0, int64(0)
		for p := 0; p < n; p += 1000 {
			keys := make(map[string]int, 1000)
			for i := 0; i < 1000; i++ {
				keys["user"+strconv.Itoa(p+i)+"@example.com"] = i
			}
			rows, err := d.QueryContext(ctx, seq, last)
			if err != nil {
				log.Fatal(err)
			}
			for rows.Next() {
				var id int64
				var key string
				var h sql.NullInt64
				var act, nul bool
				rows.Scan(&id, &key, &h, &act, &nul)
				if _, ok := keys[key]; ok {
					matched++
				}
				last = id
			}
			rows.Close()
		}
		t2 := time.Since(start)
		start = time.Now()
		last, cnt := int64(0), 0
		for p := 0; p < n; p += 1000 {
			rows, err := d.QueryContext(ctx, `SELECT id, data_hash FROM people WHERE id > ? ORDER BY id LIMIT 1000`, last)
			if err != nil {
				log.Fatal(err)
			}
			for rows.Next() {
				var id int64
				var h sql.NullInt64
				rows.Scan(&id, &h)
				last = id
				cnt++
			}
			rows.Close()
		}
		t3 := time.Since(start)
		start = time.Now()
		for p := 0; p < n; p += 1000 {
			keys := make([]string, 1000)
			for i := range keys {
				keys[i] = "user" + strconv.Itoa(p+i) + "@example.com"
			}
			js, _ := json.Marshal(keys)
			var c, h, g int64
			if err := d.QueryRowContext(ctx, `SELECT count(*), sum(t.data_hash & 1), length(group_concat(t.id)) FROM json_each(?) j CROSS JOIN people t ON t.integration = ? AND t.key = j.value`, string(js), "sim").Scan(&c, &h, &g); err != nil {
				log.Fatal(err)
			}
		}
		t5 := time.Since(start)
		fmt.Printf("probe a key, one row a page back (count, hash sum, ids as one text): %v\n", t5)
		for _, q := range []struct{ name, sql string }{
			{"as the store does it (lookupSQL)", `SELECT group_concat(((j.key << 3) | (t.status = 'active') | ((t.seen_until IS NULL) << 1) | ((t.created_run IS ?1) << 2)) || ',' || t.id || ',' || coalesce(t.data_hash, ''), ';')
				FROM json_each(?2) j CROSS JOIN people t ON t.integration = ?3 AND t.key = j.value`},
			{"the first key probed, the others at its id + their place", `SELECT group_concat(((j.key << 3) | (t.status = 'active') | ((t.seen_until IS NULL) << 1) | ((t.created_run IS ?1) << 2)) || ',' || t.id || ',' || coalesce(t.data_hash, ''), ';')
				FROM json_each(?2) j CROSS JOIN people t ON t.id = (SELECT a.id FROM people a WHERE a.integration = ?3 AND a.key = json_extract(?2, '$[0]')) + j.key AND t.key = j.value AND t.integration = ?3`},
		} {
			start = time.Now()
			var total int
			for p := 0; p < n; p += 1000 {
				keys := make([]string, 1000)
				for i := range keys {
					keys[i] = "user" + strconv.Itoa(p+i) + "@example.com"
				}
				js, _ := json.Marshal(keys)
				var got sql.NullString
				if err := d.QueryRowContext(ctx, q.sql, 0, string(js), "sim").Scan(&got); err != nil {
					log.Fatal(err)
				}
				total += len(got.String)
			}
			fmt.Printf("%s: %v (%d bytes back)\n", q.name, time.Since(start), total)
		}
		start = time.Now()
		var agg int64
		if err := d.QueryRowContext(ctx, `SELECT sum(length(key)) + sum(data_hash & 1) FROM people`).Scan(&agg); err != nil {
			log.Fatal(err)
		}
		t4 := time.Since(start)
		fmt.Printf("probe a key: %v (%d found); rowid order: %v (%d matched); rowid order, id and hash only: %v (%d); one scan inside SQLite: %v\n", t1, found, t2, matched, t3, cnt, t4)
	}
}
