package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dockertutor/dockertutor/exercises/engine"
	"github.com/dockertutor/dockertutor/report"
)

func newDoctorCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Where Docker is, whether it answers, why not, and how to fix it",
		Long: "Find the Docker daemon the way the docker CLI does (DOCKER_HOST, DOCKER_CONTEXT, the\n" +
			"current context, the platform default), try it, and explain what is wrong with the\n" +
			"commands that fix it on your OS. Also lists the builders, the storage, and whether\n" +
			"each base image the course needs is here at the digest the course pins, at another\n" +
			"digest, or missing (`dockertutor prepare` fetches them). Exit code 0 when Docker\n" +
			"answers, 3 when it does not.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.loadCourse()
			if err != nil {
				return err
			}
			rep := engine.Doctor(cmd.Context(), c.Images)
			w := cmd.OutOrStdout()
			if asJSON {
				if err := report.Write(w, doctorDocument(rep)); err != nil {
					return err
				}
			} else if err := engine.WriteText(w, rep); err != nil {
				return err
			} else if s, err := g.openSession(); err == nil {
				// Who the tutor works as here: the name in front of every
				// image and container it makes, on a daemon others may share.
				fmt.Fprintf(w, "\nLearner id: %s (in the names of your images and containers)\n", s.Learner())
				s.Close()
			}
			if !rep.Reachable {
				return unreachable("")
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}
