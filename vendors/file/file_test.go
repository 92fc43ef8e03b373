package file

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/agentsync/agent/vendors"
)

type rec = vendors.Record

func num(s string) json.Number { return json.Number(s) }

// fetch runs src.Fetch and returns the pages it yielded.
func fetch(t *testing.T, src vendors.Source) ([]vendors.Page, error) {
	t.Helper()
	var pages []vendors.Page
	err := src.Fetch(context.Background(), func(p vendors.Page) error {
		pages = append(pages, p)
		return nil
	})
	return pages, err
}

func records(pages []vendors.Page) []vendors.Record {
	var out []vendors.Record
	for _, p := range pages {
		out = append(out, p.Records...)
	}
	return out
}

func mustNew(t *testing.T, s vendors.Config) vendors.Source {
	t.Helper()
	src, err := New(s)
	if err != nil {
		t.Fatalf("New(%+v): %v", s.Settings, err)
	}
	return src
}

func TestRegistered(t *testing.T) {
	f, ok := vendors.Lookup("file")
	if !ok {
		t.Fatal(`vendor "file" is not registered`)
	}
	if _, err := f(vendors.Config{Settings: &Settings{Path: "x.csv"}}); err != nil {
		t.Fatal(err)
	}
}

func TestNew(t *testing.T) {
	abs := filepath.Join(t.TempDir(), "users.csv")
	tests := []struct {
		name      string
		base      string
		file      Settings
		wantErr   string // substring; "" = no error
		format    string
		path      string
		usagePath string
	}{
		{name: "missing path", file: Settings{Format: "csv"}, wantErr: "file vendor: file.path is required"},
		{name: "blank path", file: Settings{Path: "  "}, wantErr: "file.path is required"},
		{name: "jsonl by extension", base: "/etc/agent", file: Settings{Path: "exports/users.jsonl"}, format: "jsonl", path: filepath.Join("/etc/agent", "exports/users.jsonl")},
		{name: "ndjson by extension", file: Settings{Path: "users.ndjson"}, format: "jsonl", path: "users.ndjson"},
		{name: "json by extension", file: Settings{Path: "users.JSON"}, format: "json", path: "users.JSON"},
		{name: "csv by extension", file: Settings{Path: "users.csv"}, format: "csv", path: "users.csv"},
		{name: "format beats extension", file: Settings{Path: "users.txt", Format: "CSV"}, format: "csv", path: "users.txt"},
		{name: "format jsonl for .json file", file: Settings{Path: "users.json", Format: "jsonl"}, format: "jsonl", path: "users.json"},
		{name: "unknown extension", file: Settings{Path: "users.txt"}, wantErr: `file vendor: file.format is not set and the extension of "users.txt" does not tell it`},
		{name: "no extension", file: Settings{Path: "users"}, wantErr: "file.format"},
		{name: "bad format", file: Settings{Path: "users.csv", Format: "xml"}, wantErr: `file vendor: file.format "xml" is not one of jsonl, json, csv`},
		{name: "absolute path kept", base: "/etc/agent", file: Settings{Path: abs}, format: "csv", path: abs},
		{name: "usage path resolved", base: "/etc/agent", file: Settings{Path: "roster.jsonl", UsagePath: "sso/usage.jsonl"}, format: "jsonl", path: filepath.Join("/etc/agent", "roster.jsonl"), usagePath: filepath.Join("/etc/agent", "sso/usage.jsonl")},
		{name: "missing file is fine in New", file: Settings{Path: "does/not/exist.jsonl"}, format: "jsonl", path: filepath.Join("does", "not", "exist.jsonl")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := New(vendors.Config{Integration: "x", Vendor: "file", BaseDir: tt.base, Settings: &tt.file})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("New error = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			s := got.(*source)
			if s.format != tt.format || s.path != tt.path || s.usagePath != tt.usagePath {
				t.Errorf("got format %q path %q usage %q, want %q %q %q", s.format, s.path, s.usagePath, tt.format, tt.path, tt.usagePath)
			}
			if s.name != strings.TrimSpace(tt.file.Path) {
				t.Errorf("name = %q, want the path as written", s.name)
			}
		})
	}
}

