// Package tutor is the learner's session in one course: it ties the course,
// the workspace, the saved progress and the checks together behind the
// operations the CLI and the TUI offer (enter a step, hint, answer, check,
// reset). It is plain Go with no terminal code, so both front ends share it.
package tutor

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/dockertutor/dockertutor/exercises/check"
	"github.com/dockertutor/dockertutor/exercises/daemon"
	"github.com/dockertutor/dockertutor/exercises/engine"
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
	// Namespace is where the session's Docker objects live: the image
	// names, container names and labels of everything it builds, runs,
	// checks and removes. The zero value is the learner's own, named by
	// the learner id saved with their progress; a proof run or a test
	// uses a private one, so that it never touches a learner's objects.
	Namespace lessons.Namespace
	// DetectDockerBuild finds what the learner's own `docker build` runs
	// (engine.DetectDockerBuild), so that advice to build by hand fits
	// it; nil leaves it unknown (proofs and tests), and no advice depends
	// on it.
	DetectDockerBuild func(ctx context.Context) engine.DockerBuild
	// Observe, when set, is told each thing the learner does (a step
	// opened, a verdict recorded, a hint, a solution, an answer, a skip)
	// as it is saved, for a class the learner joined. It is called on the
	// caller's goroutine and must not call back into the session.
	Observe func(Activity)
}

// NamespaceEnv names the environment variable that puts a session's
// Docker objects in a namespace of their own (tests, a trial run beside a
// learner's work); unset, they are in the learner's, named by their id.
const NamespaceEnv = "DOCKERTUTOR_NAMESPACE"

// NamespaceFromEnv is the namespace NamespaceEnv names, or the zero one
// (the learner's own, for Options) when it is unset or empty.
func NamespaceFromEnv() (lessons.Namespace, error) {
	name := os.Getenv(NamespaceEnv)
	if name == "" {
		return lessons.Namespace{}, nil
	}
	ns, err := lessons.NamedNamespace(name)
	if err != nil {
		return ns, fmt.Errorf("%s: %w", NamespaceEnv, err)
	}
	return ns, nil
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
	ns      lessons.Namespace
	conn    *connection
	build   *dockerBuild
	// observer is Options.Observe.
	observer func(Activity)
}

// Open prepares a session and reads the saved progress once (creating it,
// with the learner's canary, on first use), so that an unreadable progress
// file is set aside and known here, where the session opens: Warnings says
// so, and no later call returns it.
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
		connect = DefaultConnect
	}
	s := &Session{Course: o.Course, Work: w, store: st, now: now, poll: o.Poll, noCache: o.NoCache, builder: o.Builder, ns: o.Namespace, conn: &connection{connect: connect}, observer: o.Observe}
	s.build = &dockerBuild{detect: o.DetectDockerBuild}
	p, err := s.Progress()
	if err != nil {
		return nil, err
	}
	if s.ns.IsZero() {
		if s.ns, err = lessons.NamedNamespace(p.Learner); err != nil {
			return nil, fmt.Errorf("the learner id in %s: %w", st.Path(), err)
		}
	}
	return s, nil
}

// Warnings are what the learner must be told about the session, to show
// once when it opens: each progress file that could not be read and was
// set aside (a *progress.CorruptError saying where it was kept).
func (s *Session) Warnings() []error {
	var out []error
	for _, ce := range s.store.SetAside() {
		out = append(out, ce)
	}
	return out
}

// Close releases the Docker connection.
func (s *Session) Close() error { return s.conn.close() }

// ProgressPath is where progress is saved, for messages.
func (s *Session) ProgressPath() string { return s.store.Path() }

// Progress returns the saved progress. A file that became unreadable
// since the session opened is set aside and a fresh progress returned.
func (s *Session) Progress() (progress.Progress, error) {
	return s.store.Load(s.Course.ID)
}

// Update changes progress under the lock.
func (s *Session) Update(fn func(*progress.Progress) error) (progress.Progress, error) {
	return s.store.Update(s.Course.ID, fn)
}

