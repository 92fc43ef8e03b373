package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/agentsync/agent/internal/fastjson"
)

// checkFastJSON fails t unless fastjson.Parse and encoding/json (the old
// ParseJSON path) agree on body: both accept it with DeepEqual trees, or
// both reject it. It also checks ParseJSON still returns the old result.
func checkFastJSON(t *testing.T, body []byte) {
	t.Helper()
	trimmed := trimJSONSpace(body)
	got, err := ParseJSON(body)
	if len(trimmed) == 0 {
		if err == nil {
			t.Fatalf("ParseJSON(%q) accepted an empty body", body)
		}
		return
	}
	fast, ok := fastjson.Parse(trimmed)
	want, wantErr := parseJSONStd(trimmed)
	switch {
	case ok && wantErr != nil:
		t.Fatalf("fast decoder accepts %q as %#v; encoding/json rejects it: %v", body, fast, wantErr)
	case !ok && wantErr == nil:
		t.Fatalf("fast decoder rejects %q; encoding/json accepts it as %#v", body, want)
	case ok && !reflect.DeepEqual(fast, want):
		t.Fatalf("decoding %q:\n fast %#v\n std  %#v", body, fast, want)
	}
	if fmt.Sprint(err) != fmt.Sprint(wantErr) || !reflect.DeepEqual(got, want) {
		t.Fatalf("ParseJSON(%q) = %#v, %v; want %#v, %v", body, got, err, want, wantErr)
	}
}

var fastJSONCases = []string{
	// Plain values and whitespace.
	`null`, `true`, `false`, `0`, `-0`, `""`, `"a"`, `{}`, `[]`, ` { } `, "\t[\r\n]\n",
	`[ 1 , 2 ,3 ]`, "{ \"a\" :\t1 ,\n\"b\":[ ] }", `{"a":{},"b":[],"c":[{}],"d":[[]]}`,
	`{"data":[{"id":123,"email":"User1@Example.com","status":"active"}],"next_cursor":"abc"}`,
	// Whitespace JSON does not allow, inside and around the value.
	"[1,\v2]", "[1,\f2]", "[\u00a01]", "\v[1]\f", "\u00a0{}\u2028",
	// Numbers, kept as their literal text.
	`123456789012345678901234567890`, `-1.5e+300`, `1E5`, `1e-5`, `0.0`, `-0.0e0`, `1.25E+02`,
	`[1e400,-1e400,1e-400]`, `[0,1,-1]`,
	`01`, `-01`, `00`, `+1`, `.5`, `1.`, `1.e5`, `1e`, `1e+`, `1E-`, `-`, `--1`, `0x10`, `1_000`,
	`[01]`, `[1.]`, `[-]`, `{"a":-}`, `1.5.5`, `1e5e5`, `NaN`, `Infinity`, `-Infinity`, `[.1]`,
	// Literals.
	`tru`, `truex`, `nul`, `nulll`, `True`, `[true false]`, `[true,false,null]`, `fals`,
	// Strings and escapes.
	`"\"\\\/\b\f\n\r\t"`, `"\u0000"`, `"\u00e9\u00E9"`, `"\u20AC"`, `"a\u0041b"`,
	`"\ud83d\ude00"`, `"\uD83D\uDE00x"`, `"\ud83d"`, `"\ude00"`, `"\ud83d\u0041"`, `"\ud83dx"`,
	`"\ud83d\ud83d\ude00"`, `"\ude00\ud83d"`, `"\ud83d\\"`, `"\ud83d\"`, `"\ud83d\u00"`,
	`"\ud83d\uzzzz"`, `"\ud83d\n"`, `"\udbff\udfff"`, `"\ud800\udc00"`, `"\uFFFD"`, `"\uFFFE"`,
	`"\'"`, `"\a"`, `"\x41"`, `"\u12"`, `"\u12g4"`, `"\U0041"`, `"\`, `"\u`, `"abc`, `"`,
	`"ab\"`, "\"a\tb\"", "\"a\nb\"", "\"a\x00b\"", "\"a\x1fb\"", "\"a\x7fb\"",
	"\"é €😀\"", "\"\xff\"", "\"a\xffb\"", "\"\xc3\"", "\"\xc3\x28\"", "\"\xed\xa0\x80\"",
	"\"\xf4\x90\x80\x80\"", "\"\xe2\x82\"", "\"\xef\xbf\xbd\"", "\"\\n\xff\"", "\"\xff\\n\"",
	"{\"\xff\":1}", "{\"k\\u00e9\":1,\"k\\u00e9\":2}", "[\"\xf0\x9f\x98\"]",
	`"` + strings.Repeat(`\ud800`, 40) + `"`, "\"" + strings.Repeat("\xff", 40) + "\"",
	// Objects.
	`{"a":1,"a":2}`, `{"a":1,"b":2,"a":3}`, `{"a\u0062":1,"ab":2}`, `{"":1}`, `{"a":null}`,
	`{"a"}`, `{"a":}`, `{"a" 1}`, `{a:1}`, `{'a':1}`, `{"a":1,}`, `{,}`, `{"a":1 "b":2}`,
	`{1:2}`, `{"a":1]`, `{`, `{"a"`, `{"a":`, `{"a":1`, `{"a":1,`, `}`, `{}}`,
	// Arrays.
	`[1,]`, `[,1]`, `[,]`, `[1 2]`, `[`, `[1`, `[1,`, `]`, `[]]`, `[}`, `[1}`, `[[]`,
	// More than one value.
	`1 2`, `{} {}`, `[] []`, `"a""b"`, `null null`, `{}x`, `1x`, `"a"x`, `[]1`,
	// Not JSON at all.
	`<html>`, `OK`, `'a'`, "\x00", "\xef\xbb\xbf{}", `/* c */ 1`, `1 // c`, `undefined`,
}

