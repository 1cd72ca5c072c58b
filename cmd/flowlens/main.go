// Command flowlens analyses VPC Flow Logs: see 'flowlens help'.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/spf13/pflag"
)

// Exit statuses (docs/architecture.md): 0 only when every object was read fully and the output
// written; 1 when something failed; 2 for a usage error; and for cost, which cannot leave out what it
// is asked for, 3 when the price table lacks the region and 4 when the NAT gateways cannot be known
// from the input (the review is written all the same and says why).
const (
	exitOK         = 0
	exitFailure    = 1
	exitUsage      = 2
	exitNoPrices   = 3
	exitNoGateways = 4
)

// command is one subcommand: its flags are defined by flags, and run gets the parsed set.
type command struct {
	name  string
	usage string // after "flowlens NAME"
	short string
	long  string // description and examples
	flags func(fs *pflag.FlagSet) func(ctx context.Context, args []string) int
	// more, when set, writes a part of the help made from the code (sql's functions).
	more func(w io.Writer) error
}

// commands are the subcommands in the order 'flowlens help' lists them: the main job first.
var commands []*command

func init() {
	commands = []*command{reportCmd, costCmd, sqlCmd, queryCmd, catCmd, convertCmd, pricesCmd, demoCmd, genCmd, versionCmd}
}

func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

var stdout io.Writer = os.Stdout
var stderr io.Writer = os.Stderr

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:]))
}

func run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "help", "-h", "--help":
		if len(args) > 1 {
			return help(args[1])
		}
		usage(stdout)
		return exitOK
	case "--version":
		name = "version"
	}
	c := lookup(name)
	if c == nil {
		fmt.Fprintf(stderr, "flowlens: unknown command %q; see 'flowlens help'\n", name)
		return exitUsage
	}
	fs := pflag.NewFlagSet(c.name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	runFn := c.flags(fs)
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			commandHelp(stdout, c, fs)
			return exitOK
		}
		fmt.Fprintf(stderr, "flowlens %s: %v\nsee 'flowlens help %s'\n", c.name, err, c.name)
		return exitUsage
	}
	return runFn(ctx, fs.Args())
}

func usage(w io.Writer) {
	fmt.Fprint(w, `flowlens analyses VPC Flow Logs (gzip or plain text, local or S3) into reports and tables.

Usage: flowlens <command> [flags] [sources…]

Commands:
`)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.short)
	}
	fmt.Fprint(w, `
Help topics:
  fields    the flow-log fields, their column names and types

Run 'flowlens help <command>' or 'flowlens <command> --help' for a command's flags and examples.
`)
}

func help(topic string) int {
	if topic == "fields" {
		fieldsHelp(stdout)
		return exitOK
	}
	c := lookup(topic)
	if c == nil {
		fmt.Fprintf(stderr, "flowlens: no help for %q; see 'flowlens help'\n", topic)
		return exitUsage
	}
	fs := pflag.NewFlagSet(c.name, pflag.ContinueOnError)
	fs.SortFlags = false
	c.flags(fs)
	commandHelp(stdout, c, fs)
	return exitOK
}

func commandHelp(w io.Writer, c *command, fs *pflag.FlagSet) {
	fmt.Fprintf(w, "Usage: flowlens %s %s\n\n%s\n", c.name, c.usage, c.short)
	if c.long != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(c.long))
	}
	if c.more != nil {
		fmt.Fprintln(w)
		c.more(w)
	}
	if fu := fs.FlagUsages(); fu != "" {
		fmt.Fprintf(w, "\nFlags:\n%s", fu)
	}
}

// fail prints an error for command name and returns exitFailure.
func fail(name string, err error) int {
	fmt.Fprintf(stderr, "flowlens %s: %v\n", name, err)
	return exitFailure
}

// usageError prints a usage error and returns exitUsage.
func usageError(name, format string, a ...any) int {
	fmt.Fprintf(stderr, "flowlens %s: %s\nsee 'flowlens help %s'\n", name, fmt.Sprintf(format, a...), name)
	return exitUsage
}
