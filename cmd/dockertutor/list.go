package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dockertutor/dockertutor/exercises/progress"
	"github.com/dockertutor/dockertutor/present"
	"github.com/dockertutor/dockertutor/report"
)

func newListCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "The course outline: every step with its status and folder",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return runList(cmd, g, asJSON) },
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the outline as JSON")
	return cmd
}

func runList(cmd *cobra.Command, g *globals, asJSON bool) error {
	s, err := g.session()
	if err != nil {
		return err
	}
	p, err := s.Progress()
	if err != nil {
		return err
	}
	cur := s.CurrentStep(p)
	out := report.List{Course: s.Course.ID, Title: s.Course.Title, Workspace: s.Work.Root, ProgressFile: s.ProgressPath(), Learner: s.Learner(), Lessons: []report.Lesson{}}
	for _, l := range s.Course.Lessons {
		ll := report.Lesson{ID: l.ID, Number: l.Number, Title: l.Title, Steps: []report.Step{}}
		for _, st := range l.Steps {
			status := string(p.StatusOf(st.ID))
			if status == "" {
				status = report.StatusNotStarted
			}
			if p.StatusOf(st.ID) == progress.Passed {
				out.Passed++
			}
			out.Total++
			ll.Steps = append(ll.Steps, report.Step{
				ID: st.ID, Number: st.Number, Title: st.Title, Kind: string(st.Kind), Status: status,
				Optional: st.Optional, Current: st == cur, Workdir: s.Work.StepDir(st),
			})
		}
		out.Lessons = append(out.Lessons, ll)
	}
	w := cmd.OutOrStdout()
	if asJSON {
		return report.Write(w, &out)
	}
	fmt.Fprintf(w, "%s — %d of %d steps passed\n", out.Title, out.Passed, out.Total)
	fmt.Fprintf(w, "Workspace: %s\n", out.Workspace)
	fmt.Fprintf(w, "Learner id: %s (in the names of your images and containers)\n", out.Learner)
	for _, l := range out.Lessons {
		fmt.Fprintf(w, "\n%d. %s\n", l.Number, l.Title)
		for _, st := range l.Steps {
			mark := statusMark(progress.Status(st.Status), g.plain || !g.io.Terminal)
			cur := "  "
			if st.Current {
				cur = "> "
			}
			opt := ""
			if st.Optional {
				opt = " (optional)"
			}
			fmt.Fprintf(w, "%s%s %-5s %-24s %-9s %s%s\n", cur, mark, st.Number, st.ID, st.Kind, st.Title, opt)
		}
	}
	fmt.Fprintf(w, "\nShow a step with `dockertutor show ID`, or run `dockertutor` in a terminal for the tutor.\n")
	return nil
}

// statusMark is a step's status sign; plain output uses words a screen
// reader can say, padded to a column. A status progress does not know
// ("not-started") is not started.
func statusMark(status progress.Status, plain bool) string {
	m := present.StatusMark(status)
	if plain {
		return fmt.Sprintf("%-*s", present.StatusWordWidth, m.Word)
	}
	return m.Glyph
}