// Only JSON's four whitespace characters may surround the value; Unicode
// spaces that bytes.TrimSpace would cut make the body not JSON.
func TestParseJSONWhitespace(t *testing.T) {
	for _, tt := range []struct {
		name, body string
		ok         bool
	}{
		{"json whitespace", " \t\r\n{\"a\":1} \t\r\n", true},
		{"none", `{"a":1}`, true},
		{"vertical tab before", "\v{\"a\":1}", false},
		{"vertical tab after", "{\"a\":1}\v", false},
		{"form feed before", "\f[1]", false},
		{"form feed after", "[1]\f", false},
		{"no-break space before", "\u00a0{}", false},
		{"no-break space after", "{}\u00a0", false},
		{"next line after", "{}\u0085", false},
		{"line separator after", "{}\u2028", false},
		{"only a vertical tab", "\v", false},
		{"only json whitespace", " \t\r\n", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v, err := ParseJSON([]byte(tt.body))
			switch {
			case tt.ok && err != nil:
				t.Fatalf("ParseJSON(%q) = %v, want a value", tt.body, err)
			case !tt.ok && err == nil:
				t.Fatalf("ParseJSON(%q) = %#v, want an error", tt.body, v)
			case !tt.ok && !errors.Is(err, ErrNotJSON):
				t.Fatalf("ParseJSON(%q) = %v, want ErrNotJSON", tt.body, err)
			}
		})
	}
}

func TestFastJSONMatchesEncodingJSON(t *testing.T) {
	for _, c := range fastJSONCases {
		checkFastJSON(t, []byte(c))
	}
}

func TestFastJSONDepth(t *testing.T) {
	for _, n := range []int{1, 100, fastjson.MaxDepth - 1, fastjson.MaxDepth, fastjson.MaxDepth + 1, 3 * fastjson.MaxDepth} {
		arrays := strings.Repeat("[", n) + strings.Repeat("]", n)
		objects := strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n)
		inner := "0"
		if n%2 == 1 {
			inner = "[]"
		}
		mixed := strings.Repeat(`[{"a":`, n/2) + inner + strings.Repeat("}]", n/2)
		for _, body := range []string{arrays, objects, mixed} {
			_, ok := fastjson.Parse([]byte(body))
			if want := n <= fastjson.MaxDepth; ok != want {
				t.Errorf("depth %d: fast decoder ok = %v, want %v", n, ok, want)
			}
			checkFastJSON(t, []byte(body))
		}
	}
	// Deep but unterminated, and too deep then broken.
	checkFastJSON(t, []byte(strings.Repeat("[", 2*fastjson.MaxDepth)))
	checkFastJSON(t, []byte(strings.Repeat("[", fastjson.MaxDepth+1)+"x"))
}

// The tree must be exactly what encoding/json builds: json.Number, not
// float64 or string; non-nil empty slices; the last duplicate key wins.
func TestFastJSONTree(t *testing.T) {
	v, err := ParseJSON([]byte(` {"id":12345678901234567890,"a":[],"o":{},"d":1,"d":"two","s":"x\u00e9\ud800y","n":null} `))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"id": json.Number("12345678901234567890"),
		"a":  []any{},
		"o":  map[string]any{},
		"d":  "two",
		"s":  "xé\uFFFDy",
		"n":  nil,
	}
	if !reflect.DeepEqual(v, want) {
		t.Fatalf("got %#v\nwant %#v", v, want)
	}
	if v.(map[string]any)["a"].([]any) == nil {
		t.Fatal("empty array decoded as a nil slice")
	}
}

