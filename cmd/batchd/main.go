// Command batchd is AWS Batch with its IAM, in one binary. This file only
// parses the command line and wires packages together; see ARCHITECTURE.md.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"batchd/internal/executor/docker"
	"batchd/internal/executor/local"
)

func main() {
	// batchd's binary also serves as the local executor's sandbox init and
	// as the network holder of job containers; each returns at once when
	// not started as one.
	local.Init()
	docker.HelperMain(os.Args)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `batchd — AWS Batch with its IAM, self-hosted.

Usage:
  batchd serve [--listen 127.0.0.1:8080] [--data-dir DIR] [--store sqlite:PATH|postgres://...] [--server-key-file FILE] [--region R] [--account-id ID] [--tls-cert F --tls-key F] [--dev]
               [--host-vcpus N] [--host-memory-mib MIB] [--host-gpus N]
               [--executor docker|local] [--docker-host URL] [--docker-network isolated|host|none|NAME]
               [--jobs-dir DIR] [--local-user NAME|UID]
               [--metrics-listen ADDR] [--log-format text|json] [--log-level debug|info|warn|error]
  batchd store copy --from URL --to URL [--batch N]
  batchd bench submit --endpoint URL [--clients 32] [--jobs N] [--array-size K]
  batchd policy validate [--kind KIND] [--json] FILE...
  batchd policy simulate --policy FILE|aws:NAME... --action A --resource R [flags]
  batchd policy simulate --policy FILE|aws:NAME... --request OPERATION --input JSON [flags]
  batchd policy eval  < cases.jsonl > decisions.jsonl
  batchd policy builtins
  batchd version

Run "batchd COMMAND --help" (or "batchd policy SUBCOMMAND --help") for the
flags of each, with the environment variables they default to.
`

// Main runs batchd with args (without the program name) and returns the exit
// code: 0 on success, 1 on a finding or failure the command reports, 2 on a
// usage error.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serveMain(ctx, args[1:], stdout, stderr)
	case "store":
		return storeMain(ctx, args[1:], stdout, stderr)
	case "bench":
		return benchMain(ctx, args[1:], stdout, stderr)
	case "policy":
		return policyMain(ctx, args[1:], stdin, stdout, stderr)
	case "version":
		return versionMain(args[1:], stdout, stderr)
	case "--version", "-version":
		fmt.Fprint(stdout, versionText(debug.ReadBuildInfo))
		return 0
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "batchd: unknown command %q\n\n%s", args[0], usage)
	return 2
}
