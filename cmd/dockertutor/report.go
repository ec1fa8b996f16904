package main

import (
	"bytes"
	"encoding/base64"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/dockertutor/dockertutor/classroom/grades"
	"github.com/dockertutor/dockertutor/classroom/wire"
)

// reportOptions are the flags of `dockertutor report`.
type reportOptions struct {
	format string
	out    string
	name   string
	encode string
}

// newReportCmd is `dockertutor report`: the learner's own grades, from
// their progress file, in the formats of the class export.
func newReportCmd(g *globals) *cobra.Command {
	var o reportOptions
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Your grades in the course, as JSON, JUnit XML or a GitHub Classroom result",
		Long: "Write how you fared in each step of the course (passed, when, attempts, hints used,\n" +
			"solution shown, time on the step) from your progress on this machine, in the formats of\n" +
			"a class export. No class server is needed, and neither is Docker.\n\n" +
			"--format github-classroom writes the result GitHub Classroom's autograding reporter\n" +
			"reads: a test per step, a point per step passed. The reporter takes it base64-encoded\n" +
			"from a step's output, so a workflow step gives it with --encode base64:\n\n" +
			"  - name: dockertutor\n" +
			"    id: dockertutor\n" +
			"    run: echo \"result=$(dockertutor report --format github-classroom --encode base64)\" >> \"$GITHUB_OUTPUT\"\n" +
			"  - uses: classroom-resources/autograding-grading-reporter@v1\n" +
			"    env:\n" +
			"      DOCKERTUTOR_RESULTS: \"${{ steps.dockertutor.outputs.result }}\"\n" +
			"    with:\n" +
			"      runners: dockertutor",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runReport(cmd, g, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.format, "format", string(grades.JSON), "the format: "+grades.FormatList())
	f.StringVar(&o.out, "out", "", "write to this file (replaced whole, or left as it was on an error) instead of standard output")
	f.StringVar(&o.name, "name", "", "the name to give you in the report (default: your learner id)")
	f.StringVar(&o.encode, "encode", "", "encode the report in base64, as GitHub Classroom's reporter reads a result")
	return cmd
}

func runReport(cmd *cobra.Command, g *globals, o reportOptions) error {
	// The command line is checked before the progress is opened, so that
	// a mistake in it changes nothing.
	format, err := grades.ParseFormat(o.format)
	if err != nil {
		return usageErrorf("--format: %v", err)
	}
	if o.encode != "" && o.encode != "base64" {
		return usageErrorf("--encode: unknown encoding %q: the one there is is base64", o.encode)
	}
	name := wire.CleanName(o.name)
	if o.name != "" && name == "" {
		return usageErrorf("--name: %q has nothing to show as a name", o.name)
	}

	s, err := g.session()
	if err != nil {
		return err
	}
	defer s.Close()
	p, err := s.Progress()
	if err != nil {
		return err
	}
	if name == "" {
		name = p.Learner
	}
	now := time.Now().UTC()
	sheet := grades.Sheet{Course: s.Course.ID, Generated: now, Rows: grades.FromProgress(s.Course, p, name, now)}

	// Written whole before any of it goes out: an error leaves no half a
	// report on standard output or in the file.
	var b bytes.Buffer
	var w io.Writer = &b
	var enc io.WriteCloser
	if o.encode == "base64" {
		enc = base64.NewEncoder(base64.StdEncoding, &b)
		w = enc
	}
	if err := grades.Write(w, format, sheet); err != nil {
		return err
	}
	if enc != nil {
		enc.Close()
		b.WriteByte('\n')
	}
	if o.out == "" {
		_, err := cmd.OutOrStdout().Write(b.Bytes())
		return err
	}
	return writeFileAtomically(o.out, b.Bytes())
}
