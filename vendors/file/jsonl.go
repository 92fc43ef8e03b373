package file

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/agentsync/agent/internal/fastjson"
)

// lineReader reads a file line by line, however long the lines are (up to
// max), without Scanner's 64 KiB limit.
type lineReader struct {
	r    *bufio.Reader
	name string
	max  int
	line int    // number of the line last returned
	buf  []byte // holds a line longer than r's buffer

	// One decoder serves every line: feed hands it one line at a time and
	// reports io.EOF at the line's end. A valid line is an object, which
	// the decoder ends at its '}' without reading further, so it never
	// sees that EOF; any other line is an error that ends the fetch. This
	// saves a decoder, its buffer and its parse stack per line.
	dec  *json.Decoder
	feed lineFeed
}

// lineFeed is the decoder's input: the rest of the current line.
type lineFeed struct {
	rest []byte
	fed  int64 // bytes handed out so far
}

func (f *lineFeed) Read(p []byte) (int, error) {
	if len(f.rest) == 0 {
		return 0, io.EOF
	}
	n := copy(p, f.rest)
	f.rest = f.rest[n:]
	f.fed += int64(n)
	return n, nil
}

func newLineReader(f *os.File, name string, max int) *lineReader {
	lr := &lineReader{r: bufio.NewReaderSize(f, readBufSize), name: name, max: max}
	skipBOM(lr.r)
	return lr
}

// next returns the next line without its line end, or io.EOF. The line is
// valid until the next call.
func (lr *lineReader) next() ([]byte, error) {
	lr.buf = lr.buf[:0]
	for {
		chunk, err := lr.r.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			if len(lr.buf)+len(chunk) > lr.max+2 { // +2: room for the line end
				return nil, lr.tooLong(lr.line + 1)
			}
			lr.buf = append(lr.buf, chunk...)
			continue
		}
		if len(lr.buf) > 0 {
			lr.buf = append(lr.buf, chunk...)
			chunk = lr.buf
		}
		if err != nil && err != io.EOF {
			return nil, readErr(lr.name, lr.line+1, err)
		}
		if err == io.EOF && len(chunk) == 0 {
			return nil, io.EOF
		}
		lr.line++
		if n := len(chunk); n > 0 && chunk[n-1] == '\n' {
			chunk = chunk[:n-1]
			if n := len(chunk); n > 0 && chunk[n-1] == '\r' {
				chunk = chunk[:n-1]
			}
		}
		if len(chunk) > lr.max {
			return nil, lr.tooLong(lr.line)
		}
		return chunk, nil
	}
}

func (lr *lineReader) tooLong(line int) error {
	return &Error{File: lr.name, Line: line, Err: fmt.Errorf("%w (more than %d bytes)", ErrLineTooLong, lr.max)}
}

// object decodes line, which must hold exactly one JSON object. Numbers
// become json.Number.
func (lr *lineReader) object(line []byte) (map[string]any, error) {
	// Most lines are valid: the fast decoder builds the same tree with far
	// fewer allocations; encoding/json reads the rest, for its message.
	if v, ok := fastjson.Parse(line); ok {
		if m, ok := v.(map[string]any); ok {
			return m, nil
		}
		return nil, &Error{File: lr.name, Line: lr.line, Err: notObject(v)}
	}
	if lr.dec == nil {
		lr.dec = json.NewDecoder(&lr.feed)
		lr.dec.UseNumber()
	}
	lr.feed.rest = line
	var v any
	if err := lr.dec.Decode(&v); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, &Error{File: lr.name, Line: lr.line, Msg: "invalid JSON", Err: err}
	}
	// What the decoder has not consumed of the line: the bytes it buffered
	// beyond the value and those it never asked for.
	tail := len(lr.feed.rest) + int(lr.feed.fed-lr.dec.InputOffset())
	if tail < 0 || tail > len(line) || !blank(line[len(line)-tail:]) {
		return nil, &Error{File: lr.name, Line: lr.line, Msg: "invalid JSON", Err: errors.New("more than one value on the line")}
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, &Error{File: lr.name, Line: lr.line, Err: notObject(v)}
	}
	return m, nil
}

// blank reports whether line holds only JSON whitespace.
func blank(line []byte) bool {
	for _, c := range line {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}

func (s *source) readJSONL(f *os.File, p *pager) error {
	lr := newLineReader(f, s.name, s.maxLine)
	for {
		line, err := lr.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if blank(line) {
			continue
		}
		m, err := lr.object(line)
		if err != nil {
			return err
		}
		if err := p.add(m, lr.line); err != nil {
			return err
		}
	}
}
