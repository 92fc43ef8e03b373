package store

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// Packing keeps a record's values by position and leaves out the one that
// repeats its key; unpacking gives the canonical object back byte for
// byte. What is not a canonical object of strings is kept raw.
func TestPackUnpack(t *testing.T) {
	tests := []struct {
		name, data, key string
		ok              bool
		spec, packed    string
	}{
		{"the key left out", `{"email":"a@x","name":"Ann","username":"ann"}`, "ann", true,
			`{"key":2,"fields":["email","name","username"]}`, `["a@x","Ann"]`},
		{"the key nowhere", `{"email":"a@x","name":"Ann"}`, "ann", true,
			`{"key":-1,"fields":["email","name"]}`, `["a@x","Ann"]`},
		{"the key twice: the first left out", `{"email":"ann","username":"ann"}`, "ann", true,
			`{"key":0,"fields":["email","username"]}`, `["ann"]`},
		{"only the key", `{"username":"ann"}`, "ann", true, `{"key":0,"fields":["username"]}`, `[]`},
		{"empty", `{}`, "ann", true, `{"key":-1,"fields":[]}`, `[]`},
		{"empty values", `{"a":"","b":""}`, "", true, `{"key":0,"fields":["a","b"]}`, `[""]`},
		{"escapes kept as they are", `{"a":"say \"hi\"\n","b":"\u00e9\\","c":"é"}`, "x", true,
			`{"key":-1,"fields":["a","b","c"]}`, `["say \"hi\"\n","\u00e9\\","é"]`},
		{"a key with a backslash is kept", `{"a":"x\\y"}`, `x\\y`, true, `{"key":-1,"fields":["a"]}`, `["x\\y"]`},
		{"a key whose quoted form is another value", `{"a":"x\\y"}`, `x\y`, true, `{"key":-1,"fields":["a"]}`, `["x\\y"]`},
		{"a key with a quote", `{"a":"x\"y"}`, `x"y`, true, `{"key":-1,"fields":["a"]}`, `["x\"y"]`},
		{"escaped names", `{"a\"b":"1","c.d":"2"}`, "", true, `{"key":-1,"fields":["a\"b","c.d"]}`, `["1","2"]`},
		{"a number", `{"a":1}`, "", false, "", ""},
		{"an array", `["a"]`, "", false, "", ""},
		{"a trailing comma", `{"a":"b",}`, "", false, "", ""},
		{"a space", `{"a": "b"}`, "", false, "", ""},
		{"text after", `{"a":"b"} `, "", false, "", ""},
		{"unterminated", `{"a":"b`, "", false, "", ""},
		{"a raw newline", "{\"a\":\"b\nc\"}", "", false, "", ""},
		{"nested", `{"a":{"b":"c"}}`, "", false, "", ""},
		{"an escape JSON does not have", `{"\0":""}`, "", false, "", ""},
		{"a short unicode escape", `{"a":"\u00e"}`, "", false, "", ""},
		{"a unicode escape not in hex", `{"a":"\u00zz"}`, "", false, "", ""},
		{"a backslash at the end", `{"a":"\`, "", false, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var p Packer
			pk := p.Pack([]byte(tc.data), tc.key)
			l, packed, ok := pk.l, pk.data, pk.l != nil
			if ok != tc.ok {
				t.Fatalf("pack(%s) ok = %v; want %v", tc.data, ok, tc.ok)
			}
			if !ok {
				if pk != (Packed{}) {
					t.Errorf("data left raw packed as %+v; want the zero Packed", pk)
				}
				return
			}
			if l.spec() != tc.spec || packed != tc.packed {
				t.Errorf("pack(%s) = %s %s; want %s %s", tc.data, l.spec(), packed, tc.spec, tc.packed)
			}
			l2, err := parseSpec(l.spec())
			if err != nil {
				t.Fatal(err)
			}
			got, err := unpack(l2, tc.key, packed)
			if err != nil || got != tc.data {
				t.Errorf("unpack = %s, %v; want %s", got, err, tc.data)
			}
			var m map[string]string
			if err := json.Unmarshal([]byte(tc.data), &m); err != nil {
				t.Fatal(err)
			}
			var names []string
			for name := range m {
				names = append(names, name)
			}
			if slices.Sort(names); !slices.Equal(l2.fields, names) {
				t.Errorf("layout fields %q; want %q", l2.fields, names)
			}
		})
	}
}

// Stored data that does not fit its layout is an error that says so,
// never a record with fields out of place.
func TestUnpackMismatch(t *testing.T) {
	l, err := parseSpec(`{"key":1,"fields":["a","b","c"]}`)
	if err != nil {
		t.Fatal(err)
	}
	for _, packed := range []string{`["1"]`, `["1","2","3"]`, `[]`, `"1","2"`, `["1",2]`, `["1""2"]`, ``} {
		if got, err := unpack(l, "k", packed); err == nil {
			t.Errorf("unpack(%s) = %s; want an error", packed, got)
		}
	}
	// The error names no value: a record's data is personal.
	if _, err := unpack(l, "k", `["ann@example.com"]`); err == nil || strings.Contains(err.Error(), "ann") {
		t.Errorf("unpack of a short record: %v; want an error without its values", err)
	}
	if got, err := unpack(l, "k", `["1","2"]`); err != nil || got != `{"a":"1","b":"k","c":"2"}` {
		t.Errorf("unpack = %s, %v", got, err)
	}
	for _, spec := range []string{`{"key":3,"fields":["a"]}`, `{"key":-2,"fields":[]}`, `{"key":0,"fields":[1]}`, `nope`} {
		if _, err := parseSpec(spec); err == nil {
			t.Errorf("parseSpec(%s): want an error", spec)
		}
	}
}

// FuzzPack: whatever the data and key, pack either refuses the data (it is
// then stored as it is) or unpacks to exactly it, and canonical data is
// always packed.
func FuzzPack(f *testing.F) {
	f.Add(`{"email":"a@x","username":"ann"}`, "ann")
	f.Add(`{"a":"x\\y"}`, `x\y`)
	f.Add(`{"a":"\u00e9","b":""}`, "")
	f.Add(`{}`, "")
	f.Fuzz(func(t *testing.T, data, key string) {
		var p Packer
		pk := p.Pack([]byte(data), key)
		l, packed, ok := pk.l, pk.data, pk.l != nil
		if ok {
			l2, err := parseSpec(l.spec())
			if err != nil {
				t.Fatalf("spec %s: %v", l.spec(), err)
			}
			got, err := unpack(l2, key, packed)
			if err != nil || got != data {
				t.Fatalf("pack(%q, %q) unpacks to %q, %v", data, key, got, err)
			}
		}
		// json.Marshal of a map sorts its keys: always packed.
		var m map[string]string
		if json.Unmarshal([]byte(data), &m) == nil && m != nil {
			canon, _ := json.Marshal(m)
			if pk := p.Pack(canon, key); pk.l == nil {
				t.Fatalf("canonical %s not packed", canon)
			}
		}
	})
}

// fieldSQL reads a field out of every layout the way json_extract read it
// out of the object: the key where it was left out, NULL where the layout
// has no such field, and raw data as before.
func TestFieldSQL(t *testing.T) {
	ctx := context.Background()
	st := openTest(t)
	start := time.Now()
	if err := st.StartRun(ctx, Run{ID: "r1", Integration: "acme", Trigger: "manual", StartedAt: start}); err != nil {
		t.Fatal(err)
	}
	y, err := st.BeginSync(ctx, "acme", "r1", false)
	if err != nil {
		t.Fatal(err)
	}
	defer y.Close()
	datas := map[string]string{
		"ann": `{"email":"ann@x","name":"Ann","username":"ann"}`,
		"bob": `{"email":"bob","name":"Bob"}`,
		"cy":  `{"name":"Cy","username":"cy"}`,
		"dee": `{"username":"dee"}`,
	}
	var writes []Write
	for _, k := range []string{"ann", "bob", "cy", "dee"} {
		writes = append(writes, Write{Kind: Person, Key: k, Data: datas[k], Create: true, Status: Active})
	}
	if err := y.ApplyPage(ctx, writes, nil); err != nil {
		t.Fatal(err)
	}
	// An older store's odd data stays raw (layout 0).
	if _, err := st.db.ExecContext(ctx, `INSERT INTO people (integration, key, layout, data, status, created_at) VALUES ('acme', 'old', 0, '{"name": "Old", "n": "1"}', 'active', 0)`); err != nil {
		t.Fatal(err)
	}
	if err := addActive(ctx, st.db, "acme", Person, "", 1); err != nil {
		t.Fatal(err)
	}
	datas["old"] = `{"name": "Old", "n": "1"}`
	f, err := st.layouts.fieldSQL(ctx, st.db, "p", "email", "name", "username", "n", "missing")
	if err != nil {
		t.Fatal(err)
	}
	// Layouts stored after the expressions were made (by another process,
	// say): read from the table.
	later := map[string]string{
		"eve": `{"email":"e@x","n":"2","name":"Eve","username":"eve"}`,
		"fay": `{"missing":"","n":"fay","username":"f"}`,
	}
	writes = nil
	for k, d := range later {
		writes, datas[k] = append(writes, Write{Kind: Person, Key: k, Data: d, Create: true, Status: Active}), d
	}
	if err := y.ApplyPage(ctx, writes, nil); err != nil {
		t.Fatal(err)
	}
	rows, err := st.db.QueryContext(ctx, `SELECT key, json_array(`+f[0]+`, `+f[1]+`, `+f[2]+`, `+f[3]+`, `+f[4]+`) FROM people p ORDER BY key`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var n int
	for rows.Next() {
		var key, got string
		if err := rows.Scan(&key, &got); err != nil {
			t.Fatal(err)
		}
		var want string
		if err := st.db.QueryRowContext(ctx, `SELECT json_array(json_extract(?1, '$.email'), json_extract(?1, '$.name'), json_extract(?1, '$.username'), json_extract(?1, '$.n'), json_extract(?1, '$.missing'))`,
			datas[key]).Scan(&want); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s: fields %s; want %s", key, got, want)
		}
		n++
	}
	if n != 7 {
		t.Errorf("%d records; want 7", n)
	}
	// Every record reads back as written.
	err = st.Records(ctx, "acme", Person, func(r Record) error {
		got, _ := json.Marshal(r.Fields)
		var want map[string]any
		json.Unmarshal([]byte(datas[r.Key]), &want)
		w, _ := json.Marshal(want)
		if string(got) != string(w) {
			t.Errorf("%s: %s; want %s", r.Key, got, w)
		}
		if r.Key != "old" && (r.CreatedRun != "r1" || r.CreatedAt.Before(start.Truncate(time.Millisecond))) {
			t.Errorf("%s: created by %q at %v; want r1 after %v", r.Key, r.CreatedRun, r.CreatedAt, start)
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
}

// A page rolled back (a fresh kind meeting a key it created: ErrNotFresh)
// takes the layouts it added with it; the page written again stores them
// again instead of naming a layout that is not there.
func TestLayoutOfARolledBackPage(t *testing.T) {
	ctx := context.Background()
	st := openTest(t)
	y := beginRun(t, st, "acme", "r1")
	if ex, err := y.Lookup(ctx, Person, "", []string{"a"}); err != nil || ex[0].Found {
		t.Fatalf("lookup on a fresh store: %v, %v", ex, err)
	}
	page1 := []Write{{Kind: Person, Key: "a", Data: `{"email":"a@x"}`, Create: true, Status: Active}}
	if err := y.ApplyPage(ctx, page1, nil); err != nil {
		t.Fatal(err)
	}
	// "a" again, and a new layout (email, name): the page is rolled back,
	// and the next layout stored takes the rolled-back one's id.
	page2 := []Write{
		{Kind: Person, Key: "a", Data: `{"email":"a@y"}`, Create: true, Status: Active},
		{Kind: Person, Key: "b", Data: `{"email":"b@x","name":"B"}`, Create: true, Status: Active},
	}
	if err := y.ApplyPage(ctx, page2, nil); !errors.Is(err, ErrNotFresh) {
		t.Fatalf("page 2: %v; want ErrNotFresh", err)
	}
	ex, err := y.Lookup(ctx, Person, "", []string{"b", "a"})
	if err != nil || ex[0].Found || !ex[1].Found {
		t.Fatalf("lookup after the rollback: %+v, %v", ex, err)
	}
	page2 = []Write{
		{Kind: Person, Key: "b", Data: `{"email":"b@x","name":"B"}`, Create: true, Status: Active},
		{Kind: Person, Key: "a", ID: ex[1].ID, Data: `{"email":"a@y"}`},
		{Kind: Person, Key: "c", Data: `{"email":"c@x","phone":"1"}`, Create: true, Status: Active},
	}
	if err := y.ApplyPage(ctx, page2, nil); err != nil {
		t.Fatal(err)
	}
	var got []string
	err = st.Records(ctx, "acme", Person, func(r Record) error {
		got = append(got, r.Key+" "+r.Fields["email"]+" "+r.Fields["name"])
		return nil
	})
	if want := []string{"a a@y ", "b b@x B", "c c@x "}; err != nil || !slices.Equal(got, want) {
		t.Errorf("records %q, %v; want %q", got, err, want)
	}
}
