package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// A record's data is stored by position (schema 13): the values of its
// canonical JSON object as a JSON array, the field names kept once per
// distinct set in the layouts table, and the value that repeats the
// record's key left out. A person then costs its values, not the names,
// the punctuation and the key a second time (about 70 of 123 bytes).
// Readers get the canonical object back byte for byte (unpack), so hashes,
// diffs and exports see what they always saw.

// layout is one set of field names.
type layout struct {
	names  []string // JSON-quoted, in the object's (sorted) order
	fields []string // the same, unquoted
	key    int      // the field whose value is the record's key, not stored; -1: none
}

// rawLayout is data kept as the JSON object itself: only what an older
// store held that is not a canonical object of strings.
const rawLayout = 0

func (l *layout) spec() string {
	return `{"key":` + strconv.Itoa(l.key) + `,"fields":[` + strings.Join(l.names, ",") + `]}`
}

func parseSpec(spec string) (*layout, error) {
	var v struct {
		Key    int
		Fields []json.RawMessage
	}
	if err := json.Unmarshal([]byte(spec), &v); err != nil {
		return nil, err
	}
	l := &layout{key: v.Key}
	for _, raw := range v.Fields {
		var f string
		if err := json.Unmarshal(raw, &f); err != nil {
			return nil, err
		}
		l.names = append(l.names, string(raw))
		l.fields = append(l.fields, f)
	}
	if l.key < -1 || l.key >= len(l.names) {
		return nil, fmt.Errorf("key field %d of %d", l.key, len(l.names))
	}
	return l, nil
}

// jsonString returns the JSON string that starts data[i] and where it
// ends; false when there is none, or it holds a raw control character or
// an escape JSON does not have (never in canonical text).
func jsonString[T ~string | ~[]byte](data T, i int) (T, int, bool) {
	if i >= len(data) || data[i] != '"' {
		return data[:0], i, false
	}
	for j := i + 1; j < len(data); j++ {
		switch c := data[j]; {
		case c == '\\':
			if j++; j >= len(data) {
				return data[:0], i, false
			}
			switch data[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if j+4 >= len(data) {
					return data[:0], i, false
				}
				for _, h := range []byte(data[j+1 : j+5]) {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return data[:0], i, false
					}
				}
				j += 4
			default:
				return data[:0], i, false
			}
		case c == '"':
			return data[i : j+1], j + 1, true
		case c < 0x20:
			return data[:0], i, false
		}
	}
	return data[:0], i, false
}

// splitObject reads a canonical object of strings into its names and
// values, JSON-quoted, appending to the slices given.
func splitObject(data []byte, names, values [][]byte) ([][]byte, [][]byte, bool) {
	if len(data) < 2 || data[0] != '{' {
		return names, values, false
	}
	if string(data) == "{}" {
		return names, values, true
	}
	i := 1
	for {
		var n, v []byte
		var ok bool
		if n, i, ok = jsonString(data, i); !ok || i >= len(data) || data[i] != ':' {
			return names, values, false
		}
		if v, i, ok = jsonString(data, i+1); !ok || i >= len(data) {
			return names, values, false
		}
		names, values = append(names, n), append(values, v)
		switch {
		case data[i] == '}' && i == len(data)-1:
			return names, values, true
		case data[i] != ',':
			return names, values, false
		}
		i++
	}
}

// keyField is the index of the first value that is the key, JSON-quoted
// as is (a key with a backslash is never left out: its quoted form could
// read back otherwise), or -1.
func keyField(values [][]byte, key string) int {
	if strings.IndexByte(key, '\\') >= 0 {
		return -1
	}
	for i, v := range values {
		if len(v) == len(key)+2 && string(v[1:len(v)-1]) == key {
			return i
		}
	}
	return -1
}

// Packer packs records' data, remembering the layout it met last (a
// page's records mostly share one). The engine packs ahead of the store,
// in its mapping goroutine (Write.Packed), so that the write transaction
// does not parse the data again; the store packs what comes unpacked.
type Packer struct {
	names, values [][]byte
	buf           []byte
	last          *layout
}

