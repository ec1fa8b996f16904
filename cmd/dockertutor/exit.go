package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dockertutor/dockertutor/exercises/check"
	"github.com/dockertutor/dockertutor/exercises/tutor"
)

// Exit codes, as documented in the README. Commands never pick one: they
// return an error of the kind that happened, and exitCode alone turns the
// kind into the code.
const (
	exitOK          = 0
	exitFail        = 1 // a check failed, a leak was found, a course pack has problems
	exitUsage       = 2 // the command line is malformed or names something that does not exist
	exitUnreachable = 3 // Docker did not answer
	exitInterrupted = 130
)

// exitCode is the one mapping from what went wrong to the exit code.
// Interrupted wins: a learner's Ctrl+C during an unreachable check is an
// interruption. Whatever is not usage, unreachable or interrupted failed.
func exitCode(err error) int {
	var usage *usageError
	var sessionUsage *tutor.UsageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.As(err, &usage), errors.As(err, &sessionUsage):
		return exitUsage
	case errors.Is(err, tutor.ErrUnreachable):
		return exitUnreachable
	default:
		return exitFail
	}
}

// usageError is a command line that is malformed or names something that
// does not exist: an unknown command, flag or step, a wrong number of
// arguments. Like cli/cli's cmdutil.FlagError, it is typed where it is
// made, so nothing has to recognise cobra's wording afterwards.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &usageError{err: fmt.Errorf(format, args...)}
}

// errFailed is the kind of a result that did not hold: a failed check, a
// leak found, a pack with problems, a proof case that does not hold.
var errFailed = errors.New("failed")

// kindError is a failure of a known kind with the message to print; an
// empty message means the command already showed everything (a verdict,
// a scan report, the problems of a pack) and only the exit code remains.
type kindError struct {
	kind error
	msg  string
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }

// failed is a result that did not hold; msg may be empty (see kindError).
func failed(msg string) error { return &kindError{kind: errFailed, msg: msg} }

// unreachable is Docker not answering, with what to tell the learner.
func unreachable(msg string) error { return &kindError{kind: tutor.ErrUnreachable, msg: msg} }

// verdictsError is what a list of verdicts amounts to, already printed:
// an unreachable daemon wins over a failure, which wins over a pass.
func verdictsError(vs ...check.Verdict) error {
	var err error
	for _, v := range vs {
		switch {
		case v.Unreachable():
			return &kindError{kind: tutor.ErrUnreachable}
		case !v.Passed:
			err = failed("")
		}
	}
	return err
}

// typeUsageErrors makes every argument error of cmd and its subcommands a
// usageError at the source: cobra's own validators (ExactArgs, NoArgs, …)
// return plain errors. Flag errors go through the root's FlagErrorFunc,
// which subcommands inherit. A command that only groups others gets
// noSubcommand and shows its help when run alone.
func typeUsageErrors(cmd *cobra.Command) {
	if cmd.HasSubCommands() && !cmd.Runnable() {
		cmd.Args = noSubcommand
		cmd.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
	}
	if validate := cmd.Args; validate != nil {
		cmd.Args = func(c *cobra.Command, args []string) error {
			if err := validate(c, args); err != nil {
				var usage *usageError
				if errors.As(err, &usage) {
					return err
				}
				return &usageError{err: err}
			}
			return nil
		}
	}
	for _, sub := range cmd.Commands() {
		typeUsageErrors(sub)
	}
}

// noSubcommand is the argument rule of a command that only groups others
// (the root takes no arguments either): any argument is a command that
// does not exist. cobra itself says so only for the root, and lets
// `dockertutor course bogus` print the help and exit 0.
func noSubcommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2 // cobra's own default, which it sets only where it suggests
	}
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "\n\nDid you mean this?\n\t" + strings.Join(s, "\n\t")
	}
	return usageErrorf("%s", msg)
}

// knownHelpTopic is the argument rule of `dockertutor help COMMAND`:
// cobra's help says "Unknown help topic" and exits 0.
func knownHelpTopic(cmd *cobra.Command, args []string) error {
	if _, rest, err := cmd.Root().Find(args); err != nil || len(rest) > 0 {
		return usageErrorf("unknown help topic %q: `dockertutor --help` lists the commands", strings.Join(args, " "))
	}
	return nil
}
