package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dockertutor/dockertutor/exercises/check"
	"github.com/dockertutor/dockertutor/present"
)

func newAnswerCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "answer STEP VALUE",
		Short: "Record a quiz choice or a free answer, then check it",
		Long: "Record a quiz choice (its id, or several ids such as a,c) or a free answer (the value\n" +
			"you found), then check it. Exit code 0 when right, 1 when not.",
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, st, err := g.sessionStep(args[0])
			if err != nil {
				return err
			}
			defer s.Close()
			v, err := s.Answer(cmd.Context(), st, strings.Join(args[1:], " "))
			if err != nil {
				return err
			}
			printVerdict(cmd.OutOrStdout(), v, g.plain || !g.io.Terminal)
			return verdictsError(v)
		},
	}
}

// printVerdict writes each check's outcome, id, message and evidence,
// then the verdict's summary; plain output has words for the marks.
func printVerdict(w io.Writer, v check.Verdict, plain bool) {
	lv := present.LayOut(v, present.CommandLine)
	if lv.Unreachable {
		fmt.Fprintf(w, "%s%s\n%s%s\n", present.OutcomeMark(check.Error).Prefix(plain), lv.DockerError, present.CheckHang, lv.NotChecked)
	}
	for _, c := range lv.Checks {
		fmt.Fprintf(w, "%s%s: %s\n", c.Mark.Prefix(plain), c.ID, c.Text)
		for _, e := range c.Evidence {
			fmt.Fprintf(w, "%s%s\n", present.EvidenceIndent, e)
		}
	}
	fmt.Fprintln(w, lv.Summary.Text)
}
