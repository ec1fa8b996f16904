package main

import (
	"cmp"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/dockertutor/dockertutor/exercises/check"
	"github.com/dockertutor/dockertutor/exercises/proof"
	"github.com/dockertutor/dockertutor/exercises/tutor"
	"github.com/dockertutor/dockertutor/lessons"
	"github.com/dockertutor/dockertutor/present"
	"github.com/dockertutor/dockertutor/report"
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
			c, ps, err := openPack(args[0])
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if asJSON {
				if err := report.Write(w, lintDocument(args[0], c, ps)); err != nil {
					return err
				}
			} else {
				for _, p := range ps {
					fmt.Fprintf(w, "%s/%s\n", args[0], p.String())
				}
				for _, p := range packWarnings(c) {
					fmt.Fprintf(w, "%s/%s (warning)\n", args[0], p.String())
				}
			}
			if len(ps) > 0 {
				return failed(fmt.Sprintf("%d problem(s) in %s", len(ps), args[0]))
			}
			if !asJSON {
				fmt.Fprintf(w, "%s: course %q, %d lessons, %d steps: no problems\n", args[0], c.ID, len(c.Lessons), len(c.Steps()))
			}
			return nil
		},
	}
	lint.Flags().BoolVar(&asJSON, "json", false, "print the problems as JSON")
	cmd.AddCommand(lint, newProveCmd(g))
	return cmd
}

// packWarnings are what holds in a pack but needs its author's look today.
func packWarnings(c *lessons.Course) lessons.Problems {
	if c == nil {
		return nil
	}
	return c.Warnings(time.Now())
}

func newProveCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "prove DIR [STEP...]",
		Short: "Prove a course pack's checks on your Docker daemon",
		Long: "The dynamic half of lint: for every exercise (or the steps named), build the reference\n" +
			"solution and check that every check passes, check that the untouched starter does not\n" +
			"pass, and build each must-fail attempt and check that it fails the checks it names.\n" +
			"\"nothing done\": with one namespace's solution left on the daemon, the starter alone in\n" +
			"a second, fresh namespace, not acted on, must not pass.\n" +
			"Quiz and answer steps are proven with their right and a wrong answer. Each case runs in\n" +
			"a throw-away workspace and a private namespace (images named dtproof-…/NAME), whose\n" +
			"Docker objects are removed before and after: your own images, containers and progress\n" +
			"in the course are never touched.\n" +
			"Exit code 0 when everything holds, 1 when something does not, 3 when Docker is unreachable.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, ps, err := openPack(args[0])
			if err != nil {
				return err
			}
			if len(ps) > 0 {
				w := cmd.OutOrStdout()
				if asJSON {
					w = cmd.ErrOrStderr() // standard output holds a prove document or nothing
				}
				for _, p := range ps {
					fmt.Fprintf(w, "%s/%s\n", args[0], p.String())
				}
				return failed("fix the lint problems first")
			}
			steps := c.Steps()
			if len(args) > 1 {
				steps = steps[:0]
				for _, a := range args[1:] {
					st, ok := c.Step(a)
					if !ok {
						return usageErrorf("no step %q in %s", a, args[0])
					}
					steps = append(steps, st)
				}
			}
			w := cmd.OutOrStdout()
			ns, err := lessons.PrivateNamespace(proof.NamespacePrefix)
			if err != nil {
				return err
			}
			if !asJSON {
				fmt.Fprintf(w, "Proving in the private namespace %s: your own images and containers are not touched.\n", ns)
			}
			var all []proof.Case
			bad := 0
			for _, st := range steps {
				cases, err := proof.Step(cmd.Context(), c, st, proof.Options{Namespace: ns})
				if errors.Is(err, tutor.ErrUnreachable) {
					return err
				}
				if err != nil {
					return fmt.Errorf("step %s: %w", st.ID, err)
				}
				for _, cs := range cases {
					if !cs.OK {
						bad++
					}
					if !asJSON {
						// The words, not the glyphs: a proof is read in CI logs.
						mark := present.OutcomeMark(check.Pass)
						if !cs.OK {
							mark = present.OutcomeMark(check.Fail)
						}
						fmt.Fprintf(w, "%-4s %-24s %-26s %s\n", mark.Word, st.ID, cs.Name, cmp.Or(cs.Problem, cs.Want))
					}
				}
				all = append(all, cases...)
			}
			if asJSON {
				if err := report.Write(w, proveDocument(args[0], all)); err != nil {
					return err
				}
			}
			if bad > 0 {
				return failed(fmt.Sprintf("%d of %d cases do not hold", bad, len(all)))
			}
			if !asJSON {
				fmt.Fprintf(w, "%d cases hold.\n", len(all))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the cases as JSON")
	return cmd
}
