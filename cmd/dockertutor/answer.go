package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dockertutor/dockertutor/exercises/check"
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

// printVerdict writes each check's outcome, message and evidence.
func printVerdict(w io.Writer, v check.Verdict, plain bool) {
	for _, r := range v.Results {
		mark := map[check.Outcome]string{check.Pass: "✓", check.Fail: "✗", check.Error: "!"}[r.Outcome]
		if plain {
			mark = map[check.Outcome]string{check.Pass: "PASS", check.Fail: "FAIL", check.Error: "ERROR"}[r.Outcome]
		}
		fmt.Fprintf(w, "%s %s: %s\n", mark, r.ID, r.Message)
		for _, e := range r.Evidence {
			fmt.Fprintf(w, "    %s: %s\n", e.Where, e.Detail)
		}
	}
	if v.Passed {
		fmt.Fprintf(w, "Step %s passed.\n", v.Step)
	}
}