func TestFetch(t *testing.T) {
	const (
		gw       = "3470c8a8-475d-427d-92fb-1c831c975b5f"
		al       = "006b223b-5531-41f2-9e01-420c5efe663b"
		instance = "b2fbc513-67ce-4698-9662-cfdd64f413c3"
	)
	roster := func(lastGW, lastAL string) []rec {
		r := []rec{
			{"uniqueId": gw, "email": "gwashington@helloworld.com", "firstName": "George", "lastName": "Washington", "middleName": "", "activatedAt": "2020-03-05T15:56:53.889Z", "deactivatedAt": "2020-03-15T15:56:53.889Z", "appInstanceId": instance},
			{"uniqueId": al, "email": "alincoln@helloworld.com", "firstName": "Abraham", "lastName": "Lincoln", "middleName": "", "activatedAt": "2020-01-01T01:01:23.889Z", "appInstanceId": instance},
		}
		if lastGW != "" {
			r[0]["lastActivity"] = lastGW
		}
		if lastAL != "" {
			r[1]["lastActivity"] = lastAL
		}
		return r
	}
	tests := []struct {
		name    string
		path    string
		format  string
		usage   string
		want    []rec
		wantErr string // the whole message
		wantIs  error
	}{
		// jsonl
		{name: "jsonl records", path: "users.jsonl", want: []rec{
			{"id": num("12345678901234567"), "email": "ada@example.com", "first_name": "Ada", "verified": true, "score": num("1.5"), "manager": map[string]any{"email": "boss@example.com"}, "groups": []any{"a", "b"}, "last_login": nil},
			{"id": num("2"), "email": "bob@example.com", "first_name": "Bob", "verified": false},
			{"id": num("3"), "email": "cy@example.com"},
		}},
		{name: "jsonl BOM and CRLF", path: "bom-crlf.jsonl", want: []rec{{"id": num("1"), "email": "a@example.com"}, {"id": num("2"), "email": "b@example.com"}}},
		{name: "jsonl no final newline", path: "no-final-newline.jsonl", want: []rec{{"id": num("1")}, {"id": num("2")}}},
		{name: "jsonl empty", path: "empty.jsonl"},
		{name: "jsonl only blank lines", path: "blank.jsonl"},
		{name: "jsonl malformed line", path: "bad-line.jsonl", wantErr: "file vendor: bad-line.jsonl:4: invalid JSON: invalid character 'x' looking for beginning of value", wantIs: new(json.SyntaxError)},
		{name: "jsonl array line", path: "not-object.jsonl", wantErr: "file vendor: not-object.jsonl:2: not a JSON object (got array)", wantIs: ErrNotObject},
		{name: "jsonl two values on a line", path: "two-values.jsonl", wantErr: "file vendor: two-values.jsonl:2: invalid JSON: more than one value on the line"},
		{name: "jsonl truncated line", path: "truncated.jsonl", wantErr: "file vendor: truncated.jsonl:2: invalid JSON: unexpected EOF"},
		{name: "jsonl missing file", path: "nope.jsonl", wantErr: "file vendor: open nope.jsonl: no such file or directory", wantIs: fs.ErrNotExist},
		{name: "directory", path: "sso", format: "jsonl", wantErr: "file vendor: sso: is a directory"},

		// json
		{name: "json array", path: "users.json", want: []rec{
			{"id": num("12345678901234567"), "email": "ada@example.com", "name": map[string]any{"first": "Ada", "last": "Lovelace"}, "verified": true, "last_login": nil},
			{"id": num("2"), "email": "bob@example.com", "score": num("-1.25e3")},
		}},
		{name: "json BOM", path: "bom.json", want: []rec{{"id": "1"}}},
		{name: "json empty array", path: "empty-array.json"},
		{name: "json empty file", path: "empty.json", wantErr: "file vendor: empty.json:1: empty file, want a JSON array"},
		{name: "json syntax error", path: "bad.json", wantErr: "file vendor: bad.json:5: invalid JSON: invalid character 'x' looking for beginning of value", wantIs: new(json.SyntaxError)},
		{name: "json missing comma", path: "missing-comma.json", wantErr: "file vendor: missing-comma.json:3: invalid JSON: expected comma after array element"},
		{name: "json top level object", path: "not-array.json", wantErr: "file vendor: not-array.json:2: not a JSON array (got object)", wantIs: ErrNotArray},
		{name: "json element not object", path: "element-not-object.json", wantErr: "file vendor: element-not-object.json:4: not a JSON object (got string)", wantIs: ErrNotObject},
		{name: "json truncated", path: "truncated.json", wantErr: "file vendor: truncated.json:3: invalid JSON: unexpected EOF"},
		{name: "json data after array", path: "trailing.json", wantErr: "file vendor: trailing.json:2: invalid JSON: data after the top-level array"},

		// csv
		{name: "csv records", path: "users.csv", want: []rec{
			{"id": "1", "email": "ada@example.com", "first_name": "Ada", "manager.email": "boss@example.com", "note": `likes "math"`},
			{"id": "2", "email": "bob@example.com", "first_name": "", "manager.email": "", "note": "two\nlines"},
			{"id": "3", "email": "cy@example.com", "first_name": "Cy", "manager.email": "", "note": ""},
		}},
		{name: "csv BOM and CRLF", path: "bom-crlf.csv", want: []rec{{"id": "1", "email": "a@example.com"}, {"id": "2", "email": "b@example.com"}}},
		{name: "csv header only", path: "header-only.csv"},
		{name: "csv empty file", path: "empty.csv", wantErr: "file vendor: empty.csv:1: bad header: empty file, want a header row", wantIs: ErrHeader},
		{name: "csv wrong column count", path: "wrong-columns.csv", wantErr: "file vendor: wrong-columns.csv:4: wrong number of fields (got 3, want 4)", wantIs: csv.ErrFieldCount},
		{name: "csv duplicate header", path: "dup-header.csv", wantErr: `file vendor: dup-header.csv:1: bad header: duplicate column "email" (columns 2 and 4)`, wantIs: ErrHeader},
		{name: "csv empty header", path: "empty-header.csv", wantErr: "file vendor: empty-header.csv:1: bad header: column 2 has no name", wantIs: ErrHeader},
		{name: "csv bare quote", path: "bare-quote.csv", wantErr: `file vendor: bare-quote.csv:3: column 4: bare " in non-quoted-field`, wantIs: csv.ErrBareQuote},

		// SSO payloads (seed 003)
		{name: "sso application discovery", path: "sso/application-discovery.jsonl", want: []rec{
			{"ssoAppName": "Slack - Business Communication for Teams", "ssoAppDisplayName": "Slack - Business Communication for Teams", "ssoAppId": "76d33699-9f0f-4eb7-bdd2-d0c75741d8f7", "ssoAppAdditional": map[string]any{"createdAt": "2020-03-05T15:56:53.889Z"}, "appInstanceId": "76d33699-9f0f-4eb7-bdd2-d0c75741d8f7", "appInstanceAdditional": map[string]any{"hasGuestAccounts": true}},
			{"ssoAppName": "StratoKey (NetSuite)", "ssoAppDisplayName": "StratoKey (NetSuite)", "ssoAppId": "6e1a699a-c516-4f04-bbff-c247b8848c4c", "ssoAppAdditional": nil, "appInstanceId": "6e1a699a-c516-4f04-bbff-c247b8848c4c", "appInstanceAdditional": nil},
		}},
		{name: "sso application roster", path: "sso/application-roster.jsonl", format: "jsonl", want: roster("", "")},
		{name: "sso application usage", path: "sso/application-usage.jsonl", want: []rec{
			{"uniqueId": gw, "occurredAt": "2020-03-15T15:56:53.889Z", "notes": "login", "appInstanceId": instance},
			{"uniqueId": al, "occurredAt": "2020-01-20T01:56:53.889Z", "notes": "downloaded Legal Document", "appInstanceId": "5cc55141-c7a8-4c3a-a59a-783258f289cc"},
		}},
		{name: "sso roster with fixture usage", path: "sso/application-roster.jsonl", usage: "sso/application-usage.jsonl",
			// Lincoln's event is for another application instance.
			want: roster("2020-03-15T15:56:53.889Z", "")},
		{name: "sso roster with newest usage", path: "sso/application-roster.jsonl", usage: "usage-multi.jsonl",
			// +02:00 is later than 15:56:53Z; the 2021 event is for another instance.
			want: roster("2020-03-16T01:00:00+02:00", "2020-01-02T00:00:00Z")},
		{name: "sso csv roster with usage", path: "roster.csv", usage: "usage-multi.jsonl", want: []rec{
			{"uniqueId": gw, "email": "gwashington@helloworld.com", "appInstanceId": instance, "lastActivity": "2020-03-16T01:00:00+02:00"},
			{"uniqueId": "nobody", "email": "nobody@helloworld.com", "appInstanceId": instance},
		}},
		{name: "sso numeric unique ids", path: "roster-numeric.jsonl", usage: "usage-numeric.jsonl", want: []rec{
			{"uniqueId": "94123", "email": "me@here.com", "appInstanceId": "abc123", "lastActivity": "2024-05-02T08:30:00.5Z"},
			{"uniqueId": num("94123"), "email": "me@here.com", "appInstanceId": "abc123", "skus": []any{"ACROBAT_PRO_DC", "ADOBE_ANALYTICS"}, "lastActivity": "2024-05-02T08:30:00.5Z"},
			{"uniqueId": num("94124"), "email": "you@here.com", "appInstanceId": "abc123", "deactivatedAt": nil},
		}},
		{name: "sso usage bad occurredAt", path: "sso/application-roster.jsonl", usage: "usage-bad-time.jsonl",
			wantErr: `file vendor: usage-bad-time.jsonl:2: bad usage event: occurredAt "yesterday" is not an RFC 3339 time: parsing time "yesterday" as "2006-01-02T15:04:05.999999999Z07:00": cannot parse "yesterday" as "2006"`,
			wantIs:  ErrUsageEvent},
		{name: "sso usage missing uniqueId", path: "sso/application-roster.jsonl", usage: "usage-missing-id.jsonl", wantErr: "file vendor: usage-missing-id.jsonl:3: bad usage event: missing uniqueId", wantIs: ErrUsageEvent},
		{name: "sso usage missing appInstanceId", path: "sso/application-roster.jsonl", usage: "usage-missing-app.jsonl", wantErr: "file vendor: usage-missing-app.jsonl:1: bad usage event: missing appInstanceId", wantIs: ErrUsageEvent},
		{name: "sso usage file missing", path: "sso/application-roster.jsonl", usage: "nope.jsonl", wantErr: "file vendor: open nope.jsonl: no such file or directory", wantIs: fs.ErrNotExist},
		{name: "sso usage file malformed", path: "sso/application-roster.jsonl", usage: "usage-bad-json.jsonl", wantErr: "file vendor: usage-bad-json.jsonl:2: invalid JSON: unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := mustNew(t, vendors.Config{BaseDir: "testdata", Settings: &Settings{Path: tt.path, Format: tt.format, UsagePath: tt.usage}})
			pages, err := fetch(t, src)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("Fetch succeeded with %d records, want error %q", len(records(pages)), tt.wantErr)
				}
				if err.Error() != tt.wantErr {
					t.Errorf("Fetch error\n got: %s\nwant: %s", err, tt.wantErr)
				}
				if tt.wantIs != nil {
					if se, ok := tt.wantIs.(*json.SyntaxError); ok {
						if !errors.As(err, &se) {
							t.Errorf("error %v does not wrap a *json.SyntaxError", err)
						}
					} else if !errors.Is(err, tt.wantIs) {
						t.Errorf("error %v does not wrap %v", err, tt.wantIs)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			got := records(pages)
			if len(got) == 0 && len(tt.want) == 0 {
				if len(pages) != 0 {
					t.Errorf("got %d empty pages, want none", len(pages))
				}
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("records\n got: %#v\nwant: %#v", got, tt.want)
			}
			if len(pages) != 1 || pages[0].Number != 1 {
				t.Errorf("got %d pages (first number %d), want one page numbered 1", len(pages), pages[0].Number)
			}
		})
	}
}

