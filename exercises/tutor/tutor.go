// Package tutor is the learner's session in one course: it ties the course,
// the workspace, the saved progress and the checks together behind the
// operations the CLI and the TUI offer (enter a step, hint, answer, check,
// reset). It is plain Go with no terminal code, so both front ends share it.
package tutor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dockertutor/dockertutor/exercises/check"
	"github.com/dockertutor/dockertutor/exercises/daemon"
	"github.com/dockertutor/dockertutor/exercises/progress"
	"github.com/dockertutor/dockertutor/exercises/workspace"
	"github.com/dockertutor/dockertutor/lessons"
)

// Options say where a session keeps its files and how it reaches Docker.
type Options struct {
	Course        *lessons.Course
	WorkspaceRoot string
	StateDir      string
	Now           func() time.Time
	// Connect opens the Docker connection; the default resolves the
	// endpoint like the docker CLI (engine.Resolve) and connects.
	Connect func(ctx context.Context) (daemon.Client, error)
	// Poll makes Watch look at the step folder every PollInterval instead
	// of relying on file system events (network and VM-shared folders).
	Poll bool
	// NoCache builds without the build cache. BuildKit does not key its
	// cache on secret values, so a cached layer may hold another secret.
	NoCache bool
	// Builder, when set, is used by the steps that leave the choice of
	// builder open (those that need BuildKit keep it).
	Builder lessons.Builder
}

// Session is one learner in one course.
type Session struct {
	Course  *lessons.Course
	Work    *workspace.Workspace
	store   *progress.Store
	now     func() time.Time
	poll    bool
	noCache bool
	builder lessons.Builder
	conn    *connection
}

