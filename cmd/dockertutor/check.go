package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dockertutor/dockertutor/exercises/check"
	"github.com/dockertutor/dockertutor/report"
)

func newCheckCmd(g *globals) *cobra.Command {
	var all, asJSON bool
	cmd := &cobra.Command{
		Use:   "check [STEP | --all]",
		Short: "Check a step (the current one by default) on the real state",
		Long: "Check a step against the real state: your step folder and your Docker daemon.\n" +
			"Each check says what holds and what does not, with the evidence it found.\n" +
			"Exit code 0 when every checked step passes, 1 when one fails, 3 when Docker\n" +
			"could not be asked.",
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
			var verdicts []check.Verdict
			w := cmd.OutOrStdout()
			for i, st := range steps {
				v, err := s.Check(cmd.Context(), st)
				if err != nil {
					return err
				}
				verdicts = append(verdicts, v)
				if !asJSON {
					if len(steps) > 1 {
						if i > 0 {
							fmt.Fprintln(w)
						}
						fmt.Fprintf(w, "%s %s\n", st.Number, st.Title)
					}
					printVerdict(w, v, g.plain || !g.io.Terminal)
				}
			}
			if asJSON {
				if err := report.Write(w, checkDocument(verdicts)); err != nil {
					return err
				}
			}
			return verdictsError(verdicts...)
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "check every step that has checks")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the verdicts as JSON")
	return cmd
}
