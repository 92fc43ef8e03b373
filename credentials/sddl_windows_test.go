package credentials

import (
	"testing"

	"golang.org/x/sys/windows"
)

// TestPipeSDDLParses asks Windows itself to read PipeSDDL.
func TestPipeSDDLParses(t *testing.T) {
	sd, err := windows.SecurityDescriptorFromString(PipeSDDL)
	if err != nil {
		t.Fatal(err)
	}
	if got := sd.String(); got != PipeSDDL {
		t.Fatalf("Windows reads %q as %q", PipeSDDL, got)
	}
}
