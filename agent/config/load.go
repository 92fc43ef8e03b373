package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"

	_ "time/tzdata" // time_zone works where the OS has no zoneinfo (Windows, minimal images)
)

// Load reads, decodes and validates the config file at path.
//
// When the file cannot be read the error is the *fs.PathError of the open or
// read (errors.Is(err, fs.ErrNotExist) works); a file over MaxFileSize is
// an *Error, unread. When it is not valid the error is
// an *Error holding every problem found, each formatted as
// PATH:LINE:COL: message with PATH as given here. A TOML syntax error stops
// the reading, so it comes alone; otherwise type mismatches, unknown keys
// and invalid values are all reported.
//
// Integrations that are valid but in draft (see Integration.Missing) are not
// problems.
func Load(path string) (*Config, error) {
	data, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// MaxFileSize is the largest config file read. A config is a few
// kilobytes; a file of megabytes is the wrong file (a log, an export), and
// decoding one costs seconds and memory many times its size.
const MaxFileSize = 10 << 20

// ReadFile reads the config file at path. A file over MaxFileSize is
// refused before it is read, with an *Error naming the file and the limit;
// a file that cannot be read gives the *fs.PathError of the open or read.
func ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() > MaxFileSize {
		return nil, tooLarge(path, fi.Size())
	}
	// The size may change, or not be known (a pipe): read one byte past the
	// limit to tell.
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, tooLarge(path, -1)
	}
	return data, nil
}

// tooLarge is the problem of a file over MaxFileSize; size < 0 when only
// "more than the limit" is known.
func tooLarge(name string, size int64) error {
	got := "more than 10 MB"
	if size >= 0 {
		got = fmt.Sprintf("%d bytes", size)
	}
	return &Error{Problems: []Problem{{File: name, Msg: fmt.Sprintf(
		"the file is %s, over the %d-byte (10 MB) limit of a config file: is it the right file?", got, MaxFileSize)}}}
}

// Parse is Load for a file already read: name is its path, used in problems
// and, made absolute, to resolve relative paths in the file. Data over
// MaxFileSize is refused as ReadFile refuses it.
func Parse(name string, data []byte) (*Config, error) {
	if len(data) > MaxFileSize {
		return nil, tooLarge(name, int64(len(data)))
	}
	cfg := defaults()
	cfg.Path = name
	if abs, err := filepath.Abs(name); err == nil {
		cfg.Path = abs
	}
	cfg.Dir = filepath.Dir(cfg.Path)

	var raw map[string]any
	if _, err := toml.Decode(string(data), &raw); err != nil {
		return nil, &Error{Problems: []Problem{syntaxProblem(name, data, err)}, DataDir: DefaultDataDir()}
	}
	r := &reporter{file: name, ix: locate(string(data)), bad: map[string]bool{}}
	r.names = integrationNames(raw)
	(&decoder{r}).table(nil, raw, reflect.ValueOf(cfg).Elem(), nil)
	validate(cfg, raw, r)
	if err := r.err(); err != nil {
		err.DataDir = cfg.Agent.DataDir // resolved by validate; the default when unset or undecodable
		return nil, err
	}
	return cfg, nil
}

// syntaxProblem turns the TOML library's error into a Problem.
func syntaxProblem(name string, data []byte, err error) Problem {
	pr := Problem{File: name, Line: 1, Col: 1, Msg: err.Error()}
	var pe toml.ParseError
	if errors.As(err, &pe) {
		pr.Msg = pe.Message
		pr.Line, pr.Col = max(pe.Position.Line, 1), max(pe.Position.Col, 1)
		// The line is counted after the lexer stepped over a newline it
		// complains about; the byte offset is exact.
		src := strings.TrimPrefix(string(data), "\ufeff")
		if start := pe.Position.Start; start >= 0 && start <= len(src) {
			ls := strings.LastIndexByte(src[:start], '\n') + 1
			pr.Line, pr.Col = strings.Count(src[:start], "\n")+1, start-ls+1
		}
	}
	// The library quotes the text it stumbled on; keep that short.
	pr.Msg = quoted.ReplaceAllStringFunc(pr.Msg, func(s string) string {
		if s[0] == '\'' {
			if r := []rune(s[1 : len(s)-1]); len(r) > 60 {
				return "'" + string(r[:60]) + "…'"
			}
			return s
		}
		if u, err := strconv.Unquote(s); err == nil {
			return q(u)
		}
		return s
	})
	if r := []rune(pr.Msg); len(r) > 200 {
		pr.Msg = string(r[:200]) + "…"
	}
	return pr
}

var quoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'[^'\n]*'`)

// integrationNames returns the name of each [[integration]] ("" when not a
// string), for Problem.Integration.
func integrationNames(raw map[string]any) []string {
	var names []string
	for i := 0; ; i++ {
		t, ok := rawTable(raw, "integration", i)
		if !ok {
			return names
		}
		s, _ := t["name"].(string)
		names = append(names, s)
	}
}

// rawTable returns raw[key][i] when it is a table.
func rawTable(raw map[string]any, key string, i int) (map[string]any, bool) {
	switch list := raw[key].(type) {
	case []map[string]any:
		if i < len(list) {
			return list[i], true
		}
	case []any:
		if i < len(list) {
			t, ok := list[i].(map[string]any)
			return t, ok
		}
	}
	return nil, false
}
