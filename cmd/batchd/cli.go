package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
)

// parseFlags parses args with fs, whose usage begins with synopsis (and
// ends with notes, when given). -h or --help prints the usage to stdout:
// ok is false and code 0. A usage error prints the error and the usage to
// stderr: ok is false and code 2.
func parseFlags(fs *flag.FlagSet, synopsis, notes string, args []string, stdout, stderr io.Writer) (ok bool, code int) {
	fs.SetOutput(stderr)
	fs.Usage = func() {} // printed below, to where it belongs
	err := fs.Parse(args)
	if err == nil {
		return true, 0
	}
	out, code := stderr, 2
	if errors.Is(err, flag.ErrHelp) {
		out, code = stdout, 0
	}
	printUsage(out, fs, synopsis, notes)
	return false, code
}

// printUsage writes fs's synopsis, flags and notes.
func printUsage(w io.Writer, fs *flag.FlagSet, synopsis, notes string) {
	fmt.Fprintf(w, "Usage:\n  %s\n", synopsis)
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		fmt.Fprintln(w, "\nFlags:")
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
	if notes != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(notes))
	}
}

// isHelp reports whether arg asks for help.
func isHelp(arg string) bool {
	switch arg {
	case "-h", "-help", "--help", "help":
		return true
	}
	return false
}

const versionSynopsis = "batchd version"

// versionMain prints what the binary was built from: the module version,
// the VCS commit (and whether the tree was modified), and the Go version.
func versionMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("batchd version", flag.ContinueOnError)
	if ok, code := parseFlags(fs, versionSynopsis, "Prints batchd's module version, the VCS commit it was built from and the Go version.", args, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "batchd version: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	fmt.Fprint(stdout, versionText(debug.ReadBuildInfo))
	return 0
}

// versionText formats the build info read gives.
func versionText(read func() (*debug.BuildInfo, bool)) string {
	version, commit, modified, goVersion := "unknown", "unknown", "", runtime.Version()
	if bi, ok := read(); ok {
		version = bi.Main.Version
		if version == "" {
			version = "(devel)"
		}
		if bi.GoVersion != "" {
			goVersion = bi.GoVersion
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					modified = " (modified)"
				}
			}
		}
	}
	return fmt.Sprintf("batchd %s\ncommit: %s%s\ngo: %s\n", version, commit, modified, goVersion)
}
