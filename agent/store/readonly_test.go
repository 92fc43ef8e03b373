package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestOpenReadOnly: the read-only store reads what a writer wrote and
// writes nothing. These tests run in a folder this process may write
// (and often as root), so they prove that no write reaches agent.db and
// that nothing is created or migrated, not that a read-only folder works:
// TestReadOnlyStoreCommands in package main runs the commands as a user
// who cannot write the store.
func TestOpenReadOnly(t *testing.T) {
	ctx := context.Background()
	run := Run{ID: "r1", Integration: "acme", Trigger: "manual", StartedAt: time.Now()}
	// written makes a store with one run, closed unless keepOpen, and
	// sets its schema version when version > 0.
	written := func(version int, keepOpen bool) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) {
			st, err := Open(ctx, dir)
			if err != nil {
				t.Fatal(err)
			}
			if err := st.StartRun(ctx, run); err != nil {
				t.Fatal(err)
			}
			if version > 0 {
				if _, err := st.db.ExecContext(ctx, "PRAGMA user_version = "+strconv.Itoa(version)); err != nil {
					t.Fatal(err)
				}
			}
			if keepOpen {
				t.Cleanup(func() { st.Close() })
				return
			}
			st.Close()
		}
	}
	tests := []struct {
		name    string
		setup   func(t *testing.T, dir string)
		runs    int
		wantErr string // "" = opens
		isOld   bool
	}{
		{"no store yet", func(t *testing.T, dir string) {}, 0, "", false},
		{"closed store", written(0, false), 1, "", false},
		{"store open in a writer, the run in its WAL", written(0, true), 1, "", false},
		{"older schema", written(3, false), 0, "schema is older than this agent's (version 3, this agent's is " + strconv.Itoa(len(migrations)) + ")", true},
		{"newer schema", written(len(migrations)+1, false), 0, "is newer than this agent knows", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			tt.setup(t, dir)
			db := filepath.Join(dir, FileName)
			before, _ := os.ReadFile(db)
			st, err := OpenReadOnly(ctx, dir)
			if tt.wantErr != "" {
				if err == nil {
					st.Close()
					t.Fatalf("OpenReadOnly opened it; want %q", tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantErr) || errors.Is(err, ErrSchemaOld) != tt.isOld {
					t.Fatalf("OpenReadOnly = %v, want %q", err, tt.wantErr)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				runs, err := st.Runs(ctx, "", 0)
				if err != nil || len(runs) != tt.runs {
					t.Fatalf("Runs = %d runs, %v; want %d", len(runs), err, tt.runs)
				}
				if _, err := st.AddNotification(ctx, Notification{Integration: "acme", Event: "e", Subject: "s", Body: "b"}); err == nil {
					t.Error("a write on the read-only store succeeded")
				}
				if err := st.Close(); err != nil {
					t.Error(err)
				}
			}
			after, err := os.ReadFile(db)
			switch {
			case before == nil && !errors.Is(err, os.ErrNotExist):
				t.Errorf("a store was created: %v", err)
			case before != nil && !bytes.Equal(before, after):
				t.Error("agent.db changed (a migration, a journal-mode switch, a write)")
			}
			if before == nil {
				if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("data_dir was created: %v", err)
				}
			}
		})
	}
}
