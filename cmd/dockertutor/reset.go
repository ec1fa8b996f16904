package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dockertutor/dockertutor/exercises/progress"
	"github.com/dockertutor/dockertutor/exercises/tutor"
	"github.com/dockertutor/dockertutor/lessons"
)

func verb2(dryRun bool) string {
	if dryRun {
		return "remove"
	}
	return "removed"
}

func newResetCmd(g *globals) *cobra.Command {
	var all, dryRun bool
	cmd := &cobra.Command{
		Use:   "reset [STEP | --all]",
		Short: "Start a step over: starter files back, the tutor's Docker objects removed",
		Long: "Start a step (or every step) over: the files in its folder are moved to the workspace's\n" +
			".backup folder, the starter files are laid out again, the tutor's Docker objects of\n" +
			"the step are removed, and its status is cleared. Docker objects: containers and images\n" +
			"labelled by dockertutor, the image names the step uses in your namespace (even built\n" +
			"by hand; untagged, so an image with another name keeps it) and the containers of your\n" +
			"namespace made from them; nothing else. When someone else's container uses one of\n" +
			"those images, nothing is reset. Your canary secret and your other steps are kept.\n" +
			"--dry-run shows what would change.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if all == (len(args) == 1) {
				return usageErrorf("name one step, or use --all")
			}
			s, err := g.session()
			if err != nil {
				return err
			}
			steps := s.Course.Steps()
			if !all {
				st, err := g.step(s, args[0])
				if err != nil {
					return err
				}
				steps = []*lessons.Step{st}
			}
			p, err := s.Progress()
			if err != nil {
				return err
			}
			defer s.Close()
			// A container the tutor may not remove keeps an image a step
			// would lose: nothing is reset, files included.
			var inUse *tutor.InUseError
			if !dryRun {
				if _, err := s.CleanDocker(cmd.Context(), steps, true); errors.As(err, &inUse) {
					return failed(err.Error())
				}
			}
			w := cmd.OutOrStdout()
			verb := "Reset"
			if dryRun {
				verb = "Would reset"
			}
			for _, st := range steps {
				changes, err := s.Work.Reset(st, s.Values(st, p), dryRun)
				if err != nil {
					return fmt.Errorf("step %s: %w", st.ID, err)
				}
				fmt.Fprintf(w, "%s %s (%s)\n", verb, st.ID, s.Work.StepDir(st))
				for _, c := range changes {
					if c.Backup != "" {
						fmt.Fprintf(w, "  %-7s %s (kept in %s)\n", c.Action, c.Path, c.Backup)
					} else {
						fmt.Fprintf(w, "  %-7s %s\n", c.Action, c.Path)
					}
				}
			}
			removals, derr := s.CleanDocker(cmd.Context(), steps, dryRun)
			for _, r := range removals {
				line := fmt.Sprintf("  %-7s %s %s (%s)", verb2(dryRun), r.Kind, r.Name, r.Why)
				if r.Err != "" {
					line += ": kept, " + r.Err
				}
				fmt.Fprintln(w, line)
			}
			if !dryRun {
				_, err = s.Update(func(p *progress.Progress) error {
					for _, st := range steps {
						delete(p.Steps, st.ID)
					}
					return nil
				})
				if err != nil {
					return err
				}
			}
			if errors.As(derr, &inUse) {
				if dryRun {
					return failed("reset would change nothing: " + derr.Error())
				}
				return failed("files reset, but " + derr.Error())
			}
			if derr != nil {
				return unreachable("files reset, but the tutor's Docker objects could not be removed: " + derr.Error())
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "reset every step of the course")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "show what would change, change nothing")
	return cmd
}
