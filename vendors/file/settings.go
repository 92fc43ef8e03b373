package file

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/agentsync/agent/vendors"
)

// Table is the integration's table the vendor reads: [integration.file],
// decoded into Settings.
const Table = "file"

// Settings is the [integration.file] table.
type Settings struct {
	Path      string `toml:"path"`
	Format    string `toml:"format"`     // jsonl | json | csv
	UsagePath string `toml:"usage_path"` // optional SSO usage events (JSONL) folded into last activity
}

func newSettings() vendors.Settings { return &Settings{} }

// Check reports the first bad key (file.path, then file.format), in the
// words New's error uses.
func (s Settings) Check() []vendors.Problem {
	if _, _, p := s.resolved(); p != nil {
		return []vendors.Problem{*p}
	}
	return nil
}

// resolved returns the path as written (trimmed) and the format, from
// the extension when format is unset; p is the first problem.
func (s Settings) resolved() (name, format string, p *vendors.Problem) {
	bad := func(key, format string, args ...any) *vendors.Problem {
		return &vendors.Problem{Key: key, Msg: fmt.Sprintf(format, args...), Whole: true}
	}
	name = strings.TrimSpace(s.Path)
	if name == "" {
		return "", "", bad("path", "file vendor: file.path is required")
	}
	format = strings.ToLower(strings.TrimSpace(s.Format))
	switch format {
	case FormatJSONL, FormatJSON, FormatCSV:
	case "":
		switch strings.ToLower(filepath.Ext(name)) {
		case ".jsonl", ".ndjson":
			format = FormatJSONL
		case ".json":
			format = FormatJSON
		case ".csv":
			format = FormatCSV
		default:
			return "", "", bad("format", "file vendor: file.format is not set and the extension of %q does not tell it (.jsonl, .ndjson, .json, .csv): set file.format to jsonl, json or csv", name)
		}
	default:
		return "", "", bad("format", "file vendor: file.format %q is not one of jsonl, json, csv", s.Format)
	}
	return name, format, nil
}

// Warnings says what is wrong now but may be right by the time the
// integration runs (`agent validate` prints them and still exits 0): a
// file.path or file.usage_path, resolved from baseDir, that does not
// exist or is a folder.
func (s Settings) Warnings(baseDir string) []string {
	var out []string
	for _, f := range []struct{ key, name string }{{"path", s.Path}, {"usage_path", s.UsagePath}} {
		name := strings.TrimSpace(f.name)
		if name == "" {
			continue
		}
		path := resolve(baseDir, name)
		fi, err := os.Stat(path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			out = append(out, fmt.Sprintf("file.%s %q does not exist (%s): a run fails until it does", f.key, name, path))
		case err == nil && fi.IsDir():
			out = append(out, fmt.Sprintf("file.%s %q is a folder, not a file (%s)", f.key, name, path))
		}
	}
	return out
}
