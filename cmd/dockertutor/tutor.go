package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/dockertutor/dockertutor/classroom/outbox"
	"github.com/dockertutor/dockertutor/present"
	"github.com/dockertutor/dockertutor/tui"
)

// runTutor opens the interactive tutor: full screen on a terminal, the
// plain line-oriented mode with --plain, TERM=dumb, or when stdout is not
// a terminal.
func runTutor(cmd *cobra.Command, g *globals) error {
	s, err := g.openSession() // the tutor shows the warnings on its first screen
	if err != nil {
		return err
	}
	defer s.Close()
	var class func() (present.ClassStatus, bool)
	if box := g.class; box != nil {
		// The sender runs for the tutor's lifetime, after reporting this
		// machine's readiness if it changed since the last report.
		ctx, cancel := context.WithCancel(cmd.Context())
		done := make(chan struct{})
		go func() {
			defer close(done)
			appendReadiness(ctx, box, s.Course, joinReadiness)
			box.NewSender(nil, outbox.DefaultTiming()).Run(ctx)
		}()
		defer func() { cancel(); <-done }()
		class = func() (present.ClassStatus, bool) { return classStatus(box) }
	}
	err = tui.Run(cmd.Context(), s, tui.Options{
		Course:   s.Course,
		Plain:    g.plain || !g.io.Terminal,
		In:       g.io.In,
		Out:      g.io.Out,
		Poll:     g.poll,
		Width:    g.io.Width,
		Warnings: s.Warnings(),
		Class:    class,
	})
	return err
}