// Packed is a record's data as the store keeps it: its layout and its
// values. The zero value is "not packed".
type Packed struct {
	l    *layout
	data string
}

// Ok is whether the data was packed.
func (p Packed) Ok() bool { return p.l != nil }

// Pack packs canonical data (engine.canonical's: a JSON object of strings,
// sorted) of the record with key. Other data is left for the store to
// keep raw: the zero Packed.
func (p *Packer) Pack(data []byte, key string) Packed {
	var ok bool
	p.names, p.values, ok = splitObject(data, p.names[:0], p.values[:0])
	if !ok {
		return Packed{}
	}
	k := keyField(p.values, key)
	p.buf = append(p.buf[:0], '[')
	for i, v := range p.values {
		if i == k {
			continue
		}
		if len(p.buf) > 1 {
			p.buf = append(p.buf, ',')
		}
		p.buf = append(p.buf, v...)
	}
	p.buf = append(p.buf, ']')
	if p.last == nil || p.last.key != k || !sameNames(p.last.names, p.names) {
		l := &layout{key: k, names: make([]string, len(p.names))}
		for i, n := range p.names {
			l.names[i] = string(n)
		}
		p.last = l
	}
	return Packed{l: p.last, data: string(p.buf)}
}

func sameNames(a []string, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != string(b[i]) {
			return false
		}
	}
	return true
}

// unpack is pack's inverse: the canonical object of a record with key.
// Its errors name no value: a record's data is personal.
func unpack(l *layout, key, packed string) (string, error) {
	if l == nil {
		return packed, nil
	}
	var b strings.Builder
	b.Grow(len(packed) + len(key) + 16*len(l.names))
	b.WriteByte('{')
	if len(packed) < 2 || packed[0] != '[' || packed[len(packed)-1] != ']' {
		return "", errors.New("not an array")
	}
	i := 1
	for f, name := range l.names {
		if f > 0 {
			b.WriteByte(',')
		}
		b.WriteString(name)
		b.WriteByte(':')
		if f == l.key {
			b.WriteByte('"')
			b.WriteString(key)
			b.WriteByte('"')
			continue
		}
		if i > 1 {
			if i >= len(packed) || packed[i] != ',' {
				return "", fmt.Errorf("%d values for %d fields", f, len(l.names))
			}
			i++
		}
		v, j, ok := jsonString(packed, i)
		if !ok {
			return "", fmt.Errorf("%d values for %d fields", f, len(l.names))
		}
		b.WriteString(v)
		i = j
	}
	if i != len(packed)-1 && !(i == 1 && packed == "[]") {
		return "", fmt.Errorf("more values than the %d fields", len(l.names))
	}
	b.WriteByte('}')
	return b.String(), nil
}

// layouts is the store's copy of the layouts table: ids only grow, and a
// layout never changes, so it is read again only for an id it lacks.
type layouts struct {
	mu     sync.Mutex
	byID   map[int64]*layout
	bySpec map[string]int64
}

// load reads every layout through q.
func (c *layouts) load(ctx context.Context, q querier) error {
	rows, err := q.QueryContext(ctx, `SELECT id, spec FROM layouts`)
	if err != nil {
		return fmt.Errorf("store: layouts: %w", err)
	}
	defer rows.Close()
	byID, bySpec := map[int64]*layout{}, map[string]int64{}
	for rows.Next() {
		var id int64
		var spec string
		if err := rows.Scan(&id, &spec); err != nil {
			return fmt.Errorf("store: layouts: %w", err)
		}
		l, err := parseSpec(spec)
		if err != nil {
			return fmt.Errorf("store: layout %d: %w", id, err)
		}
		byID[id], bySpec[spec] = l, id
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: layouts: %w", err)
	}
	c.mu.Lock()
	c.byID, c.bySpec = byID, bySpec
	c.mu.Unlock()
	return nil
}

