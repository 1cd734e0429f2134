package main

import (
	"flag"
	"io"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"
)

// Every command and subcommand prints its usage to stdout and exits 0 on
// -h or --help; a usage error still exits 2, on stderr.
func TestHelpEveryCommand(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // in the usage
	}{
		{[]string{"--help"}, "batchd serve"},
		{[]string{"-h"}, "batchd version"},
		{[]string{"help"}, "batchd policy simulate"},
		{[]string{"serve", "--help"}, "-metrics-listen"},
		{[]string{"serve", "-h"}, "BATCHD_LOG_LEVEL"},
		{[]string{"bench", "--help"}, "batchd bench submit"},
		{[]string{"bench", "submit", "--help"}, "-clients"},
		{[]string{"policy", "--help"}, "batchd policy validate"},
		{[]string{"policy", "-h"}, "batchd policy eval"},
		{[]string{"policy", "validate", "--help"}, "-kind"},
		{[]string{"policy", "simulate", "--help"}, "-resource-tag"},
		{[]string{"policy", "simulate", "-h"}, "-principal"},
		{[]string{"policy", "eval", "--help"}, "cases.jsonl"},
		{[]string{"policy", "builtins", "--help"}, "aws:NAME"},
		{[]string{"version", "--help"}, "batchd version"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errs := run(t, "", tc.args...)
			if code != 0 || !strings.Contains(out, tc.want) || !strings.HasPrefix(out, "Usage:") && !strings.HasPrefix(out, "batchd") || errs != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want 0 and usage with %q on stdout", code, out, errs, tc.want)
			}
		})
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "Usage:"},
		{[]string{"nope"}, "unknown command"},
		{[]string{"serve", "--nope"}, "-nope"},
		{[]string{"serve", "--log-format", "xml"}, "--log-format must be text or json"},
		{[]string{"serve", "--log-level", "loud"}, "--log-level must be"},
		{[]string{"bench"}, "Usage:"},
		{[]string{"bench", "submit", "--nope"}, "-nope"},
		{[]string{"policy"}, "Usage:"},
		{[]string{"policy", "nope"}, "unknown subcommand"},
		{[]string{"policy", "validate", "--nope"}, "-nope"},
		{[]string{"policy", "simulate", "--nope"}, "-nope"},
		{[]string{"policy", "eval", "--nope"}, "-nope"},
		{[]string{"policy", "builtins", "--nope"}, "-nope"},
		{[]string{"version", "--nope"}, "-nope"},
		{[]string{"version", "extra"}, "unexpected argument"},
	} {
		t.Run("usage error "+strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errs := run(t, "", tc.args...)
			if code != 2 || !strings.Contains(errs, tc.want) || out != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want 2 with %q on stderr", code, out, errs, tc.want)
			}
		})
	}
}

// Every serve flag names the environment variable it defaults to.
func TestServeFlagsNameTheirEnvironment(t *testing.T) {
	cfg := defaultConfig()
	envVar := regexp.MustCompile(`\((BATCHD_[A-Z_]+|DOCKER_HOST)[;)]`)
	serveFlags(&cfg, func(string) string { return "" }).VisitAll(func(f *flag.Flag) {
		if !envVar.MatchString(f.Usage) {
			t.Errorf("--%s: usage %q names no environment variable", f.Name, f.Usage)
		}
	})
	// And the variable sets the flag's default.
	vars := map[string]string{"BATCHD_LOG_FORMAT": "json", "BATCHD_LOG_LEVEL": "debug", "BATCHD_METRICS_LISTEN": "127.0.0.1:9999"}
	got, err := parseServeFlags(nil, func(k string) string { return vars[k] }, io.Discard)
	if err != nil || got.LogFormat != "json" || got.LogLevel != "debug" || got.MetricsListen != "127.0.0.1:9999" {
		t.Errorf("from the environment: %+v, %v", got, err)
	}
}

func TestVersion(t *testing.T) {
	bi := func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "batchd", Version: "v1.2.3"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.modified", Value: "true"}}}, true
	}
	if got, want := versionText(bi), "batchd v1.2.3\ncommit: abc123 (modified)\ngo: go1.26.8\n"; got != want {
		t.Errorf("versionText = %q, want %q", got, want)
	}
	none := func() (*debug.BuildInfo, bool) { return nil, false }
	if got := versionText(none); !strings.HasPrefix(got, "batchd unknown\ncommit: unknown\ngo: go") {
		t.Errorf("without build info: %q", got)
	}
	for _, args := range [][]string{{"version"}, {"--version"}} {
		code, out, _ := run(t, "", args...)
		if code != 0 || !strings.HasPrefix(out, "batchd ") || !strings.Contains(out, "\ngo: go1.") {
			t.Errorf("%v: exit %d, %q", args, code, out)
		}
	}
}
