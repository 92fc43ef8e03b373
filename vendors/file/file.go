// Package file is the vendor for exports from systems the agent cannot
// reach: a JSONL, JSON or CSV file of users that some other process drops
// on disk. It registers itself as "file".
//
// # Settings
//
// The [integration.file] table (Settings):
//
//	path       = "exports/users.jsonl" # required; relative paths resolve from the config file's folder
//	format     = "jsonl"               # jsonl | json | csv; default from the extension:
//	                                   # .jsonl/.ndjson → jsonl, .json → json, .csv → csv
//	usage_path = "exports/usage.jsonl" # optional SSO usage events, folded into lastActivity
//
// New validates the settings but does not open the file: it may appear
// later. Fetch opens it each time it runs.
//
// # Formats
//
//   - jsonl: one JSON object per line. Blank lines are skipped, a UTF-8 BOM
//     at the start and CRLF line ends are allowed, lines may be up to 64 MiB.
//     An empty file holds zero records.
//   - json: one top-level array of objects, read element by element (the
//     file is never held in memory). An empty file is an error.
//   - csv: RFC 4180 (encoding/csv): the header row gives the keys (trimmed
//     of surrounding spaces, kept literally otherwise, so "manager.email" is
//     one key), every value is a string and an empty cell is "". UTF-8 with
//     or without BOM, CRLF and quoted fields spanning lines are fine. A file
//     without a header row is an error; a header-only file holds zero
//     records.
//
// JSON numbers are decoded as json.Number, so an id like 12345678901234567
// keeps all its digits. Records are map[string]any (vendors.Record) and
// arrive in pages of PageSize, numbered from 1; Fetch checks its context
// between pages and returns nil only after the whole file was read. A file
// with no records yields no page.
//
// # SSO payloads
//
// The SSO tasks ApplicationDiscovery, SsoApplicationRoster and
// SsoApplicationUsage (v1) are NDJSON and read with format jsonl as plain
// records; null fields are kept as nil. A roster's deactivatedAt, when set,
// is how the SSO says that a user is inactive; the integration's
// [integration.active] table reads it, e.g.
//
//	field = "deactivatedAt"
//	inactive_when_set = true
//
// This package only passes the field through.
//
// When usage_path is set, it names an SsoApplicationUsage file (uniqueId,
// occurredAt, appInstanceId, notes). Before streaming the main file, Fetch
// reads every event and keeps the newest occurredAt per (uniqueId,
// appInstanceId); a main record whose uniqueId and appInstanceId have
// events gets the field "lastActivity" set to that occurredAt, as the file
// wrote it. An event without uniqueId or appInstanceId, or whose
// occurredAt is not an RFC 3339 time, fails the fetch with its file and
// line.
//
// # Errors
//
// Every error of a malformed or unreadable file names the file as the
// config wrote it and, where one applies, the 1-based line, and wraps its
// cause:
//
//	file vendor: users.jsonl:12: invalid JSON: invalid character 'x' looking for beginning of value
//	file vendor: users.jsonl:3: not a JSON object (got array)
//	file vendor: users.csv:7: wrong number of fields (got 3, want 4)
//	file vendor: open users.jsonl: no such file or directory
//
// They are *Error values (except the open error, which wraps an
// *fs.PathError). Errors returned by yield and the context's error are
// returned unchanged.
package file

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/agentsync/agent/vendors"
)

func init() {
	vendors.RegisterVendor("file", vendors.Vendor{Factory: New, Table: Table, NewSettings: newSettings})
}

// PageSize is the number of records in every page but the last.
const PageSize = 1000

// maxLine is the longest JSONL line accepted.
const maxLine = 64 << 20

// readBufSize is the size of the buffered reader over the file.
const readBufSize = 64 << 10

// Formats.
const (
	FormatJSONL = "jsonl"
	FormatJSON  = "json"
	FormatCSV   = "csv"
)

// Errors wrapped by *Error; test them with errors.Is.
var (
	ErrNotObject   = errors.New("not a JSON object")
	ErrNotArray    = errors.New("not a JSON array")
	ErrLineTooLong = errors.New("line too long")
	ErrHeader      = errors.New("bad header")
	ErrUsageEvent  = errors.New("bad usage event")
)

