package file

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// readJSON streams the elements of the top-level array of f. The decoder
// buffers one element at a time; lines for errors are found afterwards by
// counting newlines in the file up to the offending byte.
func (s *source) readJSON(f *os.File, p *pager) error {
	br := bufio.NewReaderSize(f, readBufSize)
	base := skipBOM(br) // decoder offsets are relative to the byte after the BOM
	dec := json.NewDecoder(br)
	dec.UseNumber()

	tok, err := dec.Token()
	if err == io.EOF {
		return &Error{File: s.name, Line: 1, Err: errors.New("empty file, want a JSON array")}
	}
	if err != nil {
		return s.jsonErr(f, base, dec, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		got := kind(tok)
		if d == '{' {
			got = "object"
		}
		return &Error{File: s.name, Line: lineAt(f, base, true), Err: fmt.Errorf("%w (got %s)", ErrNotArray, got)}
	}
	lines := &lineCounter{r: f, line: 1}
	for dec.More() {
		start := dec.InputOffset()
		var v any
		if err := dec.Decode(&v); err != nil {
			return s.jsonErr(f, base, dec, err)
		}
		m, ok := v.(map[string]any)
		if !ok {
			return &Error{File: s.name, Line: lineAt(f, base+start, true), Err: notObject(v)}
		}
		if err := p.add(m, lines.at(base+start)); err != nil {
			return err
		}
	}
	// More is false at ']', at a stray '}', at the end of the input and on
	// a read error; only ']' is right.
	if _, err := dec.Token(); err != nil {
		return s.jsonErr(f, base, dec, err)
	}
	end := dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		return &Error{File: s.name, Line: lineAt(f, base+end, true), Msg: "invalid JSON", Err: errors.New("data after the top-level array")}
	}
	return nil
}

// jsonErr turns an error of dec into an *Error carrying the line where the
// input went wrong.
func (s *source) jsonErr(f *os.File, base int64, dec *json.Decoder, err error) error {
	var se *json.SyntaxError
	switch {
	case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
		return &Error{File: s.name, Line: lastLine(f), Msg: "invalid JSON", Err: io.ErrUnexpectedEOF}
	case errors.As(err, &se):
		// The decoder's offsets are not absolute once tokens were read, but
		// it stopped at the start of the value it could not read: decode
		// that value again with a fresh decoder, whose offset is exact.
		start := base + dec.InputOffset()
		pos, skip := start, true
		d := json.NewDecoder(bufio.NewReader(io.NewSectionReader(f, start, 1<<62)))
		var v any
		err2 := d.Decode(&v)
		var se2 *json.SyntaxError
		switch {
		case errors.As(err2, &se2) && se2.Offset > 0:
			pos, skip = start+se2.Offset-1, false
		case err2 == io.EOF || errors.Is(err2, io.ErrUnexpectedEOF):
			return &Error{File: s.name, Line: lastLine(f), Msg: "invalid JSON", Err: err}
		}
		return &Error{File: s.name, Line: lineAt(f, pos, skip), Msg: "invalid JSON", Err: err}
	default:
		return readErr(s.name, 0, err)
	}
}

// lineAt returns the 1-based line of byte pos of r; with skip, of the first
// byte at or after pos that is neither JSON whitespace nor a comma.
func lineAt(r io.ReaderAt, pos int64, skip bool) int {
	br := bufio.NewReaderSize(io.NewSectionReader(r, 0, 1<<62), readBufSize)
	line := 1
	for off := int64(0); ; off++ {
		c, err := br.ReadByte()
		if err != nil {
			return line
		}
		if off >= pos && (!skip || (c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != ',')) {
			return line
		}
		if c == '\n' {
			line++
		}
	}
}

// lastLine returns the line of the last byte of r that is not whitespace
// (1 when there is none).
func lastLine(r io.ReaderAt) int {
	br := bufio.NewReaderSize(io.NewSectionReader(r, 0, 1<<62), readBufSize)
	line, last := 1, 1
	for {
		c, err := br.ReadByte()
		if err != nil {
			return last
		}
		switch c {
		case '\n':
			line++
		case ' ', '\t', '\r':
		default:
			last = line
		}
	}
}

// lineCounter finds the lines of increasing offsets of r in one pass: the
// line of each element of the array, as lineAt with skip finds it.
type lineCounter struct {
	r    io.ReaderAt
	off  int64 // bytes counted
	line int   // the line of byte off
	buf  [4096]byte
}

// at returns the 1-based line of the first byte at or after pos that is
// neither JSON whitespace nor a comma; pos never goes back.
func (c *lineCounter) at(pos int64) int {
	for c.off < pos {
		n, err := c.r.ReadAt(c.buf[:min(int64(len(c.buf)), pos-c.off)], c.off)
		for _, b := range c.buf[:n] {
			if b == '\n' {
				c.line++
			}
		}
		c.off += int64(n)
		if err != nil && n == 0 {
			return c.line
		}
	}
	// Look ahead past the separators without counting them in.
	line, off := c.line, c.off
	var b [1]byte
	for {
		if _, err := c.r.ReadAt(b[:], off); err != nil {
			return line
		}
		switch b[0] {
		case '\n':
			line++
		case ' ', '\t', '\r', ',':
		default:
			return line
		}
		off++
	}
}