// Error messages come from encoding/json, as before the fast decoder.
// (Offsets are not pinned: they differ under GOEXPERIMENT=jsonv2.)
func TestFastJSONErrors(t *testing.T) {
	for body, want := range map[string]string{
		"  \n ":                                  "not JSON: the body is empty",
		`{"a":1`:                                 "not JSON: the body ends in the middle of a value (truncated after 6 bytes)",
		`{"a":1} x`:                              "not JSON: more data after the JSON value (at byte 7)",
		`{"a":1}{"b":2}`:                         "not JSON: more data after the JSON value (at byte 7)",
		`[1,]`:                                   "not JSON: invalid character ']'",
		`[1 2]`:                                  "not JSON: invalid character '2' after array element (at byte ",
		`{"a":tru}`:                              "not JSON: invalid character '}' in literal true",
		"\"a\x00\"":                              "not JSON: invalid character '\\x00' in string",
		strings.Repeat("[", fastjson.MaxDepth+1): "exceeded max depth (at byte ",
	} {
		_, err := ParseJSON([]byte(body))
		if err == nil || !errors.Is(err, ErrNotJSON) || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseJSON(%.40q) = %v, want ErrNotJSON with %q", body, err, want)
		}
		if trimmed := trimJSONSpace([]byte(body)); len(trimmed) > 0 {
			if _, old := parseJSONStd(trimmed); fmt.Sprint(err) != fmt.Sprint(old) {
				t.Errorf("ParseJSON(%.40q) = %v, encoding/json says %v", body, err, old)
			}
		}
	}
}

// Keys with escapes are interned: they cost allocations once per call,
// not once per record.
func TestFastJSONInternsKeys(t *testing.T) {
	records := func(key string, n int) []byte {
		return []byte("[" + strings.Repeat(`{"`+key+`":1},`, n-1) + `{"` + key + `":1}]`)
	}
	extra := func(n int) float64 {
		escaped, plain := records(`caf\u00e9`, n), records("cafe", n)
		if _, ok := fastjson.Parse(escaped); !ok {
			t.Fatal("rejected")
		}
		return testing.AllocsPerRun(20, func() { fastjson.Parse(escaped) }) -
			testing.AllocsPerRun(20, func() { fastjson.Parse(plain) })
	}
	if few, many := extra(10), extra(200); few != many {
		t.Errorf("escaped keys cost %v more allocations than plain ones for 10 records, %v for 200", few, many)
	}
}

func FuzzFastJSON(f *testing.F) {
	for _, c := range fastJSONCases {
		f.Add([]byte(c))
	}
	f.Add(pageBody(3, false))
	f.Add(pageBody(3, true))
	f.Fuzz(func(t *testing.T, body []byte) {
		checkFastJSON(t, body)
	})
}

// pageBody is a vendor API page of n user records, with a few escaped
// strings if escapes is set.
func pageBody(n int, escapes bool) []byte {
	var b bytes.Buffer
	b.WriteString(`{"data":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		name := fmt.Sprintf("User Number %d", i)
		if escapes && i%10 == 0 {
			name = fmt.Sprintf(`User \"Nick\" N\u00famero %d \ud83d\ude00`, i)
		}
		fmt.Fprintf(&b, `{"id":%d,"email":"User%d@Example.com","name":"%s","department":"Dept%d","status":"active","last_login":"2023-11-14T22:13:20Z"}`,
			123+i, i, name, i%17)
	}
	b.WriteString(`],"next_cursor":"abc"}`)
	return b.Bytes()
}

func BenchmarkParseJSONPage(b *testing.B) {
	for _, page := range []struct {
		name string
		body []byte
	}{
		{"plain", pageBody(1000, false)},
		{"escapes", pageBody(1000, true)},
	} {
		if _, ok := fastjson.Parse(page.body); !ok {
			b.Fatal("fast decoder rejects the page")
		}
		b.Run(page.name+"/encoding_json", func(b *testing.B) {
			b.SetBytes(int64(len(page.body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := parseJSONStd(bytes.TrimSpace(page.body)); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(page.name+"/fast", func(b *testing.B) {
			b.SetBytes(int64(len(page.body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParseJSON(page.body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
