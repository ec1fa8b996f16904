// Package tui is dockertutor's interactive front end: the full-screen
// interface (an outline of the course, the step's text, the verdict of its
// checks, the output of the running build or container, a status line).
// Run falls back to its plain, line-oriented twin (package tui/plain) for
// screen readers, dumb terminals and pipes.
//
// It owns how the learner sees things and the keys they press, nothing
// else: what a verdict, a mark or a document says is worded in package
// present, and every question about Docker, the disk or progress goes to a
// Backend (the learner's session), always inside a tea.Cmd, so the
// interface never waits on either.
package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/term"

	"github.com/dockertutor/dockertutor/lessons"
	"github.com/dockertutor/dockertutor/present"
	"github.com/dockertutor/dockertutor/tui/backend"
	"github.com/dockertutor/dockertutor/tui/internal/handover"
	"github.com/dockertutor/dockertutor/tui/markdown"
	"github.com/dockertutor/dockertutor/tui/plain"
)

// Backend is the learner's session as the interface uses it; see
// backend.Session.
type Backend = backend.Session

// Options configure Run.
type Options struct {
	// Course is the course the session runs; required.
	Course *lessons.Course
	// Plain is the accessible mode: no alternate screen, no colours, the
	// step text then a prompt of one-letter commands. TERM=dumb implies
	// it, and so does an In or Out that is not a terminal.
	Plain bool
	// In and Out default to the process's stdin and stdout.
	In  io.Reader
	Out io.Writer
	// NoColor drops colours (NO_COLOR in the environment sets it too).
	NoColor bool
	// Poll says the session watches the step folder by polling (its own
	// Options.Poll); the status line says so, since changes then show up
	// a second or so late.
	Poll bool
	// Width is where the plain mode wraps text; 0 means 80.
	Width int
	// Warnings are what opening the session found (an unreadable progress
	// file set aside), shown once with the first screen.
	Warnings []error
	// Class, when the learner joined a class, reads how it stands (its
	// title, whether reports get through, the instructor's message, the
	// lesson the room is held at); it reads files, so it is called from
	// commands only. Nil: no class.
	Class func() (present.ClassStatus, bool)
	// JoinClass joins the class at a join address under a display name,
	// and returns what to tell the learner; nil: the tutor offers no join.
	JoinClass func(ctx context.Context, address, name string) (string, error)
}

// Run runs the interface until the learner quits or ctx ends. It returns
// nil when the learner quits, and an error wrapping context.Canceled when
// interrupted.
func Run(ctx context.Context, b Backend, opts Options) error {
	if b == nil {
		return errors.New("tui: no session to run")
	}
	if opts.Course == nil || len(opts.Course.Steps()) == 0 {
		return errors.New("tui: the course has no steps")
	}
	if os.Getenv("NO_COLOR") != "" {
		opts.NoColor = true
	}
	if opts.In == nil {
		opts.In = os.Stdin
	}
	if opts.Out == nil {
		opts.Out = os.Stdout
	}
	// The full screen needs a terminal both ways; a pipe or a file gets
	// the plain mode rather than escape codes.
	if opts.Plain || os.Getenv("TERM") == "dumb" || !handover.IsTerminal(opts.In) || !handover.IsTerminal(opts.Out) {
		return plain.Run(ctx, b, plain.Options{Course: opts.Course, In: opts.In, Out: opts.Out, Poll: opts.Poll, Width: opts.Width, Warnings: opts.Warnings, Class: opts.Class})
	}

	// The first draw builds go-runewidth's table of every rune's width
	// (a few milliseconds of page faults): let the second core do it now.
	go ansi.StringWidthWc("😀")
	// Until the first full screen is up, the program allocates mostly
	// what it keeps (the course, glamour's renderer, screen buffers), so
	// collecting garbage then only delays it; the collector comes back
	// with that screen, or after two seconds at the latest.
	gcPercent := debug.SetGCPercent(-1)
	resumeGC := sync.OnceFunc(func() { debug.SetGCPercent(gcPercent) })
	defer resumeGC()
	time.AfterFunc(2*time.Second, resumeGC)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the builds, checks and watchers still running
	cfg := defaultConfig(opts)
	cfg.firstFrame = resumeGC
	m := newModel(ctx, b, opts.Course, cfg)
	m.first = loadAhead(b, m, opts.Out)
	popts := []tea.ProgramOption{tea.WithContext(ctx), tea.WithInput(opts.In), tea.WithOutput(opts.Out)}
	switch {
	case opts.NoColor:
		popts = append(popts, tea.WithColorProfile(colorprofile.Ascii))
	case opts.Out == os.Stdout:
		// lipgloss detected stdout's profile when the program started;
		// detecting again would cost another `tmux info` inside tmux.
		popts = append(popts, tea.WithColorProfile(lipgloss.Writer.Profile))
	}
	_, err := tea.NewProgram(m, popts...).Run()
	switch {
	case err == nil:
		return nil
	case errors.Is(err, tea.ErrInterrupted), errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil:
		return fmt.Errorf("tutor interrupted: %w", context.Canceled)
	default:
		return fmt.Errorf("tutor: %w", err)
	}
}

