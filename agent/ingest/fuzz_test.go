package ingest

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/agentsync/agent/agent/config"
)

// FuzzBody feeds any body to the parser and the schema check of a push:
// they never panic, and what they accept or refuse is consistent (records
// are objects, a refusal points into the body). Seeds: testdata/fuzz/FuzzBody.
func FuzzBody(f *testing.F) {
	dir := f.TempDir()
	path := filepath.Join(dir, "people.json")
	if err := os.WriteFile(path, []byte(peopleSchema), 0o600); err != nil {
		f.Fatal(err)
	}
	sch, err := config.CompileSchema(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(rec(1)))
	f.Add([]byte(bulk(rec(1), rec(2))))
	f.Fuzz(func(t *testing.T, data []byte) {
		values, isBulk, err := decodeBody(data)
		if err != nil {
			if values != nil {
				t.Fatalf("values with an error: %v", err)
			}
			return
		}
		if !isBulk && len(values) != 1 {
			t.Fatalf("one object gave %d values", len(values))
		}
		if !isBulk && bytes.TrimSpace(data)[0] != '{' {
			t.Fatalf("not a bulk, but the body starts with %q", bytes.TrimSpace(data)[0])
		}
		records, bad := validate(sch, values, isBulk)
		if bad != nil {
			if bad.Pointer == nil || (*bad.Pointer != "" && !strings.HasPrefix(*bad.Pointer, "/")) {
				t.Fatalf("refusal without a JSON pointer: %+v", bad)
			}
			if isBulk {
				if bad.Record == nil || *bad.Record < 0 || *bad.Record >= len(values) {
					t.Fatalf("bulk refusal without its record: %+v", bad)
				}
				if !strings.HasPrefix(*bad.Pointer, "/"+strconv.Itoa(*bad.Record)) {
					t.Fatalf("pointer %q outside record %d", *bad.Pointer, *bad.Record)
				}
			}
			return
		}
		if len(records) != len(values) {
			t.Fatalf("%d records of %d values", len(records), len(values))
		}
		for i, r := range records {
			if r == nil {
				t.Fatalf("record %d accepted but nil", i)
			}
			if _, ok := r["email"].(string); !ok {
				t.Fatalf("record %d accepted without a string email: %v", i, r)
			}
		}
	})
}
