package rest_test

import (
	"errors"
	"testing"

	"github.com/agentsync/agent/vendors/rest"
	"github.com/agentsync/agent/vendors/web"
)

// FuzzRecords feeds page bodies and records paths through the decoding
// and extraction every page goes through; seeds in testdata/fuzz.
func FuzzRecords(f *testing.F) {
	f.Add([]byte(`{"data":{"users":[{"id":1}]}}`), "data.users")
	f.Fuzz(func(t *testing.T, body []byte, path string) {
		doc, err := web.ParseJSON(body)
		if err != nil {
			return
		}
		recs, err := rest.Records(doc, path, nil)
		if err != nil {
			if !errors.Is(err, rest.ErrEnvelope) {
				t.Fatalf("Records: %v is not an envelope error", err)
			}
			return
		}
		for i, r := range recs {
			if r == nil {
				t.Fatalf("record %d is nil", i)
			}
		}
	})
}
