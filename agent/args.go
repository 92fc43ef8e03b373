package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/agentsync/agent/agent/config"
)

// Exit codes of the CLI contract.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

// usageError is bad usage or an invalid config: exit code 2. err, when
// set, is the cause (errors.Is(err, fs.ErrNotExist) for a missing config).
type usageError struct {
	msg string
	err error
}

func (e usageError) Error() string { return e.msg }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, a ...any) error { return usageError{msg: fmt.Sprintf(format, a...)} }

// parseFlags parses the flags of a command that takes no names: a name is
// a usage error, "<command> takes no names" and why (without a why, the
// names it got).
func parseFlags(fs *flag.FlagSet, args []string, why string) error {
	names, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(names) > 0 {
		if why == "" {
			return usagef("%s takes no names (got %q)", fs.Name(), names)
		}
		return usagef("%s takes no names: %s", fs.Name(), why)
	}
	return nil
}

// parseArgs parses flags and names in any order (`run-now --json acme` =
// `run-now acme --json`), which the standard flag package does not. A
// flag is -name or --name, its value after "=" or in the next argument;
// problems are said with "--", as the usage text writes flags.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var names []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			names = append(names, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			names = append(names, a)
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		f := fs.Lookup(name)
		if f == nil {
			if name == "h" || name == "help" {
				return nil, helpError{fs}
			}
			return nil, usagef("%s: unknown flag --%s%s", fs.Name(), name, flagHint(fs, name))
		}
		if !hasValue {
			if isBoolFlag(f) {
				value = "true"
			} else if i+1 < len(args) {
				i++
				value = args[i]
			} else {
				return nil, usagef("%s: --%s needs a value", fs.Name(), name)
			}
		}
		if err := fs.Set(name, value); err != nil {
			return nil, usagef("%s: --%s %q: %v", fs.Name(), name, value, flagValueError(f, err))
		}
	}
	return names, nil
}

// helpError is --help of a command: flag.ErrHelp, with the command's
// flags for the help text.
type helpError struct{ fs *flag.FlagSet }

func (helpError) Error() string        { return flag.ErrHelp.Error() }
func (helpError) Is(target error) bool { return target == flag.ErrHelp }

// printHelp writes a command's help: its lines of the usage text, then
// each flag with its default.
func printHelp(w io.Writer, cmd string, fs *flag.FlagSet) {
	fmt.Fprintln(w, "Usage: agent [--config PATH]")
	lines := strings.Split(usageText, "\n")
	for i, l := range lines {
		if f := strings.Fields(l); len(f) == 0 || f[0] != cmd || !strings.HasPrefix(l, "  ") {
			continue
		}
		fmt.Fprintln(w, l)
		for _, next := range lines[i+1:] { // a description on the lines below
			if !strings.HasPrefix(next, "          ") {
				break
			}
			fmt.Fprintln(w, next)
		}
	}
	if fs == nil {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	n := 0
	fs.VisitAll(func(f *flag.Flag) {
		if isHidden(f) {
			return
		}
		if n++; n == 1 {
			fmt.Fprintln(tw, "\nFlags:")
		}
		def := ""
		if f.DefValue != "" && !(isBoolFlag(f) && f.DefValue == "false") {
			def = fmt.Sprintf(" (default: %s)", f.DefValue)
		}
		fmt.Fprintf(tw, "  --%s\t%s%s\n", f.Name, f.Usage, def)
	})
	tw.Flush()
}

// flagHint suggests the closest flag of fs, else lists them.
func flagHint(fs *flag.FlagSet, name string) string {
	var all []string
	fs.VisitAll(func(f *flag.Flag) {
		if !isHidden(f) {
			all = append(all, f.Name)
		}
	})
	if len(all) == 0 {
		return " (it takes no flags)"
	}
	if best := config.Closest(name, all); best != "" {
		return fmt.Sprintf(" (did you mean --%s?)", best)
	}
	return " (flags: --" + strings.Join(all, ", --") + ")"
}

// flagValueError says what a flag wants, for the flag package's bare
// "parse error" of a number, duration or bool.
func flagValueError(f *flag.Flag, err error) error {
	if err.Error() != "parse error" {
		return err
	}
	switch t := fmt.Sprintf("%T", f.Value); {
	case isBoolFlag(f):
		return errors.New("want true or false")
	case strings.Contains(t, "duration"):
		return errors.New("want a duration such as 30s or 5m")
	case strings.Contains(t, "int") || strings.Contains(t, "float"):
		return errors.New("want a number")
	}
	return err
}

func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// splitGlobal takes the global --config flag out of args, wherever it is.
func splitGlobal(args []string) (configPath string, rest []string, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--config" || a == "-config":
			if i+1 >= len(args) {
				return "", nil, usagef("--config needs a path")
			}
			configPath = args[i+1]
			i++
		case strings.HasPrefix(a, "--config=") || strings.HasPrefix(a, "-config="):
			configPath = a[strings.Index(a, "=")+1:]
		case a == "--":
			rest = append(rest, args[i:]...)
			return configPath, rest, nil
		default:
			rest = append(rest, a)
		}
	}
	return configPath, rest, nil
}
