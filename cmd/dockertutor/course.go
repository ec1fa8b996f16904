package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dockertutor/dockertutor/lessons"
)

func newCourseCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "course",
		Short: "Tools for course authors",
	}
	var asJSON bool
	lint := &cobra.Command{
		Use:   "lint DIR",
		Short: "Validate a course pack: every problem as file:line with how to fix it",
		Long: "Validate a course pack folder: the manifest, lessons, steps, checks, templates, starter\n" +
			"and solution files, and that every exercise has must-fail attempts for its checks.\n" +
			"Exit code 0 when the pack is clean, 1 when it has problems.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, ps := lessons.FromDir(args[0])
			w := cmd.OutOrStdout()
			if asJSON {
				if ps == nil {
					ps = lessons.Problems{}
				}
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				if err := enc.Encode(map[string]any{"problems": ps}); err != nil {
					return err
				}
			} else {
				for _, p := range ps {
					fmt.Fprintf(w, "%s/%s\n", args[0], p.String())
				}
			}
			if len(ps) > 0 {
				return &exitError{code: exitFail, msg: fmt.Sprintf("%d problem(s) in %s", len(ps), args[0])}
			}
			if !asJSON {
				fmt.Fprintf(w, "%s: course %q, %d lessons, %d steps: no problems\n", args[0], c.ID, len(c.Lessons), len(c.Steps()))
			}
			return nil
		},
	}
	lint.Flags().BoolVar(&asJSON, "json", false, "print the problems as JSON")
	cmd.AddCommand(lint)
	return cmd
}