// get returns layout id (nil for rawLayout), reading the table again
// through q when it is not known yet (another process wrote it).
func (c *layouts) get(ctx context.Context, q querier, id int64) (*layout, error) {
	if id == rawLayout {
		return nil, nil
	}
	c.mu.Lock()
	l := c.byID[id]
	c.mu.Unlock()
	if l != nil {
		return l, nil
	}
	if err := c.load(ctx, q); err != nil {
		return nil, err
	}
	c.mu.Lock()
	l = c.byID[id]
	c.mu.Unlock()
	if l == nil {
		return nil, fmt.Errorf("store: layout %d is not in the store", id)
	}
	return l, nil
}

// id returns the id of l, adding it to the table inside tx when it is
// new. The copy learns it only once tx commits (learn): a rolled-back
// layout must not be taken as stored.
func (c *layouts) id(ctx context.Context, tx *sql.Tx, l *layout, pending map[string]int64) (int64, error) {
	spec := l.spec()
	c.mu.Lock()
	id, ok := c.bySpec[spec]
	c.mu.Unlock()
	if ok {
		return id, nil
	}
	if id, ok := pending[spec]; ok {
		return id, nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO layouts (spec) VALUES (?) ON CONFLICT (spec) DO NOTHING`, spec); err != nil {
		return 0, fmt.Errorf("store: layout: %w", err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT id FROM layouts WHERE spec = ?`, spec).Scan(&id); err != nil {
		return 0, fmt.Errorf("store: layout: %w", err)
	}
	pending[spec] = id
	return id, nil
}

// learn adds the layouts a committed transaction stored.
func (c *layouts) learn(pending map[string]int64) {
	if len(pending) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byID == nil {
		c.byID, c.bySpec = map[int64]*layout{}, map[string]int64{}
	}
	for spec, id := range pending {
		l, err := parseSpec(spec)
		if err != nil {
			continue // never: spec is layout.spec's
		}
		c.byID[id], c.bySpec[spec] = l, id
	}
}

// fieldSQL is, for each name, an SQL expression for that mapped field of
// the record alias (a table or its alias) stands for, as
// json_extract(data, '$.name') was on the JSON object: its text, or NULL
// when the record has no such field. The layouts q holds now are spelled
// out; one stored since (another process's records) is read from the
// table.
func (c *layouts) fieldSQL(ctx context.Context, q querier, alias string, names ...string) ([]string, error) {
	if err := c.load(ctx, q); err != nil {
		return nil, err
	}
	col := func(c string) string { return alias + "." + c }
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, len(names))
	for n, name := range names {
		path, err := json.Marshal(name)
		if err != nil {
			return nil, err
		}
		var b strings.Builder
		fmt.Fprintf(&b, "CASE %s WHEN %d THEN json_extract(%s, %s)", col("layout"), rawLayout, col("data"), sqlQuote("$."+string(path)))
		for id, l := range c.byID {
			pos := 0
			for i, f := range l.fields {
				if f == name {
					if i == l.key {
						fmt.Fprintf(&b, " WHEN %d THEN %s", id, col("key"))
					} else {
						fmt.Fprintf(&b, " WHEN %d THEN json_extract(%s, '$[%d]')", id, col("data"), pos)
					}
					break
				}
				if i != l.key {
					pos++
				}
			}
		}
		// A layout stored after the load (another process's records) is
		// read from the table: slower, and only for those records.
		lit := sqlQuote(name)
		fmt.Fprintf(&b, ` ELSE (SELECT CASE WHEN f.key = k.v THEN %[1]s ELSE json_extract(%[2]s, '$[' || (f.key - (k.v >= 0 AND f.key > k.v)) || ']') END
			FROM layouts l, json_each(l.spec, '$.fields') f, (SELECT json_extract(l2.spec, '$.key') AS v FROM layouts l2 WHERE l2.id = %[3]s) k
			WHERE l.id = %[3]s AND f.value = %[4]s)`, col("key"), col("data"), col("layout"), lit)
		b.WriteString(" END")
		out[n] = b.String()
	}
	return out, nil
}

// sqlQuote is s as an SQL string literal.
func sqlQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
