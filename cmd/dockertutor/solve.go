package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dockertutor/dockertutor/exercises/check"
	"github.com/dockertutor/dockertutor/exercises/tutor"
	"github.com/dockertutor/dockertutor/lessons"
	"github.com/dockertutor/dockertutor/present"
)

func newSolveCmd(g *globals) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "solve [STEP | --all]",
		Short: "Lay out the reference solution, run its action, and check it",
		Long: "Put the step's reference solution in its folder (your files are kept in the\n" +
			"workspace's .backup folder), run the step's action and check the result. For a quiz\n" +
			"or free-answer step, record its reference answer and check it. With --all, every\n" +
			"exercise, quiz and free-answer step of the course: an instructor's way to prepare or\n" +
			"verify a machine (`check --all` passes afterwards).",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := g.session()
			if err != nil {
				return err
			}
			defer s.Close()
			steps, err := g.stepsArg(s, args, all)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			var verdicts []check.Verdict
			var notPassed []*lessons.Step
			for _, st := range steps {
				if st.Kind == lessons.KindRead {
					if !all {
						return usageErrorf("step %s is a %s step: there is no solution to lay out", st.ID, st.Kind)
					}
					continue
				}
				fmt.Fprintf(w, "== %s %s\n", st.Number, st.Title)
				err := streamAction(cmd.Context(), w, func(ctx context.Context, ev chan<- tutor.Event) error {
					return s.Solve(ctx, st, ev)
				})
				if err := actionError(err); err != nil && (!all || !errors.Is(err, errFailed)) {
					return err
				}
				// With --all a failed action does not stop the rest: its
				// checks say what it left, and the summary lists the step.
				v, err := s.Check(cmd.Context(), st)
				if err != nil {
					return err
				}
				printVerdict(w, v, g.plain || !g.io.Terminal)
				verdicts = append(verdicts, v)
				if v.Unreachable() {
					break
				}
				if !v.Passed {
					notPassed = append(notPassed, st)
				}
			}
			if all {
				fmt.Fprintf(w, "\n%s\n", present.SolvedSummary(len(verdicts), notPassed))
			}
			return verdictsError(verdicts...)
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "solve every exercise, quiz and free-answer step of the course")
	return cmd
}
