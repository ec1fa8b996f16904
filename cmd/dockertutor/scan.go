package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dockertutor/dockertutor/exercises/daemon"
	"github.com/dockertutor/dockertutor/exercises/leak"
	"github.com/dockertutor/dockertutor/report"
)

func newScanCmd(g *globals) *cobra.Command {
	var secretEnv string
	var secretStdin, asJSON bool
	cmd := &cobra.Command{
		Use:   "scan IMAGE (--secret-env VAR | --secret-stdin)",
		Short: "Find a known secret anywhere in an image",
		Long: "Search an image for a secret you know: the raw inspect JSON, every history entry,\n" +
			"and every layer's file names and contents, including files deleted in later layers,\n" +
			"as plain text, base64 or hex. The secret is read from an environment variable or\n" +
			"standard input, never from the command line, and never printed in full.\n\n" +
			"Exit code 0 when the secret is nowhere in the image, 1 when it is found, 2 for a\n" +
			"usage error, 3 when Docker is unreachable.",
		Example: "  read -rs TOKEN && export TOKEN && dockertutor scan myapp:1.4 --secret-env TOKEN\n" +
			"  pass show ci/token | dockertutor scan myapp:1.4 --secret-stdin --json",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if (secretEnv == "") == !secretStdin {
				return usageErrorf("give the secret with exactly one of --secret-env VAR or --secret-stdin")
			}
			var secret string
			if secretEnv != "" {
				v, ok := os.LookupEnv(secretEnv)
				if !ok {
					return usageErrorf("the environment variable %s is not set", secretEnv)
				}
				secret = v
			} else {
				line, err := bufio.NewReader(g.io.In).ReadString('\n')
				if err != nil && line == "" {
					return usageErrorf("no secret on standard input")
				}
				secret = strings.TrimRight(line, "\r\n")
			}
			if len(secret) < leak.MinSecretLen {
				return usageErrorf("the secret is shorter than %d characters: it would match by chance", leak.MinSecretLen)
			}
			cli, _, _, err := connectDaemon(cmd.Context())
			if err != nil {
				return err
			}
			defer cli.Close()
			rep, err := leak.Scan(cmd.Context(), leak.FromClient(cli), args[0], []byte(secret), leak.Options{})
			if errors.Is(err, leak.ErrNotFound) {
				return usageErrorf("there is no image %s on this daemon", args[0])
			}
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if asJSON {
				if err := report.Write(w, scanDocument(rep)); err != nil {
					return err
				}
			} else {
				writeScanText(w, rep)
			}
			switch {
			case rep.Found():
				return failed("")
			case !rep.Complete():
				return failed(rep.Incomplete())
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&secretEnv, "secret-env", "", "read the secret from this environment variable")
	cmd.Flags().BoolVar(&secretStdin, "secret-stdin", false, "read the secret from the first line of standard input")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}

func writeScanText(w interface{ Write([]byte) (int, error) }, rep *leak.Report) {
	if !rep.Found() {
		fmt.Fprintf(w, "The secret is nowhere in %s (%s): %s.\n", rep.Image, daemon.ShortID(rep.ImageID), rep.Searched())
	} else {
		fmt.Fprintf(w, "The secret is in %s (%s), %s:\n", rep.Image, daemon.ShortID(rep.ImageID), rep.Places())
		for _, f := range rep.Findings {
			fmt.Fprintf(w, "  - %s\n", f.String())
		}
		if rep.Omitted > 0 {
			fmt.Fprintf(w, "  … and %d more\n", rep.Omitted)
		}
	}
	for _, p := range rep.Problems {
		fmt.Fprintf(w, "could not search: %s\n", p)
	}
}
