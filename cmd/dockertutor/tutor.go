package main

import (
	"github.com/spf13/cobra"

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
	err = tui.Run(cmd.Context(), s, tui.Options{
		Course:   s.Course,
		Plain:    g.plain || !g.io.Terminal,
		In:       g.io.In,
		Out:      g.io.Out,
		Poll:     g.poll,
		Width:    g.io.Width,
		Warnings: s.Warnings(),
	})
	return err
}
