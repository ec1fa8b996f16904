package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dockertutor/dockertutor/present"
)

func newSkipCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "skip STEP",
		Short: "Leave an optional step out: it counts as done, not passed",
		Long: "Mark an optional step (one that needs a tool you may not have, such as trivy) as\n" +
			"skipped: it no longer counts as to do, and `list` and the summary show it as skipped,\n" +
			"not passed. Checking it later records its verdict instead. Steps the course needs\n" +
			"cannot be skipped (exit code 2).",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, st, err := g.sessionStep(args[0])
			if err != nil {
				return err
			}
			defer s.Close()
			if _, err := s.Skip(st); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), present.SkippedLine(st))
			return nil
		},
	}
}