// Values are the learner's values for a step, in the session's namespace.
func (s *Session) Values(st *lessons.Step, p progress.Progress) lessons.Values {
	return s.Course.Values(st, lessons.Learner{Secret: p.Secret, Workspace: s.Work.Root, Namespace: s.ns, ImageIDs: s.imageID})
}

// imageID asks the daemon for a local image's ID, for templates that lay
// out an attempt with it ({{.ImageID "alpine:3.22"}}); templates take no
// context, so the lookup has its own deadline.
func (s *Session) imageID(ref string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cli, err := s.conn.get(ctx)
	if err != nil {
		return "", err
	}
	img, err := cli.ImageInspect(ctx, ref)
	if err != nil {
		return "", err
	}
	return img.ID, nil
}

// Namespace is where the session's Docker objects live.
func (s *Session) Namespace() lessons.Namespace { return s.ns }

// Learner is the learner's id, the name of the session's namespace
// (DOCKERTUTOR_NAMESPACE's, when it overrides the id).
func (s *Session) Learner() string { return s.ns.String() }

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
	return p.CurrentStep(s.Course)
}

// Enter opens a step: it becomes current, its clock starts once, and its
// starter files are laid out where missing. It returns the files written.
func (s *Session) Enter(st *lessons.Step) (progress.Progress, []string, error) {
	p, written, err := s.enter(st)
	if err == nil {
		s.observe(Activity{Kind: StepOpened, Step: st.ID})
	}
	return p, written, err
}

// enter is Enter without telling the observer, for Solve, which opens the
// step on its way to the solution.
func (s *Session) enter(st *lessons.Step) (progress.Progress, []string, error) {
	var written []string
	before := s.imagesBefore(st)
	p, err := s.Update(func(p *progress.Progress) error {
		first := p.Steps[st.ID] == nil || p.Steps[st.ID].Began.IsZero()
		p.Enter(st, s.now().UTC())
		if first && before != nil {
			p.Steps[st.ID].Before = before
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
	h := Hint{Total: len(st.Hints)}
	p, err := s.Update(func(p *progress.Progress) error {
		h.Number = p.RevealHint(st)
		return nil
	})
	if err != nil {
		return Hint{}, err
	}
	s.observe(Activity{Kind: HintRevealed, Step: st.ID, Hint: h.Number})
	text, xerr := st.Hint(h.Number, s.Values(st, p))
	if xerr != nil {
		return Hint{}, xerr
	}
	h.Text = text
	return h, err
}

// RevealedHints returns the hints the learner has already seen.
func (s *Session) RevealedHints(st *lessons.Step, p progress.Progress) []string {
	return p.RevealedHints(st, s.Values(st, p))
}

// Answer records a quiz or free answer and checks it.
func (s *Session) Answer(ctx context.Context, st *lessons.Step, value string) (check.Verdict, error) {
	if _, err := st.ParseAnswer(value); err != nil {
		return check.Verdict{}, &UsageError{Msg: err.Error()}
	}
	p, err := s.Update(func(p *progress.Progress) error {
		if err := p.RecordAnswer(st, value, s.now().UTC()); err != nil {
			return err
		}
		p.Step(st.ID).Answers++
		return nil
	})
	if err != nil {
		return check.Verdict{}, err
	}
	s.observe(Activity{Kind: AnswerGiven, Step: st.ID, Attempts: p.Steps[st.ID].Answers})
	// An answer step may also check the daemon (the image the value was
	// found in), so an answer is checked as the step is.
	return s.Check(ctx, st)
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
	if err != nil {
		return check.Verdict{}, err
	}
	sp := p.Steps[st.ID]
	env := check.Env{Step: st, Values: s.Values(st, p), Docker: docker, DockerErr: dockerErr}
	if check.UsesDockerBuild(st) {
		env.DockerBuild = s.DockerBuild(ctx).Builder
	}
	if sp != nil {
		env.Began, env.Answer, env.Before = sp.Began, sp.Answer, sp.Before
	}
	env.SolutionSeen = sp != nil && sp.SolutionSeen
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
	if err != nil {
		return v, err
	}
	s.observeVerdict(st, v)
	return v, nil
}
