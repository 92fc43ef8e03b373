package file

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// readCSV streams the rows of f as records keyed by the header row.
func (s *source) readCSV(f *os.File, p *pager) error {
	br := bufio.NewReaderSize(f, readBufSize)
	skipBOM(br)
	cr := csv.NewReader(br)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = 0 // set from the header row

	header, err := cr.Read()
	if err == io.EOF {
		return &Error{File: s.name, Line: 1, Err: fmt.Errorf("%w: empty file, want a header row", ErrHeader)}
	}
	if err != nil {
		return s.csvErr(err, 0, 0)
	}
	line, _ := cr.FieldPos(0)
	keys := make([]string, len(header))
	seen := make(map[string]int, len(header))
	for i, h := range header {
		h = strings.TrimSpace(h)
		if h == "" {
			return &Error{File: s.name, Line: line, Err: fmt.Errorf("%w: column %d has no name", ErrHeader, i+1)}
		}
		if j, dup := seen[h]; dup {
			return &Error{File: s.name, Line: line, Err: fmt.Errorf("%w: duplicate column %q (columns %d and %d)", ErrHeader, h, j+1, i+1)}
		}
		seen[h] = i
		keys[i] = h
	}

	for {
		row, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return s.csvErr(err, len(row), len(keys))
		}
		m := make(map[string]any, len(keys))
		for i, k := range keys {
			m[k] = row[i]
		}
		line, _ := cr.FieldPos(0)
		if err := p.add(m, line); err != nil {
			return err
		}
	}
}

// csvErr turns an error of csv.Reader into an *Error with its line; got is
// and want are the field counts of a row with the wrong count.
func (s *source) csvErr(err error, got, want int) error {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return readErr(s.name, 0, err)
	}
	if errors.Is(pe.Err, csv.ErrFieldCount) {
		return &Error{File: s.name, Line: pe.StartLine, Err: &fieldCountError{got: got, want: want, pe: pe}}
	}
	return &Error{File: s.name, Line: pe.Line, Err: fmt.Errorf("column %d: %w", pe.Column, pe.Err)}
}

// fieldCountError is a row with the wrong number of fields. It unwraps to
// the *csv.ParseError and so matches csv.ErrFieldCount.
type fieldCountError struct {
	got, want int
	pe        *csv.ParseError
}

func (e *fieldCountError) Error() string {
	return fmt.Sprintf("wrong number of fields (got %d, want %d)", e.got, e.want)
}

func (e *fieldCountError) Unwrap() error { return e.pe }