// Open prepares a session. Nothing is written until a step is entered.
func Open(o Options) (*Session, error) {
	st, err := progress.Open(o.StateDir, o.Course.ID)
	if err != nil {
		return nil, err
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	w := workspace.New(o.WorkspaceRoot, o.Course)
	w.Now = now
	connect := o.Connect
	if connect == nil {
		connect = defaultConnect
	}
	return &Session{Course: o.Course, Work: w, store: st, now: now, poll: o.Poll, noCache: o.NoCache, builder: o.Builder, conn: &connection{connect: connect}}, nil
}

// Close releases the Docker connection.
func (s *Session) Close() error { return s.conn.close() }

// ProgressPath is where progress is saved, for messages.
func (s *Session) ProgressPath() string { return s.store.Path() }

// Progress returns the saved progress. A *progress.CorruptError is a
// warning: the returned progress is fresh and usable.
func (s *Session) Progress() (progress.Progress, error) {
	return s.store.Load(s.Course.ID)
}

// Update changes progress under the lock.
func (s *Session) Update(fn func(*progress.Progress) error) (progress.Progress, error) {
	return s.store.Update(s.Course.ID, fn)
}

// Values are the learner's values for a step.
func (s *Session) Values(st *lessons.Step, p progress.Progress) lessons.Values {
	return s.Work.Values(st, p.Secret)
}

// Step finds a step by id or number, with an error that says what to do.
func (s *Session) Step(arg string) (*lessons.Step, error) {
	if st, ok := s.Course.Step(arg); ok {
		return st, nil
	}
	return nil, &UsageError{Msg: fmt.Sprintf("no step %q in this course: `dockertutor list` shows the step ids and numbers", arg)}
}

// UsageError is a mistake in what was asked (exit code 2).
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// CurrentStep is where the learner left off: the saved current step, else
// the first step not passed, else the first.
func (s *Session) CurrentStep(p progress.Progress) *lessons.Step {
	if st, ok := s.Course.Step(p.Current); ok && p.Current != "" {
		return st
	}
	for _, st := range s.Course.Steps() {
		if p.StatusOf(st.ID) != progress.Passed {
			return st
		}
	}
	return s.Course.Steps()[0]
}

// Enter opens a step: it becomes current, its clock starts once, and its
// starter files are laid out where missing. It returns the files written.
func (s *Session) Enter(st *lessons.Step) (progress.Progress, []string, error) {
	var written []string
	p, err := s.Update(func(p *progress.Progress) error {
		p.Begin(st.ID, s.now().UTC())
		if st.Kind == lessons.KindRead {
			p.Record(st.ID, true, s.now().UTC())
		}
		var err error
		written, err = s.Work.LayOut(st, s.Values(st, *p))
		return err
	})
	return p, written, err
}

// Hint is one revealed hint.
type Hint struct {
	Number, Total int
	Text          string
}

// NextHint reveals the next hint of the step and remembers it. When all
// are shown it returns the last one again.
func (s *Session) NextHint(st *lessons.Step) (Hint, error) {
	if len(st.Hints) == 0 {
		return Hint{}, &UsageError{Msg: fmt.Sprintf("step %s has no hints", st.ID)}
	}
	var h Hint
	p, err := s.Update(func(p *progress.Progress) error {
		sp := p.Step(st.ID)
		if sp.HintsUsed < len(st.Hints) {
			sp.HintsUsed++
		}
		h = Hint{Number: sp.HintsUsed, Total: len(st.Hints)}
		return nil
	})
	if err != nil && !isWarning(err) {
		return Hint{}, err
	}
	text, xerr := lessons.Expand(st.Hints[h.Number-1], s.Values(st, p))
	if xerr != nil {
		return Hint{}, xerr
	}
	h.Text = text
	return h, err
}

// RevealedHints returns the hints the learner has already seen.
func (s *Session) RevealedHints(st *lessons.Step, p progress.Progress) []string {
	n := 0
	if sp, ok := p.Steps[st.ID]; ok {
		n = min(sp.HintsUsed, len(st.Hints))
	}
	out := make([]string, 0, n)
	for _, h := range st.Hints[:n] {
		t, err := lessons.Expand(h, s.Values(st, p))
		if err != nil {
			t = h
		}
		out = append(out, t)
	}
	return out
}

// Answer records a quiz or free answer and checks it.
func (s *Session) Answer(ctx context.Context, st *lessons.Step, value string) (check.Verdict, error) {
	var answer []string
	switch st.Kind {
	case lessons.KindQuiz:
		answer = check.ParseChoices(value)
	case lessons.KindAnswer:
		answer = []string{strings.TrimSpace(value)}
	default:
		return check.Verdict{}, &UsageError{Msg: fmt.Sprintf("step %s is a %s step: only quiz and answer steps take an answer", st.ID, st.Kind)}
	}
	if _, err := s.Update(func(p *progress.Progress) error {
		p.Begin(st.ID, s.now().UTC())
		p.Step(st.ID).Answer = answer
		return nil
	}); err != nil && !isWarning(err) {
		return check.Verdict{}, err
	}
	return s.checkWith(ctx, st, nil, nil)
}

// Check runs the step's checks on the real state and records the verdict.
// Docker is asked only when a check needs it; an unreachable daemon gives
// error results (Verdict.Unreachable), not failures, and records nothing.
func (s *Session) Check(ctx context.Context, st *lessons.Step) (check.Verdict, error) {
	var (
		docker    daemon.Checker
		dockerErr error
	)
	if st.NeedsDaemon() {
		cli, err := s.conn.get(ctx)
		if err != nil {
			dockerErr = err
		} else {
			docker = cli
		}
	}
	return s.checkWith(ctx, st, docker, dockerErr)
}

// checkWith runs the checks with the given daemon (nil when unreachable).
func (s *Session) checkWith(ctx context.Context, st *lessons.Step, docker daemon.Checker, dockerErr error) (check.Verdict, error) {
	p, err := s.Progress()
	if err != nil && !isWarning(err) {
		return check.Verdict{}, err
	}
	sp := p.Steps[st.ID]
	env := check.Env{Step: st, Values: s.Values(st, p), Docker: docker, DockerErr: dockerErr}
	if sp != nil {
		env.Began, env.Answer = sp.Began, sp.Answer
	}
	v := check.Run(ctx, env)
	if err := ctx.Err(); err != nil {
		// A check cut short (the learner moved on, or a newer check took
		// over) proves nothing: its half-read results are not a verdict.
		return v, fmt.Errorf("check aborted: %w", err)
	}
	if v.Unreachable() {
		return v, nil // not the learner's fault: record nothing
	}
	_, err = s.Update(func(p *progress.Progress) error {
		p.Record(st.ID, v.Passed, s.now().UTC())
		return nil
	})
	if err != nil && !isWarning(err) {
		return v, err
	}
	return v, nil
}

func isWarning(err error) bool {
	var ce *progress.CorruptError
	return errors.As(err, &ce)
}
