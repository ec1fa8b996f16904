package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/adrg/xdg"
	"github.com/spf13/cobra"

	"github.com/dockertutor/dockertutor/exercises/progress"
	"github.com/dockertutor/dockertutor/exercises/tutor"
	"github.com/dockertutor/dockertutor/exercises/workspace"
	"github.com/dockertutor/dockertutor/lessons"
)

// globals are the flags every command shares.
type globals struct {
	workspace string
	course    string
	plain     bool
	poll      bool
	io        *IO
}

// usageError is a command line that asks for something that does not exist.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func isCobraUsage(err error) bool {
	var ue *tutor.UsageError
	if errors.As(err, &ue) {
		return true
	}
	m := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand", "accepts ", "requires ", "invalid argument", "flag needs", "if any flags in the group"} {
		if strings.Contains(m, p) {
			return true
		}
	}
	return false
}

func newRootCmd(io *IO) *cobra.Command {
	g := &globals{io: io}
	root := &cobra.Command{
		Use:   "dockertutor",
		Short: "Learn Docker image security on your own Docker daemon",
		Long: "dockertutor teaches Docker image security by having you do it: build images, find leaked\n" +
			"secrets, fix them, and get each result checked on your own Docker daemon.\n\n" +
			"Run it without a command to open the tutor; the commands below script the same steps.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runTutor(cmd, g) },
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.workspace, "workspace", "", "folder for the step folders (default ~/dockertutor, or $DOCKERTUTOR_WORKSPACE)")
	pf.StringVar(&g.course, "course", "", "use the course pack in this folder instead of the built-in course")
	pf.BoolVar(&g.plain, "plain", os.Getenv("TERM") == "dumb", "plain text: no colours, no full-screen interface")
	root.Flags().BoolVar(&g.poll, "poll", false, "watch the step folder by polling, for folders where change events do not arrive (network or VM-shared)")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return &usageError{msg: err.Error()} })

	root.AddCommand(
		newListCmd(g), newShowCmd(g), newRunCmd(g), newCheckCmd(g), newAnswerCmd(g), newHintCmd(g),
		newSolveCmd(g), newResetCmd(g), newDoctorCmd(g), newScanCmd(g), newCourseCmd(g),
	)
	return root
}

// loadCourse returns the built-in course or the one named by --course.
func (g *globals) loadCourse() (*lessons.Course, error) {
	var (
		c  *lessons.Course
		ps lessons.Problems
	)
	if g.course != "" {
		c, ps = lessons.FromDir(g.course)
	} else {
		c, ps = lessons.Builtin()
	}
	if len(ps) > 0 {
		return nil, &exitError{code: exitUsage, msg: fmt.Sprintf("the course pack has %d problem(s); run `dockertutor course lint %s`:\n%s", len(ps), orDot(g.course), ps.Error())}
	}
	return c, nil
}

func orDot(s string) string {
	if s == "" {
		return "DIR"
	}
	return s
}

// session opens the learner's session in the chosen course.
func (g *globals) session() (*tutor.Session, error) {
	c, err := g.loadCourse()
	if err != nil {
		return nil, err
	}
	root := g.workspace
	if root == "" {
		if root, err = workspace.DefaultRoot(); err != nil {
			return nil, err
		}
	} else if root, err = filepath.Abs(root); err != nil {
		return nil, err
	}
	ns, err := tutor.NamespaceFromEnv()
	if err != nil {
		return nil, &usageError{msg: err.Error()}
	}
	return tutor.Open(tutor.Options{Course: c, WorkspaceRoot: root, StateDir: stateDir(), Poll: g.poll, Namespace: ns})
}

// stateDir is where progress lives: $XDG_STATE_HOME/dockertutor on Linux,
// the platform's application-state folder elsewhere.
func stateDir() string {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "dockertutor")
	}
	return filepath.Join(xdg.StateHome, "dockertutor")
}

// progressOf loads progress and prints a corrupt-file warning once.
func (g *globals) progressOf(s *tutor.Session) (progress.Progress, error) {
	p, err := s.Progress()
	return p, g.warn(err)
}

// warn prints a progress warning and swallows it; real errors pass through.
func (g *globals) warn(err error) error {
	var ce *progress.CorruptError
	if errors.As(err, &ce) {
		fmt.Fprintln(g.io.Err, "dockertutor: warning: "+ce.Error())
		return nil
	}
	return err
}

// sessionStep opens the session and finds the step named on the command
// line; the caller closes the session.
func (g *globals) sessionStep(arg string) (*tutor.Session, *lessons.Step, error) {
	s, err := g.session()
	if err != nil {
		return nil, nil, err
	}
	st, err := g.step(s, arg)
	if err != nil {
		s.Close()
		return nil, nil, err
	}
	return s, st, nil
}

func (g *globals) step(s *tutor.Session, arg string) (*lessons.Step, error) {
	st, err := s.Step(arg)
	if err != nil {
		return nil, &usageError{msg: err.Error()}
	}
	return st, nil
}