// loadAhead starts, while the program sets up the terminal, what the
// first full screen waits for: the progress, the step the learner left off
// at, its text rendered at the width its pane will have (into the
// renderer's memory, where the model's own request finds it). It uses the
// second core; the model takes the load from the returned channel.
func loadAhead(b Backend, m Model, out io.Writer) <-chan loadedMsg {
	first := make(chan loadedMsg, 1)
	go func() {
		msg := load(b)
		first <- msg
		w, h := 120, 40
		if f, ok := out.(*os.File); ok {
			if tw, th, err := term.GetSize(f.Fd()); err == nil {
				w, h = tw, th
			}
		}
		l := computeLayout(w, h, w >= splitWidth, false, 0)
		if msg.err != nil || l.TooSmall {
			return
		}
		// The document the model will show, built as the model builds it.
		m.welcome = msg.welcome
		m.page = pageWelcome
		if e := msg.entered; e != nil && e.err == nil {
			m.page, m.cur, m.prog, m.info = pageStep, m.indexOf(e.info.Step), e.prog, e.info
		}
		_, _ = m.cfg.renderer.Render(m.document(), l.Text.inner().W, m.styles.Markdown)
	}()
	return first
}

// config is what the model needs besides its state: the session, timings
// (zero disables a timer, which tests use) and the environment.
type config struct {
	noColor bool
	poll    bool
	// animate runs the spinner; tests keep frames still.
	animate bool
	// dockerEvery is how often the status line asks Docker again.
	dockerEvery time.Duration
	// dockerTimeout bounds one such question.
	dockerTimeout time.Duration
	// flashFor is how long a message stays in the status line.
	flashFor time.Duration
	// watchRetry is the pause before watching again after the watcher ended.
	watchRetry time.Duration
	getenv     func(string) string
	now        func() time.Time
	renderer   *markdown.Renderer
	// firstFrame, if set, is called once the first full screen (a page's
	// text rendered) is drawn.
	firstFrame func()
	// warnings are Options.Warnings, for the first screen's status line.
	warnings []error
	// class is Options.Class; classEvery is how often it is read again.
	class      func() (present.ClassStatus, bool)
	classEvery time.Duration
	joinClass  func(ctx context.Context, address, name string) (string, error)
}

func defaultConfig(o Options) config {
	return config{
		noColor:       o.NoColor,
		poll:          o.Poll,
		animate:       true,
		dockerEvery:   5 * time.Second,
		dockerTimeout: 3 * time.Second,
		flashFor:      8 * time.Second,
		watchRetry:    5 * time.Second,
		getenv:        os.Getenv,
		now:           time.Now,
		renderer:      markdown.New(),
		warnings:      o.Warnings,
		class:         o.Class,
		joinClass:     o.JoinClass,
		classEvery:    2 * time.Second,
	}
}
