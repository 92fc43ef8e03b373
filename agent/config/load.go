package config

import (
	"errors"
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
// When the file cannot be read the error is the *fs.PathError of os.ReadFile
// (errors.Is(err, fs.ErrNotExist) works). When it is not valid the error is
// an *Error holding every problem found, each formatted as
// PATH:LINE:COL: message with PATH as given here. A TOML syntax error stops
// the reading, so it comes alone; otherwise type mismatches, unknown keys
// and invalid values are all reported.
//
// Integrations that are valid but in draft (see Integration.Missing) are not
// problems.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Parse is Load for a file already read: name is its path, used in problems
// and, made absolute, to resolve relative paths in the file.
func Parse(name string, data []byte) (*Config, error) {
	cfg := defaults()
	cfg.Path = name
	if abs, err := filepath.Abs(name); err == nil {
		cfg.Path = abs
	}
	cfg.Dir = filepath.Dir(cfg.Path)

	var raw map[string]any
	if _, err := toml.Decode(string(data), &raw); err != nil {
		return nil, &Error{Problems: []Problem{syntaxProblem(name, data, err)}}
	}
	r := &reporter{file: name, ix: locate(string(data)), bad: map[string]bool{}}
	r.names = integrationNames(raw)
	(&decoder{r}).table(nil, raw, reflect.ValueOf(cfg).Elem(), nil)
	validate(cfg, raw, r)
	if err := r.err(); err != nil {
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
