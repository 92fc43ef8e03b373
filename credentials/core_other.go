//go:build !unix

package credentials

// noCoreDumps: Windows writes no core file unless Windows Error Reporting
// is set up to keep full dumps.
func noCoreDumps() {}
