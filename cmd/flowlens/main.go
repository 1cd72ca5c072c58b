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
	"syscall"

	"github.com/spf13/cobra"
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
	// exitSpike: report --fail-on-spike found a spike (the report is written all the same).
	exitSpike = 5
	// exitInterrupted is 128 + SIGINT, as shells report a command stopped by Ctrl-C.
	exitInterrupted = 130
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
	// completions are the values a flag takes, for shell completion.
	completions map[string][]string
}

// commands are the subcommands in the order 'flowlens help' lists them: the main job first.
var commands []*command

func init() {
	commands = []*command{reportCmd, costCmd, sqlCmd, queryCmd, catCmd, convertCmd, athenaDDLCmd, mergeCmd, pricesCmd, demoCmd, genCmd, versionCmd}
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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:]))
}

// run parses args with cobra, built anew from the command list on each call, and returns the exit
// status. Help is ours (commandHelp), so that 'flowlens help X', 'flowlens X --help' and the man
// pages say the same; errors of the command line are usage errors (2), with "did you mean" for a
// mistyped command or flag.
func run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	if args[0] == "--version" {
		args = append([]string{"version"}, args[1:]...)
	}
	code := exitOK
	root := newRoot(ctx, &code)
	root.SetArgs(args)
	if err := root.ExecuteContext(ctx); err != nil {
		var ue *cmdError
		if errors.As(err, &ue) {
			fmt.Fprintf(stderr, "flowlens %s: %v\nsee 'flowlens help %s'\n", ue.cmd, ue.err, ue.cmd)
		} else {
			fmt.Fprintf(stderr, "flowlens: %v\n", err)
		}
		return exitUsage
	}
	return code
}

// cmdError is an error of one command's command line.
type cmdError struct {
	cmd string
	err error
}

func (e *cmdError) Error() string { return e.cmd + ": " + e.err.Error() }

// newRoot builds the command tree: our commands in their order, cobra's shell completion, the man
// pages and our help.
func newRoot(ctx context.Context, code *int) *cobra.Command {
	root := &cobra.Command{
		Use:                        "flowlens",
		Short:                      "analyse VPC Flow Logs into reports and tables",
		SilenceErrors:              true,
		SilenceUsage:               true,
		SuggestionsMinimumDistance: 2,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return nil
			}
			msg := fmt.Sprintf("unknown command %q; see 'flowlens help'", args[0])
			if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
				msg += "\ndid you mean: " + strings.Join(s, ", ") + "?"
			}
			return errors.New(msg)
		},
		Run: func(cmd *cobra.Command, args []string) { usage(stdout) },
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &cmdError{cmd.Name(), withFlagSuggestion(cmd, err)}
	})
	byCobra := map[*cobra.Command]*command{}
	for _, c := range commands {
		c := c
		cc := &cobra.Command{
			Use:                   c.name + " " + c.usage,
			Short:                 c.short,
			Long:                  strings.TrimSpace(c.long),
			DisableFlagsInUseLine: true,
			SilenceErrors:         true,
			SilenceUsage:          true,
		}
		fs := cc.Flags()
		fs.SortFlags = false
		runFn := c.flags(fs)
		for name, values := range c.completions {
			cc.RegisterFlagCompletionFunc(name, cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp))
		}
		cc.RunE = func(cmd *cobra.Command, args []string) error {
			*code = runFn(cmd.Context(), args)
			return nil
		}
		byCobra[cc] = c
		root.AddCommand(cc)
	}
	root.AddCommand(manCmd(root, code))
	root.SetHelpFunc(func(cmd *cobra.Command, args []string) {
		if c, ok := byCobra[cmd]; ok {
			commandHelp(stdout, c, cmd.Flags())
			return
		}
		if cmd == root {
			usage(stdout)
			return
		}
		fmt.Fprint(stdout, cmd.UsageString())
	})
	root.SetHelpCommand(&cobra.Command{
		Use:   "help [command|topic]",
		Short: "help about a command or a topic",
		Args:  cobra.MaximumNArgs(1),
		Run: func(cmd *cobra.Command, args []string) {
			if len(args) == 0 {
				usage(stdout)
				return
			}
			*code = help(root, args[0])
		},
	})
	return root
}

// withFlagSuggestion adds "did you mean" to an unknown-flag error: the command's flags nearest the
// one given.
func withFlagSuggestion(cmd *cobra.Command, err error) error {
	msg := err.Error()
	name, ok := strings.CutPrefix(msg, "unknown flag: --")
	if !ok {
		return err
	}
	best, bestD := "", 3
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if d := editDistance(name, f.Name); d < bestD || (d <= 3 && strings.HasPrefix(f.Name, name) && bestD > 1) {
			best, bestD = f.Name, min(d, 1)
		}
	})
	if best == "" {
		return err
	}
	return fmt.Errorf("%s\ndid you mean --%s?", msg, best)
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

func usage(w io.Writer) {
	fmt.Fprint(w, `flowlens analyses VPC Flow Logs (gzip or plain text, local or S3) into reports and tables.

Usage: flowlens <command> [flags] [sources…]

Commands:
`)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.short)
	}
	fmt.Fprint(w, `  completion  a shell completion script: flowlens completion bash|zsh|fish|powershell
  man         write the man pages: flowlens man -o DIR

Help topics:
  fields    the flow-log fields, their column names and types

Run 'flowlens help <command>' or 'flowlens <command> --help' for a command's flags and examples.
`)
}

func help(root *cobra.Command, topic string) int {
	if topic == "fields" {
		fieldsHelp(stdout)
		return exitOK
	}
	c := lookup(topic)
	if c == nil {
		if cc, _, err := root.Find([]string{topic}); err == nil && cc != root {
			fmt.Fprint(stdout, cc.UsageString())
			return exitOK
		}
		msg := fmt.Sprintf("flowlens: no help for %q; see 'flowlens help'", topic)
		if s := root.SuggestionsFor(topic); len(s) > 0 {
			msg += "\ndid you mean: " + strings.Join(s, ", ") + "?"
		}
		fmt.Fprintln(stderr, msg)
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
// A run stopped by SIGINT (or SIGTERM) says so, and exits 130 as shells do.
func fail(name string, err error) int {
	if errors.Is(err, context.Canceled) {
		fmt.Fprintf(stderr, "flowlens %s: interrupted\n", name)
		return exitInterrupted
	}
	fmt.Fprintf(stderr, "flowlens %s: %v\n", name, err)
	return exitFailure
}

// usageError prints a usage error and returns exitUsage.
func usageError(name, format string, a ...any) int {
	fmt.Fprintf(stderr, "flowlens %s: %s\nsee 'flowlens help %s'\n", name, fmt.Sprintf(format, a...), name)
	return exitUsage
}
