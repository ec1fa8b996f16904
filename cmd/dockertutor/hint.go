package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newHintCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "hint STEP",
		Short: "Reveal the step's next hint",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, st, err := g.sessionStep(args[0])
			if err != nil {
				return err
			}
			defer s.Close()
			h, err := s.NextHint(st)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Hint %d of %d: %s\n", h.Number, h.Total, h.Text)
			return nil
		},
	}
}
