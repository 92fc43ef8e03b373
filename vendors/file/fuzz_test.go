package file

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentsync/agent/vendors"
)

// fuzzFetch writes data to a file named name in a temporary folder, fetches
// it with format and returns the records, checking the invariants every
// outcome must keep.
func fuzzFetch(t *testing.T, name, format string, data []byte) ([]vendors.Record, error) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
		t.Fatal(err)
	}
	src, err := New(vendors.Config{BaseDir: dir, Settings: &Settings{Path: name, Format: format}})
	if err != nil {
		t.Fatal(err)
	}
	var recs []vendors.Record
	next := 1
	err = src.Fetch(context.Background(), func(p vendors.Page) error {
		if p.Number != next {
			t.Fatalf("page number %d, want %d", p.Number, next)
		}
		next++
		if len(p.Records) == 0 || len(p.Records) > PageSize {
			t.Fatalf("page %d has %d records", p.Number, len(p.Records))
		}
		recs = append(recs, p.Records...)
		return nil
	})
	if err != nil {
		var fe *Error
		if !errors.As(err, &fe) {
			t.Fatalf("error %v (%T) is not an *Error", err, err)
		}
		if fe.File != name || !strings.HasPrefix(err.Error(), "file vendor: "+name) {
			t.Fatalf("error %q does not name the file %s", err, name)
		}
		if lines := bytes.Count(data, []byte("\n")) + 1; fe.Line < 1 || fe.Line > lines {
			t.Fatalf("error %q: line %d not in 1..%d", err, fe.Line, lines)
		}
		return nil, err
	}
	for i, r := range recs {
		if r == nil {
			t.Fatalf("record %d is a nil map", i)
		}
	}
	return recs, nil
}

// fuzzFormat seeds f and fuzzes the file source with format: oracle
// judges what fuzzFetch made of each input.
func fuzzFormat(f *testing.F, format string, seeds []string, oracle func(t *testing.T, data []byte, recs []vendors.Record, err error)) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := fuzzFetch(t, "in."+format, format, data)
		oracle(t, data, recs, err)
	})
}

func trimBOM(data []byte) []byte {
	return bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
}

func FuzzJSONL(f *testing.F) {
	fuzzFormat(f, "jsonl", []string{
		"",
		"\n\n",
		`{"id": 1}`,
		"{\"id\": 1}\n{\"id\": 2}\n",
		"\xEF\xBB\xBF{\"a\": null}\r\n\r\n{\"b\": [1, 2.5, \"x\"]}\r\n",
		"{\"id\": 12345678901234567, \"n\": {\"m\": true}}\n[1]\n",
		"{\"a\":1} {\"b\":2}\n",
		"{\"a\":\n1}\n",
		"null\n",
	}, func(t *testing.T, data []byte, recs []vendors.Record, err error) {
		// Oracle: every non-blank line must hold exactly one object.
		lines := bytes.Split(trimBOM(data), []byte("\n"))
		want, badLine := 0, 0
		for i, l := range lines {
			l = bytes.Trim(l, " \t\r") // JSON whitespace
			if len(l) == 0 {
				continue
			}
			want++
			var m map[string]any
			if badLine == 0 && (l[0] != '{' || json.Unmarshal(l, &m) != nil) {
				badLine = i + 1
			}
		}
		if (badLine == 0) != (err == nil) {
			t.Fatalf("Fetch error %v, but the first bad line is %d", err, badLine)
		}
		var fe *Error
		if errors.As(err, &fe) && fe.Line != badLine {
			t.Fatalf("error %q names line %d, want %d", err, fe.Line, badLine)
		}
		if err == nil && len(recs) != want {
			t.Fatalf("got %d records, want %d", len(recs), want)
		}
	})
}

func FuzzJSON(f *testing.F) {
	fuzzFormat(f, "json", []string{
		"[]",
		"[{}]",
		"\xEF\xBB\xBF[{\"id\": 1}, {\"id\": \"2\"}]\r\n",
		"[\n  {\"id\": 12345678901234567,\n   \"a\": [null, true, {\"b\": -1e9}]}\n]\n",
		"[{\"id\": 1} {\"id\": 2}]",
		"[{\"id\": 1},]",
		"{\"id\": 1}",
		"[1]",
		"[{}] x",
		"",
	}, func(t *testing.T, data []byte, recs []vendors.Record, err error) {
		if bytes.Count(data, []byte("["))+bytes.Count(data, []byte("{")) > 9000 {
			return // element nesting limits differ between Decoder and Unmarshal
		}
		// Oracle: json.Unmarshal of the whole input is an array of objects.
		var v any
		uerr := json.Unmarshal(trimBOM(data), &v)
		arr, isArr := v.([]any)
		ok := uerr == nil && isArr
		if ok {
			for _, e := range arr {
				if _, isObj := e.(map[string]any); !isObj {
					ok = false
				}
			}
		}
		if ok != (err == nil) {
			t.Fatalf("Fetch error %v, but Unmarshal says %v (array %v)", err, uerr, isArr)
		}
		if err == nil && len(recs) != len(arr) {
			t.Fatalf("got %d records, want %d", len(recs), len(arr))
		}
	})
}

func FuzzCSV(f *testing.F) {
	fuzzFormat(f, "csv", []string{
		"",
		"id,email\n",
		"id,email\n1,a@example.com\n",
		"\xEF\xBB\xBFid,manager.email\r\n1,\"b\r\nc\"\r\n",
		"id,email\n1\n",
		"id,id\n1,2\n",
		"id,\n1,2\n",
		"a,b\n1,\"x\"\"y\"\n",
		"a\n\"unterminated\n",
	}, func(t *testing.T, data []byte, recs []vendors.Record, err error) {
		// Oracle: csv.ReadAll, a header with unique non-empty names.
		rows, rerr := csv.NewReader(bytes.NewReader(trimBOM(data))).ReadAll()
		ok := rerr == nil && len(rows) > 0
		if ok {
			seen := map[string]bool{}
			for _, h := range rows[0] {
				h = strings.TrimSpace(h)
				if h == "" || seen[h] {
					ok = false
				}
				seen[h] = true
			}
		}
		if ok != (err == nil) {
			t.Fatalf("Fetch error %v, but ReadAll says %v (%d rows)", err, rerr, len(rows))
		}
		if err != nil {
			return
		}
		if len(recs) != len(rows)-1 {
			t.Fatalf("got %d records, want %d", len(recs), len(rows)-1)
		}
		for i, r := range recs {
			if len(r) != len(rows[0]) {
				t.Fatalf("record %d has %d keys, want %d", i, len(r), len(rows[0]))
			}
			for j, h := range rows[0] {
				if r[strings.TrimSpace(h)] != rows[i+1][j] {
					t.Fatalf("record %d[%q] = %q, want %q", i, h, r[h], rows[i+1][j])
				}
			}
		}
	})
}
