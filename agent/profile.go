package main

import (
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
)

// hiddenValue is a string flag that the help and the unknown-flag hint
// do not list: for those who know it (--cpuprofile).
type hiddenValue struct{ s *string }

func (v hiddenValue) String() string {
	if v.s == nil {
		return ""
	}
	return *v.s
}
func (v hiddenValue) Set(s string) error { *v.s = s; return nil }
func (hiddenValue) Hidden() bool         { return true }

// hiddenString defines a string flag of fs left out of its help.
func hiddenString(fs *flag.FlagSet, name, usage string) *string {
	s := new(string)
	fs.Var(hiddenValue{s}, name, usage)
	return s
}

// isHidden reports whether f is left out of the help.
func isHidden(f *flag.Flag) bool {
	h, ok := f.Value.(interface{ Hidden() bool })
	return ok && h.Hidden()
}

// startCPUProfile writes a CPU profile of the process to path until the
// returned stop is called.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