// Error is a malformed or unreadable input file, located by line.
type Error struct {
	File string // the path as the config gave it
	Line int    // 1-based; 0 when no line applies
	Msg  string // what was being done, e.g. "invalid JSON"; may be empty
	Err  error  // the cause
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("file vendor: ")
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Line))
	}
	if e.Msg != "" {
		b.WriteString(": ")
		b.WriteString(e.Msg)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// source is one configured file. It is immutable after New, so Fetch may
// run concurrently.
type source struct {
	name      string // path as the config wrote it, for messages
	path      string // resolved path
	format    string
	usageName string
	usagePath string // "" when no usage file
	pageSize  int
	maxLine   int
}

// New builds the file source from s.Settings (a *Settings). It reports a
// bad setting with an error naming its key (file.path, file.format).
func New(s vendors.Config) (vendors.Source, error) {
	cfg, err := vendors.SettingsOf[Settings](s)
	if err != nil {
		return nil, err
	}
	name, format, p := cfg.resolved()
	if p != nil {
		return nil, errors.New(p.Msg)
	}
	src := &source{
		name:     name,
		path:     resolve(s.BaseDir, name),
		format:   format,
		pageSize: PageSize,
		maxLine:  maxLine,
	}
	if u := strings.TrimSpace(cfg.UsagePath); u != "" {
		src.usageName = u
		src.usagePath = resolve(s.BaseDir, u)
	}
	return src, nil
}

func resolve(base, p string) string {
	if filepath.IsAbs(p) || base == "" {
		return filepath.Clean(p)
	}
	return filepath.Join(base, p)
}

// Fetch streams the file's records in pages. See the package comment.
func (s *source) Fetch(ctx context.Context, yield func(vendors.Page) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var usage map[usageKey]string
	if s.usagePath != "" {
		var err error
		if usage, err = s.readUsage(ctx); err != nil {
			return err
		}
	}
	f, err := openFile(s.path, s.name)
	if err != nil {
		return err
	}
	defer f.Close()
	p := &pager{ctx: ctx, yield: yield, size: s.pageSize, usage: usage, file: s.name}
	switch s.format {
	case FormatJSONL:
		err = s.readJSONL(f, p)
	case FormatJSON:
		err = s.readJSON(f, p)
	case FormatCSV:
		err = s.readCSV(f, p)
	default:
		err = fmt.Errorf("file vendor: unknown format %q", s.format)
	}
	if err != nil {
		return err
	}
	return p.flush()
}

// openFile opens path for reading; its errors name the file as written.
func openFile(path, name string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = &fs.PathError{Op: pe.Op, Path: name, Err: pe.Err}
		}
		return nil, fmt.Errorf("file vendor: %w", err)
	}
	if st, err := f.Stat(); err == nil && st.IsDir() {
		f.Close()
		return nil, &Error{File: name, Err: errors.New("is a directory")}
	}
	return f, nil
}

// skipBOM drops a UTF-8 byte order mark at the start of r and reports how
// many bytes it dropped.
func skipBOM(r *bufio.Reader) int64 {
	if b, err := r.Peek(3); err == nil && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF {
		r.Discard(3)
		return 3
	}
	return 0
}

// readErr is an I/O error met while reading the file.
func readErr(name string, line int, err error) error {
	return &Error{File: name, Line: line, Msg: "read", Err: err}
}

// pager batches records into pages and hands them to yield.
type pager struct {
	ctx   context.Context
	yield func(vendors.Page) error
	size  int
	n     int
	recs  []vendors.Record
	lines []int // each record's line
	file  string
	usage map[usageKey]string
}

// add adds record r, read at the 1-based line.
func (p *pager) add(r vendors.Record, line int) error {
	if p.usage != nil {
		foldUsage(r, p.usage)
	}
	if p.recs == nil {
		p.recs = make([]vendors.Record, 0, p.size)
		p.lines = make([]int, 0, p.size)
	}
	p.recs = append(p.recs, r)
	p.lines = append(p.lines, line)
	if len(p.recs) >= p.size {
		return p.flush()
	}
	return nil
}

// flush yields the pending records, if any, as the next page.
func (p *pager) flush() error {
	if len(p.recs) == 0 {
		return nil
	}
	if err := p.ctx.Err(); err != nil {
		return err
	}
	p.n++
	page := vendors.Page{Number: p.n, Records: p.recs, Lines: p.lines, File: p.file}
	p.recs, p.lines = nil, nil
	return p.yield(page)
}

// kind names the JSON type of a decoded value, for messages.
func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	default:
		return "number"
	}
}

func notObject(v any) error {
	return fmt.Errorf("%w (got %s)", ErrNotObject, kind(v))
}
