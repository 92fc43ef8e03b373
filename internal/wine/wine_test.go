package wine

import (
	"os"
	"runtime"
	"testing"
)

// TestRunning: the Windows lane of .ci/run sets AGENT_TEST_WINE=1 for the
// binaries it runs under Wine; elsewhere Running must say no.
func TestRunning(t *testing.T) {
	want := runtime.GOOS == "windows" && os.Getenv("AGENT_TEST_WINE") == "1"
	if got := Running(); got != want {
		t.Fatalf("Running() = %v; want %v (GOOS %s, AGENT_TEST_WINE=%q)", got, want, runtime.GOOS, os.Getenv("AGENT_TEST_WINE"))
	}
}
