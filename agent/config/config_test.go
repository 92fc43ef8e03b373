package config

import (
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func TestProblemIntegration(t *testing.T) {
	_, err := Parse("c.toml", []byte("[agent]\nlog_level = \"x\"\n[[integration]]\nname = \"one\"\nvendor = \"nope\"\n"))
	var e *Error
	if !errors.As(err, &e) || len(e.Problems) != 2 {
		t.Fatalf("err = %v", err)
	}
	if e.Problems[0].Integration != "" || e.Problems[1].Integration != "one" {
		t.Fatalf("Integration = %q, %q", e.Problems[0].Integration, e.Problems[1].Integration)
	}
	if p := e.Problems[1]; p.File != "c.toml" || p.Line != 5 || p.Col != 1 {
		t.Fatalf("problem = %+v", p)
	}
}

// TestGolden loads each testdata/bad-*.toml and compares the problems with
// the .golden file next to it (go test -update rewrites them).
func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/bad-*.toml")
	if len(files) == 0 {
		t.Fatal("no testdata/bad-*.toml")
	}
	for _, f := range files {
		// Problems name the file as given: the goldens say testdata/, also
		// on Windows, where Glob answers testdata\.
		f = filepath.ToSlash(f)
		t.Run(filepath.Base(f), func(t *testing.T) {
			_, err := Load(f)
			if err == nil {
				t.Fatal("loaded without error")
			}
			got := err.Error() + "\n"
			golden := strings.TrimSuffix(f, ".toml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "none.toml"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v", err)
	}
}

// A file over MaxFileSize is refused before it is read (a 40 MB file once
// took 40 s and 0.9 GB to validate), as a problem naming the file.
func TestLoadTooLarge(t *testing.T) {
	const valid = "[[integration]]\nname = \"a\"\nvendor = \"file\"\nfile.path = \"a.csv\"\n# "
	sized := func(size int64) func(t *testing.T) string {
		return func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "config.toml")
			f, err := os.Create(p)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			// Sparse: the bytes are NULs, which only matters if it is read.
			if _, err := f.WriteString(valid); err != nil {
				t.Fatal(err)
			}
			if err := f.Truncate(size); err != nil {
				t.Fatal(err)
			}
			return p
		}
	}
	tests := []struct {
		name string
		file func(t *testing.T) string
		want string // "" = not refused for its size
	}{
		{"40 MB", sized(40 << 20), "config.toml: the file is 41943040 bytes, over the 10485760-byte (10 MB) limit of a config file"},
		{"one byte over", sized(MaxFileSize + 1), "config.toml: the file is 10485761 bytes, over the 10485760-byte (10 MB) limit"},
		{"a device that never ends", func(t *testing.T) string {
			if _, err := os.Stat("/dev/zero"); err != nil {
				t.Skip("no /dev/zero")
			}
			return "/dev/zero"
		}, "/dev/zero: the file is more than 10 MB, over the 10485760-byte (10 MB) limit"},
		{"at the limit", func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "config.toml")
			body := valid + strings.Repeat("x", MaxFileSize-len(valid)-1) + "\n"
			if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			return p
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.file(t)
			start := time.Now()
			cfg, err := Load(p)
			if tt.want == "" {
				if err != nil || len(cfg.Integrations) != 1 {
					t.Fatalf("Load = %v", err)
				}
				return
			}
			var ce *Error
			if !errors.As(err, &ce) || len(ce.Problems) != 1 || !strings.Contains(err.Error(), tt.want) ||
				!strings.HasPrefix(err.Error(), p+": ") {
				t.Fatalf("Load = %v, want an *Error with %q", err, tt.want)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("refusing took %v", d)
			}
		})
	}
	// Parse, given the bytes by a caller that read them itself, refuses
	// them the same way.
	_, err := Parse("big.toml", make([]byte, MaxFileSize+1))
	if want := "big.toml: the file is 10485761 bytes, over the"; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Parse = %v, want %q", err, want)
	}
}

