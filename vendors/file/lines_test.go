package file

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/agentsync/agent/vendors"
)

// Every page says which file its records came from and on which line each
// began, so the engine can name a record it skips.
func TestPageLines(t *testing.T) {
	tests := []struct {
		name, file, text string
		lines            []int
	}{
		{"jsonl", "x.jsonl", "{\"a\": 1}\n\n{\"a\": 2}\r\n  \n{\"a\": 3}\n", []int{1, 3, 5}},
		{"json", "x.json", "[\n  {\"a\": 1},\n\n  {\"a\": 2}, {\"a\": 3},\n  {\n    \"a\": 4\n  }\n]\n", []int{2, 4, 4, 5}},
		{"json, one line", "x.json", "[{\"a\": 1},{\"a\": 2}]", []int{1, 1}},
		{"csv", "x.csv", "a,b\n1,x\n\"2\nstill 2\",y\n3,z\n", []int{2, 3, 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, tt.file), []byte(tt.text), 0o644); err != nil {
				t.Fatal(err)
			}
			src := mustNew(t, vendors.Config{BaseDir: dir, Settings: &Settings{Path: tt.file}})
			s := src.(*source)
			s.pageSize = 2
			pages, err := fetch(t, src)
			if err != nil {
				t.Fatal(err)
			}
			var lines []int
			for _, p := range pages {
				if p.File != tt.file {
					t.Errorf("page %d: File %q, want %q", p.Number, p.File, tt.file)
				}
				if len(p.Lines) != len(p.Records) {
					t.Errorf("page %d: %d lines for %d records", p.Number, len(p.Lines), len(p.Records))
				}
				lines = append(lines, p.Lines...)
			}
			if !slices.Equal(lines, tt.lines) {
				t.Errorf("lines %v, want %v", lines, tt.lines)
			}
		})
	}
}
