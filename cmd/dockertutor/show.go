package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dockertutor/dockertutor/exercises/engine"
	"github.com/dockertutor/dockertutor/exercises/progress"
	"github.com/dockertutor/dockertutor/exercises/tutor"
	"github.com/dockertutor/dockertutor/lessons"
	"github.com/dockertutor/dockertutor/present"
	"github.com/dockertutor/dockertutor/tui/markdown"
)

func newShowCmd(g *globals) *cobra.Command {
	var width int
	cmd := &cobra.Command{
		Use:   "show STEP",
		Short: "Print a step's text, rendered, with your own values filled in",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, st, err := g.sessionStep(args[0])
			if err != nil {
				return err
			}
			defer s.Close()
			// Showing a step opens it: its clock starts and its starter
			// files are laid out, as when the tutor moves to it.
			p, _, err := s.Enter(st)
			if err != nil {
				return err
			}
			if width <= 0 {
				width = g.io.Width
			}
			md, err := stepMarkdown(cmd.Context(), s, st, p)
			if err != nil {
				return err
			}
			style := markdown.Dark
			if g.plain || !g.io.Terminal {
				style = markdown.Reader // the plain mode's text: no marks a screen reader would read out
			}
			out, err := markdown.New().Render(md, width, style)
			if err != nil {
				return err
			}
			fmt.Fprint(cmd.OutOrStdout(), out)
			return nil
		},
	}
	cmd.Flags().IntVar(&width, "width", 0, "wrap the text at this many columns (default: the terminal's width, 80 when piped)")
	return cmd
}

// stepMarkdown is everything the learner needs about a step, as markdown:
// the document the tutor shows, worded for the command line.
func stepMarkdown(ctx context.Context, s *tutor.Session, st *lessons.Step, p progress.Progress) (string, error) {
	// Finding the learner's docker build runs the buildx plugin: only
	// where it changes the text. It also tells Podman, whose commands
	// the step's action then shows, so it comes first.
	var found engine.DockerBuild
	if st.Action != nil || present.ActionNeedsBuildx(st) {
		found = s.DockerBuild(ctx)
	}
	page := present.NewStepPage(st, s.Values(st, p), s.RevealedHints(st, p), s.ActionCommand(st))
	if present.ActionNeedsBuildx(st) {
		page.DockerBuild = found.Builder
	}
	if page.TextErr != nil {
		return "", fmt.Errorf("step %s: %w", st.ID, page.TextErr)
	}
	steps := s.Course.Steps()
	return present.StepDoc(page, p, st == steps[len(steps)-1], present.CommandLine), nil
}