func TestDefaults(t *testing.T) {
	cfg, err := Parse("config.toml", []byte("[[integration]]\nname = \"a\"\nvendor = \"file\"\nfile.path = \"a.csv\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && cfg.Agent.DataDir != "/var/lib/agent" {
		t.Errorf("data_dir = %q", cfg.Agent.DataDir)
	}
	want := Agent{DataDir: cfg.Agent.DataDir, TimeZone: "Local", LogLevel: "info", LogFormat: "text", MaxParallelRuns: DefaultMaxParallel}
	if cfg.Agent != want || cfg.Location != time.Local {
		t.Errorf("agent = %+v, location %v", cfg.Agent, cfg.Location)
	}
	if (cfg.Keyring != Keyring{Backend: "auto", PassphraseEnv: "AGENT_KEYRING_PASSPHRASE"}) {
		t.Errorf("keyring = %+v", cfg.Keyring)
	}
	if (cfg.SMTP != SMTP{Port: 587, Security: "starttls"}) {
		t.Errorf("smtp = %+v", cfg.SMTP)
	}
	if (cfg.HTTP != HTTP{Listen: "127.0.0.1:8787"}) || !cfg.HTTP.Enabled() || cfg.HTTP.TLS() {
		t.Errorf("http = %+v", cfg.HTTP)
	}
	in, ok := cfg.Integration("a")
	if !ok {
		t.Fatal("no integration a")
	}
	if in.Mode != "users" || in.Preference != "create_update" || in.Deactivate || in.MaxDeactivatePercent != 20 ||
		in.ScheduleSpec != "daily 23:00" || in.Schedule.String() != "daily 23:00" || !in.CatchUp {
		t.Errorf("integration = %+v", in)
	}
	if in.CompiledMapping == nil || in.CompiledFilters != nil {
		t.Errorf("compiled = %v, %v", in.CompiledMapping, in.CompiledFilters)
	}
	if _, ok := cfg.Integration("b"); ok {
		t.Error("found integration b")
	}
}

func TestDefaultPath(t *testing.T) {
	t.Setenv("AGENT_CONFIG", "/x/agent.toml")
	if p := DefaultPath(); p != "/x/agent.toml" {
		t.Errorf("DefaultPath() = %q", p)
	}
	t.Setenv("AGENT_CONFIG", "")
	if p := DefaultPath(); runtime.GOOS != "windows" && p != "/etc/agent/config.toml" {
		t.Errorf("DefaultPath() = %q", p)
	}
}

func TestHTTP(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		src  string
		want HTTP
	}{
		{"off", "[http]\nlisten = \"\"\n", HTTP{}},
		{"loopback names", "[http]\nlisten = \"localhost:9000\"\n", HTTP{Listen: "localhost:9000"}},
		{"IPv6 loopback", "[http]\nlisten = \"[::1]:0\"\n", HTTP{Listen: "[::1]:0"}},
		{"network with TLS, paths from the config's folder", "[http]\nlisten = \"0.0.0.0:8443\"\ntls_cert = \"tls/agent.crt\"\ntls_key = \"/etc/agent/agent.key\"\n",
			HTTP{Listen: "0.0.0.0:8443", TLSCert: filepath.Join(dir, "tls", "agent.crt"), TLSKey: "/etc/agent/agent.key"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse(filepath.Join(dir, "config.toml"), []byte(tc.src))
			if err != nil {
				t.Fatal(err)
			}
			if runtime.GOOS == "windows" {
				tc.want.TLSKey = cfg.HTTP.TLSKey // not absolute there
			}
			if cfg.HTTP != tc.want {
				t.Errorf("http = %+v, want %+v", cfg.HTTP, tc.want)
			}
			if cfg.HTTP.Enabled() != (tc.want.Listen != "") {
				t.Errorf("Enabled() = %v", cfg.HTTP.Enabled())
			}
		})
	}
}
