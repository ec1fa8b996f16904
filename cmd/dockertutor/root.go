package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/adrg/xdg"
	"github.com/spf13/cobra"

	"github.com/dockertutor/dockertutor/classroom/outbox"
	"github.com/dockertutor/dockertutor/exercises/engine"
	"github.com/dockertutor/dockertutor/exercises/tutor"
	"github.com/dockertutor/dockertutor/exercises/workspace"
	"github.com/dockertutor/dockertutor/lessons"
	"github.com/dockertutor/dockertutor/present"
)

// globals are the flags every command shares.
type globals struct {
	workspace string
	course    string
	plain     bool
	poll      bool
	io        *IO
	// class is the class folder of a learner in a class (nil otherwise),
	// set when a session opens or the learner joins from the tutor: the
	// session's observer reports to it, and what it reported is delivered
	// before the process exits.
	class atomic.Pointer[outbox.Box]
	// reported says this process reported something to the class: only
	// then does it wait to deliver before it exits.
	reported atomic.Bool
	// classErr is why the class folder could not be read when the
	// session opened: the commands tell it.
	classErr error
}

func newRootCmd(io *IO) *cobra.Command {
	root, _ := newRoot(io)
	return root
}

// newRoot is the root command and the globals its commands share.
func newRoot(io *IO) (*cobra.Command, *globals) {
	g := &globals{io: io}
	root := &cobra.Command{
		Use:   "dockertutor",
		Short: "Learn Docker image security on your own Docker daemon",
		Long: "dockertutor teaches Docker image security by having you do it: build images, find leaked\n" +
			"secrets, fix them, and get each result checked on your own Docker daemon.\n\n" +
			"Run it without a command to open the tutor; the commands below script the same steps.",
		Args: noSubcommand,
		RunE: func(cmd *cobra.Command, _ []string) error { return runTutor(cmd, g) },
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.workspace, "workspace", "", "folder for the step folders (default ~/dockertutor, or $DOCKERTUTOR_WORKSPACE)")
	pf.StringVar(&g.course, "course", "", "use the course pack in this folder instead of the built-in course")
	pf.BoolVar(&g.plain, "plain", os.Getenv("TERM") == "dumb", "plain text: no colours, no full-screen interface")
	root.Flags().BoolVar(&g.poll, "poll", false, "watch the step folder by polling, for folders where change events do not arrive (network or VM-shared)")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err: err} })

	root.AddCommand(
		newListCmd(g), newShowCmd(g), newRunCmd(g), newCheckCmd(g), newAnswerCmd(g), newHintCmd(g), newSkipCmd(g),
		newSolveCmd(g), newResetCmd(g), newReportCmd(g), newDoctorCmd(g), newPrepareCmd(g), newScanCmd(g), newCourseCmd(g), newClassCmd(g),
	)
	// cobra adds these when it executes; added now, their argument errors
	// are typed like every other command's.
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "help" {
			c.Args = knownHelpTopic
		}
	}
	typeUsageErrors(root)
	return root, g
}

// loadCourse returns the built-in course or the one named by --course.
func (g *globals) loadCourse() (*lessons.Course, error) {
	if g.course == "" {
		c, ps := lessons.Builtin()
		if len(ps) > 0 {
			return nil, fmt.Errorf("the built-in course has %d problem(s):\n%s", len(ps), ps.Error())
		}
		return c, nil
	}
	c, ps, err := openPack(g.course)
	if err != nil {
		return nil, err
	}
	if len(ps) > 0 {
		return nil, failed(fmt.Sprintf("the course pack has %d problem(s); run `dockertutor course lint %s`:\n%s", len(ps), g.course, ps.Error()))
	}
	return c, nil
}

// openPack loads the course pack in dir. A dir that does not exist or is
// not a folder is a usage error (exit 2), like an unknown step: the
// command line names something that is not there. A pack with problems is
// a failure (exit 1) wherever it is opened, `course lint`, `course prove`
// or `--course`: the pack is there and its author has something to fix.
func openPack(dir string) (*lessons.Course, lessons.Problems, error) {
	fi, err := os.Stat(dir)
	var pathErr *fs.PathError
	switch {
	case errors.Is(err, fs.ErrNotExist) && errors.As(err, &pathErr):
		return nil, nil, usageErrorf("no course pack at %s: %v", dir, pathErr.Err)
	case err == nil && !fi.IsDir():
		return nil, nil, usageErrorf("%s is not a folder: a course pack is a folder with %s", dir, lessons.ManifestFile)
	}
	c, ps := lessons.FromDir(dir)
	return c, ps, nil
}

// session opens the learner's session in the chosen course and tells,
// once, what its opening found (an unreadable progress file set aside).
func (g *globals) session() (*tutor.Session, error) {
	s, err := g.openSession()
	if err != nil {
		return nil, err
	}
	for _, w := range s.Warnings() {
		fmt.Fprintln(g.io.Err, "dockertutor: warning: "+w.Error())
	}
	if g.classErr != nil {
		fmt.Fprintln(g.io.Err, "dockertutor: warning: "+g.classErr.Error())
	}
	return s, nil
}

// openSession opens the session without telling its warnings, for the
// tutor, which shows them on its first screen.
func (g *globals) openSession() (*tutor.Session, error) {
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
		return nil, &usageError{err: err}
	}
	o := tutor.Options{Course: c, WorkspaceRoot: root, StateDir: stateDir(), Poll: g.poll, Namespace: ns,
		DetectDockerBuild: engine.DetectDockerBuild}
	box, err := classOf(c)
	g.class.Store(box)
	g.classErr = err
	o.Observe = g.observe
	return tutor.Open(o)
}

// stateDir is where progress lives: $XDG_STATE_HOME/dockertutor on Linux,
// the platform's application-state folder elsewhere.
func stateDir() string {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "dockertutor")
	}
	return filepath.Join(xdg.StateHome, "dockertutor")
}

// sessionStep opens the session and finds the step named on the command
// line; the caller closes the session.
func (g *globals) sessionStep(arg string) (*tutor.Session, *lessons.Step, error) {
	s, err := g.session()
	if err != nil {
		return nil, nil, err
	}
	st, err := g.step(s, arg)
	if err == nil {
		err = g.notHeld(s, st)
	}
	if err != nil {
		s.Close()
		return nil, nil, err
	}
	return s, st, nil
}

// notHeld refuses a step of a lesson the learner's class holds back, as
// the full screen and plain mode do: the instructor opens it when the room
// is ready.
func (g *globals) notHeld(s *tutor.Session, st *lessons.Step) error {
	c, ok := g.classStatus()
	if !ok {
		return nil
	}
	if l, held := present.HeldLesson(s.Course, st, c.HoldLesson); held {
		return failed(present.LessonOpensSoon(l))
	}
	return nil
}

func (g *globals) step(s *tutor.Session, arg string) (*lessons.Step, error) {
	st, err := s.Step(arg)
	if err != nil {
		return nil, &usageError{err: err}
	}
	return st, nil
}
