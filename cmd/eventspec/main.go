// Command eventspec is the eventspec command line.
//
//	eventspec certify [--postgres DSN] [--out DIR] [--run REGEXP] [-v]
//
// certify runs the store conformance suite — on the embedded in-memory
// store unless --postgres names a database — prints a table per group of
// cases, writes report.json and report.md into --out when given, and exits
// 1 when any case fails, listing each failure with its messages.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/eventspec/eventspec/es"
)

const usage = `eventspec: the eventspec command line

Usage:
  eventspec certify [--postgres DSN] [--out DIR] [--run REGEXP] [-v]
      Run the store conformance suite on the embedded in-memory store (or
      on PostgreSQL with --postgres), print a table per group of cases, and
      exit 1 if any case fails. --out DIR writes report.json and report.md.
  eventspec help [command]
      Show this help, or the flags of a command.
`

// cli is one invocation's environment: where output goes and the clock
// that times the run (timing is reported, never decides anything).
type cli struct {
	stdout, stderr io.Writer
	clock          es.Clock
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := cli{stdout: os.Stdout, stderr: os.Stderr, clock: es.RealClock{}}.run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // a case failed, or the adapter could not be opened
	exitUsage   = 2 // the command line is wrong
)

// run executes the command line args (without the program name) and
// returns the exit code.
func (c cli) run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(c.stderr, usage)
		return exitUsage
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "certify":
		return c.certify(ctx, rest)
	case "help", "-h", "-help", "--help":
		if len(rest) > 0 && rest[0] == "certify" {
			fs, _ := certifyFlags(c.stdout)
			fs.Usage()
			return exitOK
		}
		fmt.Fprint(c.stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(c.stderr, "eventspec: unknown command %q\n\n%s", cmd, usage)
		return exitUsage
	}
}
