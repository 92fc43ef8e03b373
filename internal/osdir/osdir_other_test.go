//go:build !windows

package osdir

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestMkdirPrivateUnix(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	base := t.TempDir()
	dir := filepath.Join(base, "a", "b")
	if err := MkdirPrivate(dir); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{filepath.Join(base, "a"), dir} {
		if fi, err := os.Stat(d); err != nil || fi.Mode().Perm() != 0o700 {
			t.Fatalf("%s: %v, mode %v; want 0700", d, err, fi.Mode().Perm())
		}
	}
	// An existing folder keeps the mode its owner gave it.
	os.Chmod(dir, 0o750)
	if err := MkdirPrivate(dir); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o750 {
		t.Fatalf("mode %v; want 0750 kept", fi.Mode().Perm())
	}
}

func TestCheckPrivateUnix(t *testing.T) {
	p := filepath.Join(t.TempDir(), "key")
	os.WriteFile(p, []byte("k\n"), 0o600)
	if err := CheckPrivate(p); err != nil {
		t.Fatal(err)
	}
	os.Chmod(p, 0o640)
	if err := CheckPrivate(p); err == nil || !strings.Contains(err.Error(), "readable by others (mode 0640): chmod 600 "+p) {
		t.Fatalf("0640: %v", err)
	}
}