// writeUsers writes n users in format to dir and returns the file name.
func writeUsers(t testing.TB, dir, format string, n int) string {
	t.Helper()
	var b strings.Builder
	switch format {
	case "csv":
		b.WriteString("id,email\n")
		for i := 1; i <= n; i++ {
			fmt.Fprintf(&b, "%d,u%d@example.com\n", i, i)
		}
	case "json":
		b.WriteString("[\n")
		for i := 1; i <= n; i++ {
			if i > 1 {
				b.WriteString(",\n")
			}
			fmt.Fprintf(&b, `{"id": %d, "email": "u%d@example.com"}`, i, i)
		}
		b.WriteString("\n]\n")
	default:
		for i := 1; i <= n; i++ {
			fmt.Fprintf(&b, `{"id": %d, "email": "u%d@example.com"}`+"\n", i, i)
		}
	}
	name := "users." + format
	if err := os.WriteFile(filepath.Join(dir, name), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

func TestPages(t *testing.T) {
	for _, format := range []string{"jsonl", "json", "csv"} {
		for _, tc := range []struct {
			n     int
			sizes []int
		}{
			{2500, []int{1000, 1000, 500}},
			{2000, []int{1000, 1000}},
			{1, []int{1}},
			{0, nil},
		} {
			t.Run(fmt.Sprintf("%s/%d", format, tc.n), func(t *testing.T) {
				dir := t.TempDir()
				if tc.n == 0 && format == "json" {
					os.WriteFile(filepath.Join(dir, "users.json"), []byte("[]"), 0o644)
				} else {
					writeUsers(t, dir, format, tc.n)
				}
				src := mustNew(t, vendors.Config{BaseDir: dir, Settings: &Settings{Path: "users." + format}})
				pages, err := fetch(t, src)
				if err != nil {
					t.Fatal(err)
				}
				var sizes []int
				id := 0
				for i, p := range pages {
					if p.Number != i+1 {
						t.Errorf("page %d has Number %d", i+1, p.Number)
					}
					sizes = append(sizes, len(p.Records))
					for _, r := range p.Records {
						id++
						want := any(json.Number(fmt.Sprint(id)))
						if format == "csv" {
							want = fmt.Sprint(id)
						}
						if r["id"] != want || r["email"] != fmt.Sprintf("u%d@example.com", id) {
							t.Fatalf("record %d = %v", id, r)
						}
					}
				}
				if !reflect.DeepEqual(sizes, tc.sizes) {
					t.Errorf("page sizes %v, want %v", sizes, tc.sizes)
				}
			})
		}
	}
}

func TestMalformedAfterFirstPage(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	for i := 1; i <= 1600; i++ {
		if i == 1500 {
			b.WriteString("{\"id\": 1500,}\n")
			continue
		}
		fmt.Fprintf(&b, "{\"id\": %d}\n", i)
	}
	os.WriteFile(filepath.Join(dir, "users.jsonl"), []byte(b.String()), 0o644)
	src := mustNew(t, vendors.Config{BaseDir: dir, Settings: &Settings{Path: "users.jsonl"}})
	pages, err := fetch(t, src)
	if len(pages) != 1 || len(pages[0].Records) != 1000 {
		t.Errorf("got %d pages before the error, want the first page of 1000", len(pages))
	}
	want := "file vendor: users.jsonl:1500: invalid JSON: invalid character '}' looking for beginning of object key string"
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}
	var fe *Error
	if !errors.As(err, &fe) || fe.File != "users.jsonl" || fe.Line != 1500 {
		t.Errorf("error %#v is not an *Error at users.jsonl:1500", err)
	}
}

func TestCancel(t *testing.T) {
	for _, format := range []string{"jsonl", "json", "csv"} {
		t.Run(format, func(t *testing.T) {
			dir := t.TempDir()
			writeUsers(t, dir, format, 3500)
			src := mustNew(t, vendors.Config{BaseDir: dir, Settings: &Settings{Path: "users." + format}})

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			n := 0
			err := src.Fetch(ctx, func(p vendors.Page) error {
				n++
				cancel()
				return nil
			})
			if err != context.Canceled {
				t.Errorf("Fetch = %v, want context.Canceled", err)
			}
			if n != 1 {
				t.Errorf("yield called %d times, want 1", n)
			}

			// An already cancelled context yields nothing.
			n = 0
			err = src.Fetch(ctx, func(vendors.Page) error { n++; return nil })
			if err != context.Canceled || n != 0 {
				t.Errorf("Fetch with cancelled ctx = %v after %d pages", err, n)
			}
		})
	}
}

func TestCancelDuringUsage(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	for i := 0; i < 5000; i++ {
		fmt.Fprintf(&b, `{"uniqueId":"u%d","occurredAt":"2024-01-01T00:00:00Z","appInstanceId":"a"}`+"\n", i)
	}
	os.WriteFile(filepath.Join(dir, "usage.jsonl"), []byte(b.String()), 0o644)
	writeUsers(t, dir, "jsonl", 10)
	src := mustNew(t, vendors.Config{BaseDir: dir, Settings: &Settings{Path: "users.jsonl", UsagePath: "usage.jsonl"}})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := src.Fetch(ctx, func(vendors.Page) error { t.Error("yield called"); return nil }); err != context.Canceled {
		t.Errorf("Fetch = %v, want context.Canceled", err)
	}
}

func TestYieldError(t *testing.T) {
	dir := t.TempDir()
	writeUsers(t, dir, "jsonl", 2500)
	src := mustNew(t, vendors.Config{BaseDir: dir, Settings: &Settings{Path: "users.jsonl"}})
	stop := errors.New("store is full")
	n := 0
	err := src.Fetch(context.Background(), func(vendors.Page) error { n++; return stop })
	if err != stop || n != 1 {
		t.Errorf("Fetch = %v after %d pages, want the yield error after 1", err, n)
	}
}

func TestHugeLine(t *testing.T) {
	dir := t.TempDir()
	big := strings.Repeat("x", 5<<20) // 5 MiB, far beyond bufio.Scanner's 64 KiB
	content := `{"id": 1, "blob": "` + big + `"}` + "\n" + `{"id": 2}` + "\n"
	os.WriteFile(filepath.Join(dir, "big.jsonl"), []byte(content), 0o644)

	src := mustNew(t, vendors.Config{BaseDir: dir, Settings: &Settings{Path: "big.jsonl"}})
	pages, err := fetch(t, src)
	if err != nil {
		t.Fatal(err)
	}
	got := records(pages)
	if len(got) != 2 || got[0]["blob"] != big || got[0]["id"] != num("1") || got[1]["id"] != num("2") {
		t.Errorf("huge line not read back: %d records", len(got))
	}

	// Past the line limit the error names the line.
	s := src.(*source)
	small := *s
	small.maxLine = 1 << 20
	_, err = fetch(t, &small)
	if !errors.Is(err, ErrLineTooLong) || !strings.HasPrefix(err.Error(), "file vendor: big.jsonl:1: line too long") {
		t.Errorf("error = %v, want line too long at big.jsonl:1", err)
	}
}

func TestFileAppearsLater(t *testing.T) {
	dir := t.TempDir()
	src := mustNew(t, vendors.Config{BaseDir: dir, Settings: &Settings{Path: "users.jsonl"}})
	_, err := fetch(t, src)
	want := "file vendor: open users.jsonl: no such file or directory"
	if err == nil || err.Error() != want || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("error = %v, want %s", err, want)
	}
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe.Path != "users.jsonl" {
		t.Errorf("error does not wrap an *fs.PathError for users.jsonl: %#v", err)
	}
	writeUsers(t, dir, "jsonl", 3)
	pages, err := fetch(t, src)
	if err != nil || len(records(pages)) != 3 {
		t.Errorf("after the file appeared: %d records, %v", len(records(pages)), err)
	}
}

func TestConcurrentFetch(t *testing.T) {
	dir := t.TempDir()
	writeUsers(t, dir, "csv", 1500)
	src := mustNew(t, vendors.Config{BaseDir: dir, Settings: &Settings{Path: "users.csv"}})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			pages, err := fetch(t, src)
			if err != nil || len(records(pages)) != 1500 {
				t.Errorf("got %d records, %v", len(records(pages)), err)
			}
		})
	}
	wg.Wait()
}
