// Command dockertutor is a terminal tutor that teaches Docker image
// security on the learner's own daemon. This file is the process edge:
// flags, signals and exit codes; the work happens in the packages.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"charm.land/fang/v2"
	"github.com/charmbracelet/x/term"
)

// IO is where commands read and write; tests swap it.
type IO struct {
	In       io.Reader
	Out, Err io.Writer
	// Terminal reports whether Out is a terminal (colour, widths).
	Terminal bool
	Width    int
}

func systemIO() *IO {
	tty := term.IsTerminal(os.Stdout.Fd())
	width := 80
	if tty {
		if w, _, err := term.GetSize(os.Stdout.Fd()); err == nil && w > 0 {
			width = w
		}
	}
	return &IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr, Terminal: tty, Width: width}
}

func main() {
	os.Exit(run(context.Background(), systemIO(), os.Args[1:]))
}

func run(ctx context.Context, streams *IO, args []string) int {
	root, g := newRoot(streams)
	root.SetArgs(args)
	root.SetOut(streams.Out)
	root.SetErr(streams.Err)
	err := fang.Execute(ctx, root,
		fang.WithNotifySignal(os.Interrupt),
		fang.WithErrorHandler(func(w io.Writer, _ fang.Styles, err error) {
			if errors.Is(err, context.Canceled) {
				return // interrupted: the exit code (130) says it
			}
			if msg := err.Error(); msg != "" {
				fmt.Fprintln(w, "dockertutor: "+msg)
			}
		}),
	)
	g.deliverBeforeExit(ctx)
	return exitCode(err)
}
